using Dylink.Linking;
using Dylink.Linking.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

/// <summary>
/// Exit with the program's libc in a library (a <c>libc.so</c> side module): the loader's handler that runs library
/// destructors is registered with that libc's <c>__cxa_atexit</c>, runs after the main's handlers and before libc
/// flushes its streams, and never runs libc's own exit cleanup a second time.
/// </summary>
public class LibcExitTests
{
    private const int Flush = 999;

    // A tiny wasi-libc: __cxa_atexit keeps (function, argument) pairs at __memory_base + 8 (their count at + 0);
    // __wasm_call_dtors runs them last first, then "flushes stdio" (records 999); exit is that, then proc_exit.
    // Its constructor sets a ready flag (+ 4) and registers a handler of its own (records 500).
    private static readonly string Libc = Side("""
        (import "env" "record" (func $record (param i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
        (func $cxa_atexit (export "__cxa_atexit") (param $f i32) (param $a i32) (param $d i32) (result i32)
          (local $at i32)
          (local.set $at (i32.add (global.get 0) (i32.shl (i32.load (global.get 0)) (i32.const 3))))
          (i32.store offset=8 (local.get $at) (local.get $f))
          (i32.store offset=12 (local.get $at) (local.get $a))
          (i32.store (global.get 0) (i32.add (i32.load (global.get 0)) (i32.const 1)))
          (i32.const 0))
        (func $funcs_on_exit
          (local $at i32)
          (block $done (loop $next
            (br_if $done (i32.eqz (i32.load (global.get 0))))
            (i32.store (global.get 0) (i32.sub (i32.load (global.get 0)) (i32.const 1)))
            (local.set $at (i32.add (global.get 0) (i32.shl (i32.load (global.get 0)) (i32.const 3))))
            (call_indirect (param i32) (i32.load offset=12 (local.get $at)) (i32.load offset=8 (local.get $at)))
            (br $next))))
        (func $dtors (export "__wasm_call_dtors") (call $funcs_on_exit) (call $record (i32.const 999)))
        (func (export "exit") (param i32) (call $dtors) (call $proc_exit (local.get 0)))
        (func (export "libc_ready") (result i32) (i32.load offset=4 (global.get 0)))
        (func $own_handler (param i32) (call $record (i32.const 500)))
        (elem (global.get 1) $own_handler)
        (func (export "__wasm_call_ctors")
          (i32.store offset=4 (global.get 0) (i32.const 1))
          (drop (call $cxa_atexit (global.get 1) (i32.const 0) (i32.const 0))))
        """, memory: 256, table: 1);

    // Uses libc without listing it in NEEDED; traps if constructed before it; registers a destructor (records 2)
    // through the loader's per-library __cxa_atexit.
    private static readonly string Plugin = Side("""
        (import "env" "__cxa_atexit" (func $atexit (param i32 i32 i32) (result i32)))
        (import "env" "libc_ready" (func $ready (result i32)))
        (import "env" "record" (func $record (param i32)))
        (func $dtor (param i32) (call $record (local.get 0)))
        (elem (global.get 1) $dtor)
        (func (export "__wasm_call_ctors")
          (if (i32.eqz (call $ready)) (then unreachable))
          (drop (call $atexit (global.get 1) (i32.const 2) (i32.const 0))))
        """, table: 1);

    // A library with a libc of its own inside: its __wasm_call_dtors is its own exit cleanup (records 3).
    private static readonly string OwnLibc = Side("""
        (import "env" "record" (func $record (param i32)))
        (func (export "__wasm_call_dtors") (call $record (i32.const 3)))
        """);

    // A PIE main with a crt1 whose _start runs the constructors, then exit(7); its constructor registers a handler
    // (records 1) with libc's __cxa_atexit.
    private const string Main = """
        (module
          (@dylink.0 (mem-info (memory 0 0) (table 1 0)) (needed "libplug.so" "libown.so" "libc.so"))
          (import "env" "memory" (memory 0))
          (import "env" "__indirect_function_table" (table 0 funcref))
          (import "env" "__memory_base" (global i32))
          (import "env" "__table_base" (global $tb i32))
          (import "env" "__cxa_atexit" (func $atexit (param i32 i32 i32) (result i32)))
          (import "env" "exit" (func $exit (param i32)))
          (import "env" "record" (func $record (param i32)))
          (func $handler (param i32) (call $record (i32.const 1)))
          (elem (global.get $tb) $handler)
          (func $ctors (export "__wasm_call_ctors") (drop (call $atexit (global.get $tb) (i32.const 0) (i32.const 0))))
          (func (export "_start") (call $ctors) (call $exit (i32.const 7))))
        """;

    private static InMemorySource Source() => new InMemorySource()
        .Add("main.wasm", Main).Add("libplug.so", Plugin).Add("libown.so", OwnLibc).Add("libc.so", Libc);

