using Dylink.Linking;
using Dylink.Linking.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

/// <summary>The run-time state model (issue 12): calls before a load, deadlines over all guest code, disposal during a
/// call, loads refused while another is uncommitted, bounded rebinding and unloading.</summary>
public class LifecycleTests
{
    private const string Answer = """(func (export "answer") (result i32) (i32.const 42))""";

    // A loop that ends, but only after far longer than any test's timeout.
    private const string Spin = """
        (func (export "spin") (param $n i32) (result i32)
          (loop $again (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $again (i32.ne (local.get $n) (i32.const 0))))
          (i32.const 7))
        """;

    private const string Forever = "(loop $forever (br $forever))";

    private static InMemorySource Libraries(params (string Name, string Wat)[] libraries)
    {
        var source = new InMemorySource();
        foreach (var (name, wat) in libraries)
        {
            source.Add(name, wat);
        }

        return source;
    }

    private static LinkOptions Options(InMemorySource source, params string[] libraries) =>
        new() { Source = source, SearchPaths = [Dir], Libraries = libraries };

    [Fact]
    public void EveryOperationBeforeLoad_IsAnInvalidOperation()
    {
        using var linker = new DynamicLinker();
        const string message = "no program is loaded: call Load first";
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => linker.RunMain()).Message);
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => linker.Close(new LibraryHandle(1))).Message);
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => linker.Open("libx.so")).Message);
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => linker.Symbol(LibraryHandle.Default, "x")).Message);
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => linker.GetFunction("x")).Message);
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => linker.Restore("x")).Message);
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => linker.Memory).Message);
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => linker.Plan).Message);
    }

    public static TheoryData<string, string, string> LoopingCode() => new()
    {
        { "constructor", $"""(func (export "__wasm_call_ctors") {Forever})""", "libloop.so: constructor (__wasm_call_ctors): stopped after 0.2 s (timeout)" },
        { "start function", $"""(func $s {Forever}) (start $s)""", "libloop.so: instantiation (start function): stopped after 0.2 s (timeout)" },
        { "relocations", $"""(func (export "__wasm_apply_data_relocs") {Forever})""", "libloop.so: data relocations (__wasm_apply_data_relocs): stopped after 0.2 s (timeout)" },
    };

    [Theory]
    [MemberData(nameof(LoopingCode))]
    public void Deadline_CoversStartUpLibraries(string what, string body, string message)
    {
        _ = what;
        var source = Libraries(("libloop.so", Side(body, memory: 8)));
        using var linker = new DynamicLinker(new DynamicLinkerOptions { Timeout = TimeSpan.FromMilliseconds(200) });
        var e = Assert.Throws<TimeoutException>(() => linker.LoadLibraries(Options(source, "libloop.so")));
        Assert.Equal(message, e.Message);
        Assert.Throws<InvalidOperationException>(() => linker.Open("libloop.so")); // nothing is loaded after a failed start-up
    }

    [Theory]
    [MemberData(nameof(LoopingCode))]
    public void Deadline_CoversOpen_AndTheProgramStaysAsItWas(string what, string body, string message)
    {
        _ = what;
        var source = Libraries(("libgood.so", Side(Answer, memory: 8)), ("libloop.so", Side(body, memory: 8)));
        using var linker = new DynamicLinker(new DynamicLinkerOptions { Timeout = TimeSpan.FromMilliseconds(200) });
        linker.LoadLibraries(Options(source, "libgood.so"));
        Assert.Equal(message, Assert.Throws<TimeoutException>(() => linker.Open("libloop.so")).Message);
        Assert.Throws<LibraryNotLoadedException>(() => linker.Open("libloop.so", OpenMode.NoLoad));
        var afterFirst = (Table: linker.Table.GetSize(), Memory: linker.Memory.GetLength());

        // Each operation has its own deadline: the next one runs normally, and a failed load leaves nothing behind.
        Assert.Equal(42, linker.GetFunction<int>("answer")());
        Assert.Equal(message, Assert.Throws<TimeoutException>(() => linker.Open("libloop.so")).Message);
        Assert.Equal(afterFirst, (linker.Table.GetSize(), linker.Memory.GetLength()));
    }

    [Fact]
    public void Deadline_CoversCallsFromCSharp()
    {
        var source = Libraries(("libspin.so", Side(Spin, memory: 8)));
        using var linker = new DynamicLinker(new DynamicLinkerOptions { Timeout = TimeSpan.FromMilliseconds(200) });
        linker.LoadLibraries(Options(source, "libspin.so"));
        var typed = linker.GetFunction<int, int>("spin");
        Assert.Equal("spin: stopped after 0.2 s (timeout)", Assert.Throws<TimeoutException>(() => typed(0)).Message);
        var untyped = linker.GetFunction("spin");
        Assert.Equal("spin: stopped after 0.2 s (timeout)", Assert.Throws<TimeoutException>(() => untyped.Invoke(0)).Message);
        Assert.Equal(7, typed(1000));
    }

    private const string SpinAfterEntering = """
        (import "env" "entered" (func $entered))
        (func (export "spin") (param $n i32) (result i32)
          (call $entered)
          (loop $again (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $again (i32.ne (local.get $n) (i32.const 0))))
          (i32.const 7))
        """;

    [Fact]
    public async Task Dispose_DuringAGuestCall_InterruptsIt_WhenEpochChecksAreOn()
    {
        var source = Libraries(("libspin.so", Side(SpinAfterEntering, memory: 8)));
        using var entered = new ManualResetEventSlim();
        var linker = new DynamicLinker(new DynamicLinkerOptions { Timeout = TimeSpan.FromHours(1) });
        linker.DefineFunction("entered", () => entered.Set());
        linker.LoadLibraries(Options(source, "libspin.so"));
        var spin = linker.GetFunction<int, int>("spin");
        var call = Task.Run(() => spin(0)); // 2^32 iterations: far longer than this test may take
        entered.Wait();
        linker.Dispose();
        var e = await Assert.ThrowsAsync<ObjectDisposedException>(() => call);
        Assert.Contains("spin: the linker was disposed during this call", e.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => spin(1));
        Assert.Throws<ObjectDisposedException>(() => linker.Open("libspin.so"));
        linker.Dispose(); // idempotent
    }

    [Fact]
    public async Task Dispose_DuringAGuestCall_WaitsForIt_WithoutEpochChecks()
    {
        var source = Libraries(("libspin.so", Side("""
            (import "env" "entered" (func $entered))
            (import "env" "left" (func $left))
            (func (export "spin") (param $n i32) (result i32)
              (call $entered)
              (loop $again (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $again (i32.ne (local.get $n) (i32.const 0))))
              (call $left)
              (i32.const 7))
            """, memory: 8)));
        using var entered = new ManualResetEventSlim();
        var left = false;
        var linker = new DynamicLinker();
        linker.DefineFunction("entered", () => entered.Set());
        linker.DefineFunction("left", () => { left = true; });
        linker.LoadLibraries(Options(source, "libspin.so"));
        var spin = linker.GetFunction<int, int>("spin");
        var call = Task.Run(() => spin(50_000_000));
        entered.Wait();
        linker.Dispose();
        Assert.True(left, "Dispose returned before the call in flight ended");
        Assert.Equal(7, await call);
        Assert.Throws<ObjectDisposedException>(() => spin(1));
    }

    [Fact]
    public void Dispose_FromAHostFunction_FreesTheStoreWhenTheCallReturns()
    {
        var source = Libraries(("libspin.so", Side(SpinAfterEntering, memory: 8)));
        DynamicLinker? self = null;
        var linker = self = new DynamicLinker();
        linker.DefineFunction("entered", () => self!.Dispose());
        linker.LoadLibraries(Options(source, "libspin.so"));
        var spin = linker.GetFunction<int, int>("spin");
        Assert.Equal(7, spin(1000)); // the call that disposed finishes normally
        Assert.Throws<ObjectDisposedException>(() => spin(1));
        Assert.Throws<ObjectDisposedException>(() => linker.GetFunction("spin"));
    }

    [Fact]
    public void OpenFromAStartFunction_IsRefused_TheOuterLoadGoesOn()
    {
        // The start function runs while the library is being instantiated, before its load is committed: a nested load
        // then would be planned over indices the outer one holds. dlopen fails (0) with a message for dlerror.
        var source = Libraries(
            ("libother.so", Side(Answer, memory: 8)),
            ("libeager.so", Side("""
                (import "env" "dlopen" (func $dlopen (param i32 i32) (result i32)))
                (global (export "result") i32 (i32.const 16))
                (data (global.get 0) "libother.so\00")
                (func $s (i32.store offset=16 (global.get 0) (i32.add (i32.const 100) (call $dlopen (global.get 0) (i32.const 2)))))
                (start $s)
                """, memory: 32)));
        using var linker = new DynamicLinker();
        linker.LoadLibraries(Options(source));
        var handle = linker.Open("libeager.so");
        Assert.Equal(100, linker.Memory.ReadInt32(linker.Symbol(handle, "result")));
        Assert.Equal("libother.so: cannot be opened while another library is being instantiated or relocated (dlopen from a start function or relocation code)",
            linker.TakeLastError());
        Assert.True(linker.IsLoaded(handle));
        Assert.Throws<LibraryNotLoadedException>(() => linker.Open("libother.so", OpenMode.NoLoad));
    }

    [Fact]
    public void OpenCloseCycles_DoNotCountAgainstMaxModules()
    {
        var source = Libraries(("libbase.so", Side(Answer, memory: 8)), ("libcycle.so", Side("""(func (export "f") (result i32) (i32.const 1))""", memory: 64, table: 2)));
        using var linker = new DynamicLinker();
        linker.LoadLibraries(Options(source, "libbase.so") with { MaxModules = 3 });
        for (var i = 0; i < 50; i++)
        {
            var handle = linker.Open("libcycle.so");
            Assert.Equal(1, linker.GetFunction(handle, "f").Invoke());
            linker.Close(handle);
        }

        Assert.Equal(50, linker.UnloadedInstances);
    }

    [Fact]
    public void RebindingToDelegatesAgainAndAgain_ReusesOneHostFunction()
    {
        var source = Libraries(("libanswer.so", Side(Answer, memory: 8)));
        using var linker = new DynamicLinker();
        linker.LoadLibraries(Options(source, "libanswer.so"));
        var answer = linker.GetFunction<int>("answer");
        var pointer = linker.Symbol(LibraryHandle.Default, "answer");
        for (var i = 0; i < 1000; i++)
        {
            var value = i;
            linker.Rebind("answer", () => value); // a new closure each time
            Assert.Equal(i, (int)((Wasmtime.Function)linker.Table.GetElement((uint)pointer)!).Invoke()!);
            linker.Restore("answer");
        }

        Assert.Equal(1, linker.RebindHostFunctions);
        Assert.Equal(42, answer());
    }
}
