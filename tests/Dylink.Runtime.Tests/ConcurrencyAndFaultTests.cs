using Dylink.Linking;
using Dylink.Linking.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

public class ConcurrencyAndFaultTests
{
    private const string Good = """(func (export "answer") (result i32) (i32.const 42))""";

    [Fact]
    public async Task ConcurrentOpenSymbolCloseRebind_KeepTheLinkerConsistent()
    {
        var source = new InMemorySource();
        for (var i = 0; i < 4; i++)
        {
            source.Add($"lib{i}.so", Side($$"""(func (export "f{{i}}") (result i32) (i32.const {{i}})) (func (export "g{{i}}") (result i32) (i32.const {{i + 100}}))""", memory: 16));
        }

        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir] });
        var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            var random = new Random(worker);
            for (var round = 0; round < 200; round++)
            {
                var handle = linker.Open($"lib{worker}.so", OpenMode.Global);
                var pointer = linker.Symbol(handle, $"f{worker}");
                Assert.True(pointer > 0);
                if (random.Next(2) == 0)
                {
                    linker.Rebind($"f{worker}", $"g{worker}");
                    linker.Restore($"f{worker}");
                }

                Assert.True(linker.IsLoaded(handle));
                linker.Close(handle);
            }
        })).ToArray();
        await Task.WhenAll(workers);

        for (var i = 0; i < 4; i++)
        {
            Assert.Throws<LibraryNotLoadedException>(() => linker.Open($"lib{i}.so", OpenMode.NoLoad));
        }

        Assert.Equal(800, linker.UnloadedInstances);
        Assert.True(linker.Table.GetSize() < 64, $"slots are reused: the table has {linker.Table.GetSize()}");
    }

    public static TheoryData<string, string, string> Faults() => new()
    {
        { "missing file", "", "libfault.so: library not found (requested by Open); searched: /lib" },
        { "malformed", "", "/lib/libfault.so: unsupported binary version 0x2 (expected 0x1) (at offset 0x4)" },
        { "not a library", "(module)", "libfault.so: not a shared library: it has no dylink.0 section" },
        { "undefined symbol", Side("""(import "env" "nowhere" (func))"""), "libfault.so: undefined symbol: nowhere (function () -> nil)" },
        { "signature mismatch", Side("""(import "env" "answer" (func (param i64)))"""), "libfault.so: answer: imported as function (i64) -> nil but libgood.so defines function () -> i32" },
        { "start function traps", Side("""(func $s unreachable) (start $s)""", memory: 32, table: 1), "libfault.so: instantiation failed: " },
        { "relocations trap", Side("""(func (export "__wasm_apply_data_relocs") unreachable)""", memory: 32, table: 1), "libfault.so: data relocations (__wasm_apply_data_relocs) failed: " },
        { "constructor traps", Side("""(func (export "__wasm_call_ctors") unreachable) (func (export "leaked") (result i32) (i32.const 1))""", memory: 32, table: 1), "libfault.so: constructor (__wasm_call_ctors) failed: " },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void FailureAtEveryStep_LeavesTheProgramAsItWas(string step, string library, string error)
    {
        var source = new InMemorySource().Add("libgood.so", Side(Good, memory: 8));
        if (step == "malformed")
        {
            source.AddBytes("libfault.so", [0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]);
        }
        else if (step != "missing file")
        {
            source.Add("libfault.so", library);
        }

        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libgood.so"] });
        var answer = linker.Symbol(LibraryHandle.Default, "answer");
        var before = (Table: linker.Table.GetSize(), Memory: linker.Memory.GetLength());

        var e = Assert.ThrowsAny<DylinkException>(() => linker.Open("libfault.so", OpenMode.Global));
        Assert.StartsWith(error, e.Message, StringComparison.Ordinal);

        // Nothing of the failed load is visible, and the program goes on: the next load reuses what the failed one took.
        Assert.Throws<LibraryNotLoadedException>(() => linker.Open("libfault.so", OpenMode.NoLoad));
        Assert.Throws<SymbolNotFoundException>(() => linker.Symbol(LibraryHandle.Default, "leaked"));
        Assert.Equal(answer, linker.Symbol(LibraryHandle.Default, "answer"));
        source.Add("libnext.so", Side(Good.Replace("answer", "next", StringComparison.Ordinal), memory: 32, table: 1));
        var next = linker.Open("libnext.so");
        Assert.Equal(42, (int)((Wasmtime.Function)linker.Table.GetElement((uint)linker.Symbol(next, "next"))!).Invoke()!);
        Assert.True(linker.Table.GetSize() <= before.Table + 2, $"{step}: table grew from {before.Table} to {linker.Table.GetSize()}");
        Assert.True(linker.Memory.GetLength() <= before.Memory + 65536, $"{step}: memory grew from {before.Memory} to {linker.Memory.GetLength()}");
    }
}