    private static DynamicLinker Linker(List<int> recorded, List<string>? traced = null)
    {
        var linker = new DynamicLinker(traced is null ? new DynamicLinkerOptions() : new DynamicLinkerOptions { Debug = DebugTrace.Libs, Trace = traced.Add });
        linker.DefineFunction("record", (int x) => recorded.Add(x));
        return linker;
    }

    [Fact]
    public void PieMain_ExitRunsLibraryDestructors_AfterTheMainsHandlers_BeforeLibcFlushes_LibcCleanupOnce()
    {
        var recorded = new List<int>();
        var traced = new List<string>();
        using var linker = Linker(recorded, traced);
        linker.Load(Path.Combine(Dir, "main.wasm"), new LinkOptions { Source = Source(), SearchPaths = [Dir] });
        Assert.Empty(recorded);
        Assert.Equal(7, linker.RunMain());

        // The main's handler; the loader's (libown.so's exit cleanup, libplug.so's handler, in reverse constructor
        // order: libc.so, constructed first, is not run again); libc.so's own handler, registered before the loader's;
        // libc's flush, once.
        Assert.Equal([1, 3, 2, 500, Flush], recorded);
        Assert.Contains("exit: library destructors registered with libc.so's __cxa_atexit", traced);
    }

    [Fact]
    public void HostedProgram_LibcsExitCleanup_RunsLibraryDestructors_OnceEach()
    {
        var recorded = new List<int>();
        using var linker = Linker(recorded);
        linker.LoadLibraries(new LinkOptions { Source = Source(), SearchPaths = [Dir], Libraries = ["libc.so", "libown.so"] });
        var plugin = linker.Open("libplug.so", OpenMode.Now | OpenMode.Global);
        linker.Close(plugin);
        Assert.Equal([2], recorded); // at dlclose, as glibc's __cxa_finalize does

        var cleanup = linker.GetFunction("__wasm_call_dtors");
        cleanup.Invoke();
        Assert.Equal([2, 3, 500, Flush], recorded);
        cleanup.Invoke(); // a second exit finds nothing left to destroy: only libc's flush again
        Assert.Equal([2, 3, 500, Flush, Flush], recorded);
    }

    [Fact]
    public void DlclosingTheLibcThatHoldsTheHandler_IsNoExit()
    {
        // libc.so opened RTLD_GLOBAL defines the program's __cxa_atexit, so the handler goes into its list; closing it
        // runs that list (its __wasm_call_dtors), the loader's handler included, which must not destroy libown.so.
        var recorded = new List<int>();
        using var linker = Linker(recorded);
        linker.LoadLibraries(new LinkOptions { Source = Source(), SearchPaths = [Dir], Libraries = ["libown.so"] });
        var libc = linker.Open("libc.so", OpenMode.Now | OpenMode.Global);
        linker.Close(libc);
        Assert.Equal([500, Flush], recorded);
    }

    [Fact]
    public void AMainThatDefinesCxaAtexit_HoldsTheHandler_RegisteredBeforeItsOwnConstructors()
    {
        // A PIE main with its libc linked in: its own __cxa_atexit is the program's, even with a libc.so loaded too.
        var recorded = new List<int>();
        using var linker = Linker(recorded);
        var source = Source().Add("main.wasm", """
            (module
              (@dylink.0 (mem-info (memory 64 0) (table 1 0)) (needed "libplug.so" "libc.so"))
              (import "env" "memory" (memory 0))
              (import "env" "__indirect_function_table" (table 0 funcref))
              (import "env" "__memory_base" (global $mb i32))
              (import "env" "__table_base" (global $tb i32))
              (import "env" "record" (func $record (param i32)))
              (func $cxa_atexit (export "__cxa_atexit") (param $f i32) (param $a i32) (param $d i32) (result i32)
                (i32.store offset=4 (i32.add (global.get $mb) (i32.shl (i32.load (global.get $mb)) (i32.const 2))) (local.get $f))
                (i32.store (global.get $mb) (i32.add (i32.load (global.get $mb)) (i32.const 1)))
                (i32.const 0))
              (func $handler (param i32) (call $record (i32.const 1)))
              (elem (global.get $tb) $handler)
              (func (export "_start")
                (drop (call $cxa_atexit (global.get $tb) (i32.const 0) (i32.const 0)))
                ;; exit: the handlers, last first (slots at + 4 ...), then the flush
                (block $done (loop $next
                  (br_if $done (i32.eqz (i32.load (global.get $mb))))
                  (i32.store (global.get $mb) (i32.sub (i32.load (global.get $mb)) (i32.const 1)))
                  (call_indirect (param i32) (i32.const 0)
                    (i32.load offset=4 (i32.add (global.get $mb) (i32.shl (i32.load (global.get $mb)) (i32.const 2)))))
                  (br $next)))
                (call $record (i32.const 888))))
            """);
        linker.Load(Path.Combine(Dir, "main.wasm"), new LinkOptions { Source = source, SearchPaths = [Dir] });
        Assert.Equal(0, linker.RunMain());

        // The main's handler, then the loader's: libplug.so's handler, then libc.so's exit cleanup, which is just a
        // library's own libc here (its handler, its flush), not the program's; then the main's flush.
        Assert.Equal([1, 2, 500, Flush, 888], recorded);
    }

