using System.Globalization;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Linking.Tests;

/// <summary>Every link error, pinned. All errors of a plan are reported together.</summary>
public class LinkErrorTests
{
    private static LinkException Fails(Func<LinkPlan> plan) => Assert.Throws<LinkException>(() => plan());

    [Fact]
    public void UndefinedSymbols_AreAllListed_WithImporterAndType()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""
                (import "env" "f" (func (param i32) (result i32)))
                (import "GOT.mem" "d" (global (mut i32)))
                (import "GOT.func" "g" (global (mut i32)))
                (import "env" "h" (global i64))
                """))
            .Add("libb.so", Side("""(import "env" "f2" (func (param f64)))"""));
        var e = Fails(() => source.PlanHosted("liba.so", "libb.so"));
        Assert.Equal(
            [
                "liba.so: undefined symbol: f (function (i32) -> i32)",
                "liba.so: undefined symbol: d (data)",
                "liba.so: undefined symbol: g (function)",
                "liba.so: undefined symbol: h (global i64)",
                "libb.so: undefined symbol: f2 (function (f64) -> nil)",
            ],
            e.Errors);
        Assert.Equal(string.Join('\n', e.Errors), e.Message);
    }

    [Fact]
    public void SignatureMismatch_NamesBothModulesAndSignatures()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "env" "f" (func (param i32) (result i32)))""", needed: "\"libb.so\""))
            .Add("libb.so", Side("""(func (export "f") (param i32 i32) (result i32) (local.get 0))"""));
        var e = Fails(() => source.PlanHosted("liba.so"));
        Assert.Equal(["liba.so: f: imported as function (i32) -> i32 but libb.so defines function (i32, i32) -> i32"], e.Errors);
    }

    [Fact]
    public void KindMismatch_DataImportOfAFunction()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "GOT.mem" "f" (global (mut i32)))""", needed: "\"libb.so\""))
            .Add("libb.so", Side("""(func (export "f"))"""));
        Assert.Equal(["liba.so: f: imported as data but libb.so defines function () -> nil"], Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void KindMismatch_FunctionImportOfData()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "env" "d" (func))""", needed: "\"libb.so\""))
            .Add("libb.so", Side("""(global (export "d") i32 (i32.const 0))""", memory: 4));
        Assert.Equal(["liba.so: d: imported as function but libb.so defines data"], Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void GlobalTypeMismatch()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "env" "g" (global (mut i64)))""", needed: "\"libb.so\""))
            .Add("libb.so", Side("""(global (export "g") (mut i32) (i32.const 0))"""));
        Assert.Equal(["liba.so: g: imported as global i64 mut but libb.so defines global i32 mut"], Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void MissingLibrary_NamesWhoNeedsItAndWhereItLooked()
    {
        var source = new InMemorySource().Add("liba.so", Side("", needed: "\"libmissing.so\""));
        Assert.Equal(["libmissing.so: library not found (needed by liba.so); searched: /lib"], Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void MissingLibrary_GivenAsAPath()
    {
        var source = new InMemorySource();
        Assert.Equal(["/nowhere/libx.so: library not found (requested by -l); searched: /nowhere/libx.so"], Fails(() => source.PlanHosted("/nowhere/libx.so")).Errors);
    }

    [Fact]
    public void MalformedLibrary_NamesWhoNeedsIt()
    {
        var source = new InMemorySource().Add("liba.so", Side("", needed: "\"libbad.so\""));
        source.Add("libbad.so", "(module)");
        var bad = new BrokenSource(source, "/lib/libbad.so", [0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]);
        var e = Fails(() => LinkPlanner.PlanHosted(new LinkOptions { Source = bad, SearchPaths = ["/lib"], Libraries = ["liba.so"] }));
        Assert.Equal(["/lib/libbad.so: unsupported binary version 0x2 (expected 0x1) (at offset 0x4) (needed by liba.so)"], e.Errors);
    }

    /// <summary>A PIE main that needs <c>needed</c> and imports function <c>f</c>.</summary>
    private static string PieMain(string needed) => $$"""
        (module
          (@dylink.0 (mem-info (memory 0 0)) (needed "{{needed}}"))
          (import "env" "memory" (memory 0))
          (import "env" "__memory_base" (global i32))
          (import "env" "f" (func (result i32)))
          (func (export "_start")))
        """;

    /// <summary>What wasm-ld writes for a program linked with --unresolved-symbols=import-dynamic: dylink.0, and its own
    /// memory, table and _start.</summary>
    private const string Program = """
        (module
          (@dylink.0 (mem-info (memory 0 0)))
          (memory (export "memory") 1)
          (table 1 funcref)
          (func (export "_start")))
        """;

    [Fact]
    public void LibraryFromDashL_IsRequestedByDashL_NotNeededByTheMain()
    {
        var source = new InMemorySource().Add("main.wasm", PieMain("liba.so")).Add("liba.so", Side("""(func (export "f") (result i32) (i32.const 1))"""));
        Assert.Equal(
            ["libnope.so: library not found (requested by -l); searched: /lib"],
            Fails(() => source.Plan("main.wasm", new LinkOptions { Libraries = ["libnope.so"] })).Errors);
        Assert.Equal(
            ["libnope.so: library not found (requested by --preload); searched: /lib"],
            Fails(() => source.Plan("main.wasm", new LinkOptions { Preload = ["libnope.so"] })).Errors);
    }

    [Fact]
    public void LibraryFromOpenOrDlopen_IsRequestedBySo()
    {
        var source = new InMemorySource().Add("libstart.so", Side(""));
        var scope = new ProgramScope(source.PlanHosted("libstart.so"), []);
        var options = new LinkOptions { Source = source, SearchPaths = [Dir] };
        Assert.Equal(
            ["libnope.so: library not found (requested by Open); searched: /lib"],
            Fails(() => LinkPlanner.PlanOpen(scope, "libnope.so", options)).Errors);
        Assert.Equal(
            ["libnope.so: library not found (requested by dlopen); searched: /lib"],
            Fails(() => LinkPlanner.PlanOpen(scope, "libnope.so", options with { Requester = LibraryRequester.Dlopen })).Errors);
        Assert.Equal(
            ["libnope.so: library not found (requested by Reload); searched: /lib"],
            Fails(() => LinkPlanner.PlanOpen(scope, "libnope.so", options, fresh: true)).Errors);
        Assert.Equal(["Open: the library name is empty"], Fails(() => LinkPlanner.PlanOpen(scope, "", options)).Errors);
    }

    [Fact]
    public void AProgramGivenAsALibrary_IsRefused_SayingHowToBuildALibrary()
    {
        var source = new InMemorySource().Add("libprog.so", Program).Add("libstart.so", Side(""));
        const string Refusal = "libprog.so: is a program, not a shared library: it has its own memory and table and exports _start{0}; "
            + "build a library with -shared -fPIC (clang --target=wasm32-wasi -shared -fPIC -o lib.so …, or emcc -sSIDE_MODULE=1)";
        Assert.Equal([string.Format(CultureInfo.InvariantCulture, Refusal, " (requested by -l)")], Fails(() => source.PlanHosted("libprog.so")).Errors);
        source.Add("libuser.so", Side("", needed: "\"libprog.so\""));
        Assert.Equal([string.Format(CultureInfo.InvariantCulture, Refusal, " (needed by libuser.so)")], Fails(() => source.PlanHosted("libuser.so")).Errors);
        var scope = new ProgramScope(source.PlanHosted("libstart.so"), []);
        Assert.Equal(
            [string.Format(CultureInfo.InvariantCulture, Refusal, " (requested by Open)")],
            Fails(() => LinkPlanner.PlanOpen(scope, "libprog.so", new LinkOptions { Source = source, SearchPaths = [Dir] })).Errors);
        // As the main it is what it is: a program.
        Assert.Equal(MainKind.Fixed, source.Plan("libprog.so").Kind);
    }

    [Fact]
    public void Inspect_GoesOnPastAMissingLibrary_AndListsWhatItLeavesUndefined()
    {
        var source = new InMemorySource().Add("main.wasm", PieMain("libmissing.so"));
        var options = new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libextra.so"] };
        source.Add("libextra.so", Side("""(import "env" "g" (global i64))"""));
        // Plan stays strict: it stops at the missing library.
        Assert.Equal(
            ["libmissing.so: library not found (needed by main.wasm); searched: /lib"],
            Fails(() => LinkPlanner.Plan("/lib/main.wasm", options)).Errors);

        var report = LinkPlanner.Inspect("/lib/main.wasm", options);
        Assert.False(report.IsComplete);
        Assert.Equal([new ReportedModule("main.wasm", "/lib/main.wasm", true, null), new ReportedModule("libextra.so", "/lib/libextra.so", false, "main.wasm")], report.Modules);
        Assert.Equal([new MissingLibrary("libmissing.so", "main.wasm", true, "libmissing.so: library not found (needed by main.wasm); searched: /lib")], report.Missing);
        Assert.Equal(
            [
                new UndefinedSymbol("main.wasm", "f", "function () -> i32", "main.wasm: undefined symbol: f (function () -> i32)"),
                new UndefinedSymbol("libextra.so", "g", "global i64", "libextra.so: undefined symbol: g (global i64)"),
            ],
            report.Undefined);
        Assert.Equal([.. report.Missing.Select(m => m.Message), .. report.Undefined.Select(u => u.Message)], report.Errors);
        Assert.Equal(["main.wasm", "libextra.so"], report.Plan!.Modules.Select(m => m.Name));
    }

    [Fact]
    public void Inspect_OfAProgramAmongTheLibraries_ReportsWithoutAPlan()
    {
        var source = new InMemorySource().Add("main.wasm", PieMain("libprog.so")).Add("libprog.so", Program);
        var report = LinkPlanner.Inspect("/lib/main.wasm", new LinkOptions { Source = source, SearchPaths = [Dir] });
        Assert.Null(report.Plan);
        Assert.Equal(["main.wasm", "libprog.so"], report.Modules.Select(m => m.Name));
        Assert.StartsWith("libprog.so: is a program, not a shared library", Assert.Single(report.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_OfACompleteProgram_IsThePlan()
    {
        var source = new InMemorySource().Add("main.wasm", PieMain("liba.so")).Add("liba.so", Side("""(func (export "f") (result i32) (i32.const 1))"""));
        var options = new LinkOptions { Source = source, SearchPaths = [Dir] };
        var report = LinkPlanner.Inspect("/lib/main.wasm", options);
        Assert.True(report.IsComplete);
        Assert.Equal((report.Missing.Count, report.Undefined.Count), (0, 0));
        Assert.Equal(LinkPlanner.Plan("/lib/main.wasm", options).Modules.Select(m => m.Name), report.Plan!.Modules.Select(m => m.Name));
    }

    [Fact]
    public void NotASharedLibrary()
    {
        var source = new InMemorySource().Add("libplain.so", "(module (func (export \"f\")))");
        Assert.Equal(["libplain.so: not a shared library: it has no dylink.0 section (requested by -l)"], Fails(() => source.PlanHosted("libplain.so")).Errors);
    }

    [Fact]
    public void SharedMemory_IsRefusedWithTheReason()
    {
        var source = new InMemorySource().Add("libt.so", """
            (module (@dylink.0 (mem-info (memory 0 0))) (import "env" "memory" (memory 1 65536 shared)))
            """);
        Assert.Equal(
            ["libt.so: imports a shared memory (it was built for threads); Wasmtime's .NET embedding cannot create shared memories"],
            Fails(() => source.PlanHosted("libt.so")).Errors);
    }

    [Fact]
    public void UnknownImportModule()
    {
        var source = new InMemorySource().Add("liba.so", Side("""(import "mystery" "f" (func))"""));
        Assert.Equal(["liba.so: cannot satisfy import mystery.f (func): unknown import module"], Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void OtherMemoryOrTableImports_AreRefused()
    {
        var source = new InMemorySource().Add("liba.so", """
            (module (@dylink.0 (mem-info (memory 0 0)))
              (import "env" "mem2" (memory 1))
              (import "GOT.mem" "t" (table 0 funcref)))
            """);
        Assert.Equal(
            ["liba.so: imports a memory as env.mem2; only env.memory is provided", "liba.so: imports a table as GOT.mem.t; only env.__indirect_function_table is provided"],
            Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void NonPieMain_WithoutAllocator_ExportedTableOrStackPointer()
    {
        var source = new InMemorySource()
            .Add("main.wasm", """
                (module
                  (@dylink.0 (mem-info (memory 0 0)) (needed "liba.so"))
                  (memory 1) (table 1 funcref)
                  (global $sp (mut i32) (i32.const 1024))
                  (func (export "_start")))
                """)
            .Add("liba.so", Side("""(import "env" "__stack_pointer" (global (mut i32)))""", memory: 16, table: 1));
        Assert.Equal(
            [
                "main.wasm: the libraries need 16 bytes of memory, but the main module exports no allocator (aligned_alloc, memalign, malloc) to place them in its heap",
                "main.wasm: the main module defines its memory without exporting it (link it with --export-memory)",
                "main.wasm: the main module defines its function table without exporting it (link it with --export-table --growable-table)",
                "main.wasm: libraries import __stack_pointer but the main module does not export it (link it with --export=__stack_pointer)",
            ],
            Fails(() => source.Plan("main.wasm")).Errors);
    }

    [Fact]
    public void GlobalFromALaterModule_CannotBeForwarded()
    {
        // liba needs libb, so libb is instantiated first; libb imports a global liba defines.
        var source = new InMemorySource()
            .Add("liba.so", Side("""(global (export "g") (mut i32) (i32.const 1))""", needed: "\"libb.so\""))
            .Add("libb.so", Side("""(import "env" "g" (global (mut i32)))"""));
        Assert.Equal(
            ["libb.so: g: the global is defined by liba.so, which can only be instantiated later"],
            Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void DataAddresses_TheLoaderCannotCompute()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "GOT.mem" "reexported" (global (mut i32))) (import "GOT.mem" "computed" (global (mut i32)))""", needed: "\"libd.so\""))
            .Add("libd.so", Side("""
                (export "reexported" (global 0))
                (global (export "computed") i32 (i32.mul (global.get 0) (i32.const 2)))
                """, memory: 8));
        Assert.Equal(
            [
                "libd.so: reexported: a re-exported imported global has no address the loader can compute",
                "libd.so: computed: the address is not a constant (global.get 0; i32.const 2; i32.mul)",
            ],
            Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void MissingMainFile()
    {
        var e = Fails(() => LinkPlanner.Plan("/nowhere/main.wasm", new LinkOptions()));
        Assert.Equal(["/nowhere/main.wasm: cannot read: no such file"], e.Errors);
    }

    private sealed class BrokenSource(IModuleSource inner, string path, byte[] bytes) : IModuleSource
    {
        public bool Exists(string p) => inner.Exists(p);

        public byte[] Read(string p) => p == path ? bytes : inner.Read(p);
    }
}
