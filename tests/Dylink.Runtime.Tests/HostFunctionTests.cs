using Dylink.Linking;
using Dylink.Linking.Tests;
using Wasmtime;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

/// <summary>C# functions called from wasm: the typed (no boxing) and untyped paths must agree.</summary>
public class HostFunctionTests
{
    private const string Caller = """
        (module
          (@dylink.0 (mem-info (memory 0 0)))
          (import "env" "memory" (memory 0))
          (import "env" "add64" (func $add64 (param i64 i64) (result i64)))
          (import "env" "half" (func $half (param f64) (result f64)))
          (import "env" "twice_unsigned" (func $twice_unsigned (param i32) (result i32)))
          (import "env" "note" (func $note (param i32)))
          (import "env" "fail" (func $fail (param i32) (result i32)))
          (func (export "call_add64") (param i64 i64) (result i64) (call $add64 (local.get 0) (local.get 1)))
          (func (export "call_half") (param f64) (result f64) (call $half (local.get 0)))
          (func (export "call_twice_unsigned") (param i32) (result i32) (call $twice_unsigned (local.get 0)))
          (func (export "call_note") (param i32) (call $note (local.get 0)))
          (func (export "call_fail") (param i32) (result i32) (call $fail (local.get 0))))
        """;

    [Fact]
    public void TypedAndUntypedHostFunctions_PassArgumentsAndResults()
    {
        var noted = new List<int>();
        using var linker = new DynamicLinker();
        linker.DefineFunction("add64", (long a, long b) => a + b);                 // typed: Func<long, long, long>
        linker.DefineFunction("half", (double x) => x / 2);                        // typed: Func<double, double>
        linker.DefineFunction("twice_unsigned", (uint x) => 2 * x);                // uint: the untyped path
        linker.DefineFunction("note", (int x) => noted.Add(x));                    // typed: Action<int>
        linker.DefineFunction("fail", (int x) => x > 0 ? throw new InvalidOperationException("host says no") : x);
        linker.LoadLibraries(new LinkOptions { Source = new InMemorySource().Add("libcaller.so", Caller), SearchPaths = [Dir], Libraries = ["libcaller.so"] });

        Assert.Equal(5_000_000_000L + 7, linker.GetFunction("call_add64").WrapFunc<long, long, long>()!(5_000_000_000L, 7));
        Assert.Equal(1.25, linker.GetFunction("call_half").WrapFunc<double, double>()!(2.5));
        Assert.Equal(-2, linker.GetFunction<int, int>("call_twice_unsigned")(int.MaxValue));
        linker.GetFunction("call_note").WrapAction<int>()!(42);
        Assert.Equal([42], noted);
        Assert.Equal(0, linker.GetFunction<int, int>("call_fail")(0));
        var e = Assert.ThrowsAny<WasmtimeException>(() => linker.GetFunction<int, int>("call_fail")(1));
        Assert.Contains("host says no", e.ToString(), StringComparison.Ordinal);
    }
}