    [Fact]
    public void Open_ConstructsTheProvidersOfItsNewLibrariesFirst()
    {
        // libplug.so traps in its constructor unless libc.so's ran first; neither lists the other in NEEDED.
        var traced = new List<string>();
        using var linker = Linker([], traced);
        var source = Source().Add("libuser.so", Side("", needed: "\"libplug.so\" \"libc.so\""));
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir] });
        var user = linker.Open("libuser.so");
        Assert.True(linker.IsLoaded(user));
        Assert.Equal(["libc.so: calling __wasm_call_ctors", "libplug.so: calling __wasm_call_ctors"], traced.Where(t => t.EndsWith("calling __wasm_call_ctors", StringComparison.Ordinal)));
    }

    [Fact]
    public void Wasm64Libc_GetsAnI64ExitHandler()
    {
        var source = new InMemorySource()
            .Add("libc64.so", """
                (module
                  (@dylink.0 (mem-info (memory 16 0)))
                  (import "env" "memory" (memory i64 0))
                  (import "env" "__indirect_function_table" (table $t i64 0 funcref))
                  (import "env" "__memory_base" (global $mb i64))
                  (import "env" "note" (func $note (param i64)))
                  (func (export "__cxa_atexit") (param $f i64) (param $a i64) (param $d i64) (result i32)
                    (i64.store (global.get $mb) (local.get $f))
                    (i64.store offset=8 (global.get $mb) (local.get $a))
                    (i32.const 0))
                  (func (export "__wasm_call_dtors")
                    (call_indirect $t (param i64) (i64.load offset=8 (global.get $mb)) (i64.load (global.get $mb)))
                    (call $note (i64.const 999))))
                """)
            .Add("libdtor64.so", Wasm64Tests.Dtor64Library);
        var noted = new List<long>();
        using var linker = new DynamicLinker();
        linker.DefineFunction("note", (long value) => noted.Add(value));
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libc64.so", "libdtor64.so"] });
        linker.GetFunction("__wasm_call_dtors").Invoke();
        Assert.Equal([0x1_0000_0007L, Flush], noted);
    }

    [Fact]
    public void Exit_DestroysALibraryBeforeTheOneItWasLazilyBoundTo_ThoughThatOneCameLater()
    {
        // liblazy.so is opened first, RTLD_LAZY, with late_f undefined; liblate.so defines it and is opened after; the
        // first call binds liblazy.so to it. liblazy.so's destructor calls late_f, which adds 1000 once liblate.so's
        // own destructor ran: reverse constructor order alone would destroy liblate.so first.
        var source = Source()
            .Add("liblazy.so", Side("""
                (import "env" "__cxa_atexit" (func $atexit (param i32 i32 i32) (result i32)))
                (import "env" "late_f" (func $late (param i32)))
                (func $dtor (param i32) (call $late (i32.const 10)))
                (elem (global.get 1) $dtor)
                (func (export "__wasm_call_ctors") (drop (call $atexit (global.get 1) (i32.const 0) (i32.const 0))))
                (func (export "use_late") (call $late (i32.const 1)))
                """, table: 1))
            .Add("liblate.so", Side("""
                (import "env" "__cxa_atexit" (func $atexit (param i32 i32 i32) (result i32)))
                (import "env" "record" (func $record (param i32)))
                (func $dtor (param i32) (call $record (i32.const 20)) (i32.store (global.get 0) (i32.const 1)))
                (elem (global.get 1) $dtor)
                (func (export "late_f") (param i32)
                  (call $record (i32.add (local.get 0) (i32.mul (i32.load (global.get 0)) (i32.const 1000)))))
                (func (export "__wasm_call_ctors") (drop (call $atexit (global.get 1) (i32.const 0) (i32.const 0))))
                """, memory: 4, table: 1));
        var recorded = new List<int>();
        using var linker = Linker(recorded);
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libc.so"] });
        linker.Open("liblazy.so", OpenMode.Lazy | OpenMode.Global);
        linker.Open("liblate.so", OpenMode.Now | OpenMode.Global);
        linker.GetFunction("use_late").Invoke();
        linker.GetFunction("__wasm_call_dtors").Invoke();
        Assert.Equal([1, 10, 20, 500, Flush], recorded);
    }
}
