using Dylink.Format;
using Dylink.Linking;
using Dylink.Linking.Tests;
using Dylink.Tests;
using Wasmtime;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

public class CallTableTests
{
    public static TheoryData<string> FixturesThatCallImports() =>
        [.. Fixtures.WellFormed().Where(n => WasmModule.Parse(Fixtures.Bytes(n), n).Imports.Any(i => i.Module == "env" && i.Kind == ExternalKind.Function))];

    [Theory]
    [MemberData(nameof(FixturesThatCallImports))]
    public void EveryFixture_IsRewritten_AndWasmtimeAcceptsTheResult(string name)
    {
        // No fixture falls back to thunks: every instruction clang, emcc and rustc emit here is decoded.
        var module = WasmModule.Parse(Fixtures.Bytes(name), name);
        var rewritten = CallTables.Rewrite(module);
        if (rewritten is null)
        {
            return; // its imports are never called directly (address-taken only, or no code)
        }

        using var engine = new Engine(DynamicLinker.EngineConfig(new DynamicLinkerOptions()));
        Assert.Null(Wasmtime.Module.Validate(engine, rewritten.Bytes));
        Assert.Equal(module.Imports.Length, WasmModule.Parse(Fixtures.Bytes(name), name).Imports.Length);
    }

    [Fact]
    public void AnInvalidModule_FailsWithTheEnginesMessageAboutItsOwnBytes_NotTheRewrittenOnes()
    {
        // i32.add on an empty stack after a rewritten call: the offset must be the one in the file.
        var bytes = Wasmtime.Module.ConvertText(Side("""
            (import "env" "f" (func $f))
            (func (export "g") (call $f) (drop (i32.add)))
            """));
        var source = new InMemorySource().Add("libf.so", Side("""(func (export "f"))""")).AddBytes("libbad.so", bytes);
        using var engine = new Engine(DynamicLinker.EngineConfig(new DynamicLinkerOptions()));
        var expected = Wasmtime.Module.Validate(engine, bytes);
        Assert.NotNull(expected);

        using var linker = new DynamicLinker();
        var e = Assert.Throws<LoadException>(() =>
            linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libf.so", "libbad.so"] }));
        Assert.StartsWith("libbad.so: cannot compile: ", e.Message, StringComparison.Ordinal);
        // Validation gives the offset in hex, compilation in decimal: the same byte of the file.
        var hex = System.Text.RegularExpressions.Regex.Match(expected, "at offset 0x([0-9a-f]+)").Groups[1].Value;
        Assert.NotEmpty(hex);
        Assert.Contains($"at offset {Convert.ToInt64(hex, 16)}:", e.Message, StringComparison.Ordinal);
        Assert.Contains("type mismatch", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALibraryWithSeveralCallTables_OpenedAndClosedAgain_ReachesTheInstanceLimit_NotATableLimitFirst()
    {
        // Three signatures, three call tables per instance; every unloaded instance stays in the store with them.
        var source = new InMemorySource()
            .Add("libbase.so", Side("""
                (func (export "f0")) (func (export "f1") (param i32)) (func (export "f2") (param i32 i32) (result i32) (local.get 0))
                """))
            .Add("libuser.so", Side("""
                (import "env" "f0" (func $f0)) (import "env" "f1" (func $f1 (param i32)))
                (import "env" "f2" (func $f2 (param i32 i32) (result i32)))
                (func (export "use") (result i32) (call $f0) (call $f1 (i32.const 1)) (call $f2 (i32.const 7) (i32.const 8)))
                """));
        using var linker = new DynamicLinker(new DynamicLinkerOptions { MaxInstances = 40 });
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libbase.so"] });

        for (var i = 0; i < 30; i++)
        {
            var handle = linker.Open("libuser.so");
            Assert.Equal(7, linker.GetFunction<int>(handle, "use")());
            linker.Close(handle);
        }
    }

    [Fact]
    public void WithCallTablesOff_EveryLoadCompilesModulesAsTheyAre_ALoadOfOneModuleToo()
    {
        var source = new InMemorySource()
            .Add("libbase.so", Side("""(func (export "f") (result i32) (i32.const 1))"""))
            .Add("libuser.so", Side("""(import "env" "f" (func $f (result i32))) (func (export "g") (result i32) (call $f))"""));
        var plan = LinkPlanner.PlanHosted(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libbase.so", "libuser.so"] });
        using var engine = new Engine(DynamicLinker.EngineConfig(new DynamicLinkerOptions()));
        using var cache = new ModuleCache();
        var user = plan.Modules.Single(m => m.Name == "libuser.so");

        bool Rewritten(Wasmtime.Module module) => module.Exports.Any(e => e.Name.StartsWith(CallTables.SetterPrefix, StringComparison.Ordinal));

        Assert.False(Rewritten(cache.CompileAll(engine, [user], rewriteCalls: false)[0]));
        Assert.False(Rewritten(cache.CompileAll(engine, plan.Modules, rewriteCalls: false)[1]));
        Assert.True(Rewritten(cache.CompileAll(engine, [user])[0]));
    }

    // libcaller is needed by libprovider, so it is instantiated first and its import of tiny is late-bound (a cycle).
    private static InMemorySource Cycle() => new InMemorySource()
        .Add("libprovider.so", Side("""
            (func $tiny (export "tiny") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
            (func (export "other") (param i32) (result i32) (i32.add (local.get 0) (i32.const 100)))
            """, needed: "\"libcaller.so\""))
        .Add("libcaller.so", Side("""
            (import "env" "tiny" (func $tiny (param i32) (result i32)))
            (func (export "call_tiny") (param i32) (result i32) (call $tiny (local.get 0)))
            """));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ACycle_LateBoundCall_ReachesItsProvider_AndFollowsARebind(bool callTables)
    {
        using var linker = new DynamicLinker(new DynamicLinkerOptions { CallTables = callTables });
        linker.LoadLibraries(new LinkOptions { Source = Cycle(), SearchPaths = [Dir], Libraries = ["libprovider.so"] });
        var call = linker.GetFunction<int, int>("call_tiny");
        Assert.Equal(2, call(1));
        Assert.True(linker.Rebind("tiny", "other").Complete); // forwarded: through the thunk's slot, or the call table
        Assert.Equal(101, call(1));
        linker.Restore("tiny");
        Assert.Equal(2, call(1));
    }

    [Fact]
    public void ACycle_LateBoundCall_GoesThroughTheCallersCallTable_NotTheThunk()
    {
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = Cycle(), SearchPaths = [Dir], Libraries = ["libprovider.so"] });
        var entry = Assert.Single(linker.CallEntriesOf("libcaller.so")).Value;
        Assert.Equal(0u, entry.Entry);

        // Emptying the forwarding slot the thunk calls through changes nothing: the call no longer uses it.
        linker.ForwardingTable!.SetElement(0, null);
        Assert.Equal(2, linker.GetFunction<int, int>("call_tiny")(1));
    }

    [Fact]
    public void ALateBoundImport_CalledBeforeItsProviderExists_TrapsNamingBoth()
    {
        // libcaller's start function calls tiny while libprovider (which needs libcaller) is not instantiated yet.
        var source = new InMemorySource()
            .Add("libprovider.so", Side("""(func (export "tiny") (param i32) (result i32) (local.get 0))""", needed: "\"libcaller.so\""))
            .Add("libcaller.so", Side("""
                (import "env" "tiny" (func $tiny (param i32) (result i32)))
                (func $early (drop (call $tiny (i32.const 1))))
                (start $early)
                """));
        using var linker = new DynamicLinker();
        var e = Assert.Throws<LoadException>(() =>
            linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libprovider.so"] }));
        Assert.StartsWith("libcaller.so: instantiation failed: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("libcaller.so: tiny was called before libprovider.so was instantiated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALateBoundImport_AlsoTakenByRefFunc_KeepsItsThunk_AndBothPathsReachTheProvider()
    {
        var source = new InMemorySource()
            .Add("libprovider.so", Side("""(func (export "tiny") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))""", needed: "\"libcaller.so\""))
            .Add("libcaller.so", Side("""
                (type $t (func (param i32) (result i32)))
                (import "env" "tiny" (func $tiny (type $t)))
                (elem declare func $tiny)
                (func (export "call_tiny") (param i32) (result i32) (call $tiny (local.get 0)))
                (func (export "call_ref") (param i32) (result i32) (call_ref $t (local.get 0) (ref.func $tiny)))
                """));
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libprovider.so"] });
        Assert.Equal(2, linker.GetFunction<int, int>("call_tiny")(1));
        Assert.Equal(2, linker.GetFunction<int, int>("call_ref")(1)); // the import itself: the thunk, then the forwarding slot
        linker.Rebind("tiny", (int x) => x + 10);
        Assert.Equal((11, 11), (linker.GetFunction<int, int>("call_tiny")(1), linker.GetFunction<int, int>("call_ref")(1)));
    }

    [Fact]
    public void OpeningAndClosingACaller_DoesNotGrowItsProvidersList()
    {
        var source = new InMemorySource()
            .Add("libtarget.so", Side("""(func (export "target") (result i32) (i32.const 1))"""))
            .Add("libuser.so", Side("""
                (import "env" "target" (func $target (result i32)))
                (func (export "use") (result i32) (call $target))
                """));
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libtarget.so"] });
        for (var i = 0; i < 20; i++)
        {
            var handle = linker.Open("libuser.so");
            Assert.Equal(1, linker.GetFunction<int>(handle, "use")());
            Assert.Equal(1, linker.CallersOf("libtarget.so", "target")); // the unloaded ones' entries went
            linker.Close(handle);
        }
    }

    [Fact]
    public void ALibraryLoadedAfterARebind_CallsTheReplacement()
    {
        var source = new InMemorySource()
            .Add("libtarget.so", Side("""(func (export "target") (result i32) (i32.const 1)) (func (export "alt") (result i32) (i32.const 2))"""))
            .Add("liblate.so", Side("""
                (import "env" "target" (func $target (result i32)))
                (func (export "late") (result i32) (call $target))
                """, needed: "\"libtarget.so\""));
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libtarget.so"] });
        linker.Rebind("target", "alt");
        linker.Open("liblate.so", OpenMode.Now | OpenMode.Global);
        Assert.Equal(2, linker.GetFunction<int>("late")());
        linker.Restore("target");
        Assert.Equal(1, linker.GetFunction<int>("late")());
    }
}
