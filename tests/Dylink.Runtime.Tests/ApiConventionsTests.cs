using System.Text;
using Dylink.Linking;
using Dylink.Linking.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

/// <summary>The C# API in wasmtime-dotnet's idioms (issue 14): typed functions of every arity, nullable lookups,
/// 64-bit addresses, strings and buffers in guest memory, argv for RunMain, one exception family.</summary>
public class ApiConventionsTests
{
    private const string Library = """
        (func (export "sum5") (param i32 i64 i32 i64 i32) (result i64)
          (i64.add (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))
                   (i64.add (i64.add (i64.extend_i32_s (local.get 2)) (local.get 3)) (i64.extend_i32_s (local.get 4)))))
        (func (export "nothing") (param i32 i32))
        (func (export "strlen") (param $p i32) (result i32) (local $n i32)
          (block $done (loop $next
            (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
            (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $next)))
          (local.get $n))
        (global (export "value") i32 (i32.const 0))
        """;

    private static DynamicLinker Load()
    {
        var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = new InMemorySource().Add("liblib.so", Side(Library, memory: 4)), SearchPaths = [Dir], Libraries = ["liblib.so"] });
        return linker;
    }

    [Fact]
    public void TypedFunctionsAndActions_OfAnyArity_GlobalAndByHandle()
    {
        using var linker = Load();
        Assert.Equal(15L, linker.GetFunction<int, long, int, long, int, long>("sum5")(1, 2, 3, 4, 5));
        linker.GetAction<int, int>("nothing")(1, 2);
        var handle = linker.Open("liblib.so", OpenMode.NoLoad);
        Assert.Equal(15L, linker.GetFunction<int, long, int, long, int, long>(handle, "sum5")(1, 2, 3, 4, 5));
        Assert.Null(linker.TryGetAction<int>(handle, "nothing"));
        Assert.Null(linker.TryGetFunction("missing"));
        var e = Assert.Throws<SignatureMismatchException>(() => linker.GetAction<int>("nothing"));
        Assert.Equal("nothing has signature (i32, i32) -> nil, not (i32) -> nil as asked", e.Message);
        var missing = Assert.Throws<SymbolNotFoundException>(() => linker.GetFunction<int>(handle, "missing"));
        Assert.Equal(("missing", "liblib.so", "missing: symbol not found in liblib.so"), (missing.Symbol, missing.Scope, missing.Message));
        Assert.IsAssignableFrom<DylinkException>(missing);
    }

    [Fact]
    public void StringsAndBuffers_InGuestMemory()
    {
        using var linker = Load();
        var text = linker.AllocateString("héllo");
        Assert.Equal(6, linker.GetFunction<int, int>("strlen")((int)text)); // UTF-8 bytes
        Assert.Equal("héllo", linker.ReadString(text));
        var buffer = linker.AllocateBytes([1, 2, 3]);
        linker.WriteBytes(buffer + 1, [9]);
        Assert.Equal(new byte[] { 1, 9, 3 }, linker.ReadBytes(buffer, 3));
        linker.Free(text);
        linker.Free(buffer);
        Assert.Equal(text, linker.AllocateString("reused")); // the loader's heap takes freed blocks back
        var size = linker.Memory.GetLength();
        Assert.Throws<ArgumentOutOfRangeException>(() => linker.ReadBytes(size - 1, 2));
        linker.WriteBytes(size - 2, [(byte)'x', (byte)'y']);
        Assert.Throws<ArgumentOutOfRangeException>(() => linker.ReadString(size - 2));
        Assert.IsType<long>(linker.GetDataAddress("value"));
    }

    // _start reports argc and the length of argv[0] + argv[1] as its exit code: argc * 30 + the bytes argv takes (exit codes stay below 126).
    private const string ArgvMain = """
        (module
          (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            (drop (call $sizes (i32.const 0) (i32.const 4)))
            (call $exit (i32.add (i32.mul (i32.load (i32.const 0)) (i32.const 30)) (i32.load (i32.const 4))))))
        """;

    [Fact]
    public void RunMain_GivesArgvZero_ByDefault_AndTheArgumentsGiven()
    {
        var source = new InMemorySource().Add("prog.wasm", ArgvMain);
        using (var linker = new DynamicLinker())
        {
            linker.Load(source.Plan("prog.wasm"));
            Assert.Equal((1 * 30) + "prog.wasm\0".Length, linker.RunMain());
        }

        using (var linker = new DynamicLinker())
        {
            linker.Load(source.Plan("prog.wasm"));
            Assert.Equal((3 * 30) + Encoding.UTF8.GetByteCount("prog.wasm\0a\0bc\0"), linker.RunMain("a", "bc"));
        }
    }
}
