using Dylink.Linking;
using Dylink.Linking.Tests;
using Dylink.Tests;

namespace Dylink.Runtime.Tests;

/// <summary>
/// wasm64 programs built by clang-19 and clang-22 (tests/fixtures/src/wasm64): a PIE main64.wasm that NEEDs
/// libside64.so, which NEEDs libbase64.so. 64-bit memory and table, i64 bases, stack pointer and GOT entries.
/// </summary>
public class Wasm64Tests
{
    [Theory]
    [InlineData("llvm19")]
    [InlineData("llvm22")]
    public void Wasm64Program_LinksAndRuns(string toolchain)
    {
        using var linker = new DynamicLinker();
        linker.Load(Fixtures.PathOf($"wasm64/{toolchain}/main64.wasm"));
        Assert.True(linker.Plan.Memory.Is64);
        Assert.True(linker.Plan.Memory.Table64);
        Assert.True(linker.Memory.Is64Bit);
        Assert.Equal(["main64.wasm", "libside64.so", "libbase64.so"], linker.Plan.Modules.Select(m => m.Name));

        // Cross-module calls both ways (main -> side -> main's host_add), data through GOT.mem and an 8-byte data
        // relocation, the side's static function through its own table slot, a GOT.func pointer in data.
        Assert.Equal(2 + 42 + 5 + 2 + 0, linker.GetFunction<int>("call_side")());
        Assert.Equal(42, linker.GetFunction<int>("read_side_data")());
        Assert.Equal(11, linker.GetFunction<int>("call_side_f1")());
        Assert.Equal(1, linker.GetFunction<int>("same_host_add")());

        // libbase64.so's constructor ran (NEEDED of NEEDED), and its i64 counter.
        Assert.Equal(1000 + 102, linker.GetFunction<long>("call_base")());
        Assert.Equal(102L, linker.ReadData<long>("base_counter"));

        // Addresses are the 8-byte pointers the modules themselves store.
        var sideData = linker.GetDataAddress("side_data");
        Assert.Equal(42, linker.ReadData<int>("side_data"));
        Assert.Equal(sideData, linker.Memory.ReadInt64(linker.GetDataAddress("side_data_ptr")));
        Assert.Equal(linker.Symbol(LibraryHandle.Default, "host_add"), linker.Memory.ReadInt64(linker.GetDataAddress("side_host_add")));
    }

    [Fact]
    public void Wasm64Main_WithAWasm32Library_IsALinkErrorNamingBoth()
    {
        var e = Assert.Throws<LinkException>(() => LinkPlanner.Plan(Fixtures.PathOf("wasm64/llvm19/main64.wasm"),
            new LinkOptions { SearchPaths = [Fixtures.BinDir], Libraries = ["libfptr.so"] }));
        Assert.Equal<string>(
            [
                "libfptr.so: a wasm32 module (32-bit memory) cannot be linked with main64.wasm, a wasm64 module (64-bit memory): one program has one memory",
                "libfptr.so: 32-bit table indices cannot be linked with main64.wasm, 64-bit table indices (table64): one program has one table",
            ],
            e.Errors);
    }

    [Fact]
    public void Dlopen_OfAWasm64Library_IntoAWasm32Program_IsALinkError()
    {
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { SearchPaths = [Fixtures.PathOf("wasm64/llvm19")] });
        var e = Assert.Throws<LinkException>(() => linker.Open("libbase64.so"));
        Assert.Equal<string>(
            [
                "libbase64.so: a wasm64 module (64-bit memory) cannot be loaded into this program, whose memory the loader created with a wasm32 module (32-bit memory)",
                "libbase64.so: 64-bit table indices (table64) cannot be loaded into this program, whose table the loader created with 32-bit table indices",
            ],
            e.Errors);
    }

    [Fact]
    public void Dlopen_IntoAWasm64Program_Works()
    {
        var source = new InMemorySource()
            .AddBytes("main64.wasm", Fixtures.Bytes("wasm64/llvm22/main64.wasm"))
            .AddBytes("libside64.so", Fixtures.Bytes("wasm64/llvm22/libside64.so"))
            .AddBytes("libbase64.so", Fixtures.Bytes("wasm64/llvm22/libbase64.so"))
            .Add("libextra64.so", """
                (module
                  (@dylink.0 (mem-info (memory 8 3)))
                  (import "env" "memory" (memory i64 0))
                  (import "env" "__memory_base" (global $base i64))
                  (import "GOT.mem" "side_data" (global $side (mut i64)))
                  (data (global.get $base) "\07\00\00\00\00\00\00\00")
                  (func (export "extra") (result i32)
                    (i32.add (i32.load (global.get $side)) (i32.load (global.get $base)))))
                """);
        using var linker = new DynamicLinker();
        linker.Load(source.Plan("main64.wasm"), new LinkOptions { Source = source, SearchPaths = [InMemorySource.Dir] });
        var handle = linker.Open("libextra64.so", OpenMode.Now | OpenMode.Global);
        Assert.Equal(42 + 7, linker.GetFunction<int>("extra")());
        linker.Close(handle);
    }
}
