using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Linking.Tests;

/// <summary>
/// The rules a program built against a shared <c>libc.so</c> relies on: wasi-libc's <c>__wasm_call_dtors</c> is an
/// ordinary symbol while the names wasm-ld synthesizes per module stay each module's own, the main's <c>__cxa_atexit</c>
/// is its libc's while a library's is the loader's, and constructors run after the providers a module's imports are
/// bound to, listed in NEEDED or not.
/// </summary>
public class LibcProgramTests
{
    private static LinkException Fails(Func<LinkPlan> plan) => Assert.Throws<LinkException>(() => plan());

    private static T Binding<T>(LinkPlan plan, string module, string import)
        where T : ImportBinding =>
        Assert.IsType<T>(plan.Modules.Single(m => m.Name == module).Imports.Single(b => b.Import.Name == import));

    private static string[] Names(LinkPlan plan, IEnumerable<int> order) => [.. order.Select(i => plan.Modules[i].Name)];

    // A wasi-libc built as a side module: exit-time functions as wasi-libc defines them.
    private const string Libc = """
        (func (export "__cxa_atexit") (param i32 i32 i32) (result i32) (i32.const 0))
        (func (export "__wasm_call_dtors"))
        (func (export "exit") (param i32))
        (func (export "write") (param i32) (result i32) (local.get 0))
        """;

    // A PIE main linked with upstream wasi-sdk's crt1-command.o, which calls __wasm_call_dtors after main.
    private static string PieMain(string needed, string body = "") => $$"""
        (module (@dylink.0 (mem-info (memory 0 0)) (needed {{needed}}))
          (import "env" "memory" (memory 0)) (import "env" "__memory_base" (global i32))
          (import "env" "__wasm_call_dtors" (func $dtors))
          (import "env" "__cxa_atexit" (func (param i32 i32 i32) (result i32)))
          {{body}}
          (func (export "_start") (call $dtors)))
        """;

    [Fact]
    public void CallDtors_IsAnOrdinarySymbol_TheMainsImportBindsToLibc()
    {
        var source = new InMemorySource()
            .Add("main.wasm", PieMain("\"libc.so\""))
            .Add("libc.so", Side(Libc));
        var plan = source.Plan("main.wasm");
        Assert.Equal("libc.so", plan.Modules[Binding<FunctionBinding>(plan, "main.wasm", "__wasm_call_dtors").Provider].Name);
    }

    [Fact]
    public void CallDtors_WithNoDefinition_IsAnUndefinedSymbol()
    {
        var source = new InMemorySource()
            .Add("main.wasm", PieMain("\"libc.so\""))
            .Add("libc.so", Side("""(func (export "__cxa_atexit") (param i32 i32 i32) (result i32) (i32.const 0))"""));
        Assert.Equal(["main.wasm: undefined symbol: __wasm_call_dtors (function () -> nil)"], Fails(() => source.Plan("main.wasm")).Errors);
    }

    [Fact]
    public void CxaAtexit_IsLibcsForTheMain_AndTheLoadersForEveryLibrary_LibcIncluded()
    {
        var source = new InMemorySource()
            .Add("main.wasm", PieMain("\"libplug.so\" \"libc.so\""))
            .Add("libplug.so", Side("""(import "env" "__cxa_atexit" (func (param i32 i32 i32) (result i32)))"""))
            .Add("libc.so", Side(Libc));
        var plan = source.Plan("main.wasm");
        Assert.Equal("libc.so", plan.Modules[Binding<FunctionBinding>(plan, "main.wasm", "__cxa_atexit").Provider].Name);
        // Each library's handlers are its own, run when it is unloaded: wasi-libc's __cxa_atexit has no __cxa_finalize.
        Binding<HostBinding>(plan, "libplug.so", "__cxa_atexit");
    }

    [Fact]
    public void ModuleLocalAbiExports_NeverEnterAnyScope_AnImportOfOneIsRefused()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""
                (func (export "__wasm_call_ctors")) (func (export "__wasm_apply_data_relocs"))
                (global (export "__dso_handle") i32 (i32.const 0))
                """, memory: 4, needed: "\"libb.so\""))
            .Add("libb.so", Side("""
                (import "env" "__wasm_call_ctors" (func))
                (import "env" "__wasm_apply_data_relocs" (func))
                (import "GOT.mem" "__dso_handle" (global (mut i32)))
                """));
        Assert.Equal(
            [
                "libb.so: undefined symbol: __wasm_call_ctors (function () -> nil); every module has its own __wasm_call_ctors, so only a definition in libb.so itself can satisfy it",
                "libb.so: undefined symbol: __wasm_apply_data_relocs (function () -> nil); every module has its own __wasm_apply_data_relocs, so only a definition in libb.so itself can satisfy it",
                "libb.so: undefined symbol: __dso_handle (data); every module has its own __dso_handle, so only a definition in libb.so itself can satisfy it",
            ],
            Fails(() => source.PlanHosted("liba.so")).Errors);

        // RTLD_LAZY does not defer it: no later definition could ever satisfy it.
        Assert.Equal(3, Fails(() => LinkPlanner.PlanHosted(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["liba.so"], LazyBinding = true })).Errors.Count);
    }

    [Fact]
    public void ModuleLocalImport_BindsToTheModulesOwnDefinition_OrIsWeak()
    {
        // wasm-ld marks a weak definition by importing its own name as well as exporting it.
        var source = new InMemorySource()
            .Add("liba.so", Side("""(func (export "__wasm_call_ctors"))""", needed: "\"libb.so\" \"libc.so\""))
            .Add("libb.so", Side("""(import "env" "__wasm_call_ctors" (func)) (func (export "__wasm_call_ctors"))"""))
            .Add("libc.so", $$"""
                (module
                  (@dylink.0 (mem-info (memory 0 0)) (import-info "env" "__wasm_call_ctors" binding-weak undefined))
                  (import "env" "memory" (memory 0))
                  (import "env" "__memory_base" (global i32))
                  (import "env" "__wasm_call_ctors" (func)))
                """);
        var plan = source.PlanHosted("liba.so");
        var own = Binding<FunctionBinding>(plan, "libb.so", "__wasm_call_ctors");
        Assert.Equal("libb.so", plan.Modules[own.Provider].Name);
        Assert.NotNull(own.Forwarder); // bound to itself: it exists only once it is instantiated
        Binding<WeakUndefinedBinding>(plan, "libc.so", "__wasm_call_ctors");
    }

    [Fact]
    public void ConstructorOrder_PutsProvidersFirst_EvenWhenNotInNeeded()
    {
        // libplug.so uses libc.so's write but lists no NEEDED: NEEDED alone would construct it first.
        var source = new InMemorySource()
            .Add("main.wasm", PieMain("\"libplug.so\" \"libc.so\""))
            .Add("libplug.so", Side("""(import "env" "write" (func (param i32) (result i32))) (func (export "__wasm_call_ctors"))"""))
            .Add("libc.so", Side(Libc));
        var plan = source.Plan("main.wasm");
        Assert.Equal(["libc.so", "libplug.so", "main.wasm"], Names(plan, plan.ConstructorOrder));
        Assert.Equal(["libc.so", "libplug.so", "main.wasm"], Names(plan, plan.InstantiationOrder));
        Assert.Null(Binding<FunctionBinding>(plan, "libplug.so", "write").Forwarder); // its provider exists first now
    }

    [Fact]
    public void ConstructorOrder_FollowsDataAndFunctionAddressImports_Too()
    {
        var source = new InMemorySource()
            .Add("libuser.so", Side("""
                (import "GOT.mem" "errno" (global (mut i32)))
                (import "GOT.func" "write" (global (mut i32)))
                """))
            .Add("libc.so", Side(Libc + """(global (export "errno") i32 (i32.const 0))""", memory: 4));
        var plan = source.PlanHosted("libuser.so", "libc.so");
        Assert.Equal(["libc.so", "libuser.so"], Names(plan, plan.ConstructorOrder));
    }

    [Fact]
    public void ConstructorOrder_CutsBindingCyclesDeterministically_NeededFirst()
    {
        // Bound to each other, neither listed: the first in load order is visited first, so its provider goes first.
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "env" "b" (func)) (func (export "a"))"""))
            .Add("libb.so", Side("""(import "env" "a" (func)) (func (export "b"))"""));
        var plan = source.PlanHosted("liba.so", "libb.so");
        Assert.Equal(["libb.so", "liba.so"], Names(plan, plan.ConstructorOrder));
        plan = source.PlanHosted("libb.so", "liba.so");
        Assert.Equal(["liba.so", "libb.so"], Names(plan, plan.ConstructorOrder));
    }

    [Fact]
    public void ConstructorOrder_FollowsNeededBeforeBindings()
    {
        // liba.so needs libc.so and is bound to libb.so: its NEEDED entries are visited first.
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "env" "b" (func))""", needed: "\"libc.so\""))
            .Add("libb.so", Side("""(func (export "b"))"""))
            .Add("libc.so", Side(""));
        var plan = source.PlanHosted("liba.so", "libb.so");
        Assert.Equal(["liba.so", "libb.so", "libc.so"], plan.Modules.Select(m => m.Name));
        Assert.Equal(["libc.so", "libb.so", "liba.so"], Names(plan, plan.ConstructorOrder));
    }

    [Fact]
    public void ConstructorOrder_ABindingNeverOverridesNeededTheOtherWay()
    {
        // libx.so needs libc.so and interposes a symbol libc.so imports (wasm-ld imports every weak symbol a shared
        // library defines): libc.so is bound to libx.so, but libx.so's NEEDED entry says which goes first.
        var source = new InMemorySource()
            .Add("main.wasm", PieMain("\"libc.so\" \"libx.so\""))
            .Add("libc.so", Side("""(import "env" "hook" (func))""" + Libc))
            .Add("libx.so", Side("""(import "env" "write" (func (param i32) (result i32))) (func (export "hook"))""", needed: "\"libc.so\""));
        var plan = source.Plan("main.wasm");
        Assert.Equal("libx.so", plan.Modules[Binding<FunctionBinding>(plan, "libc.so", "hook").Provider].Name);
        Assert.Equal(["libc.so", "libx.so", "main.wasm"], Names(plan, plan.ConstructorOrder));
    }

    [Fact]
    public void ConstructorOrder_AFixedMainStaysLast_AndItsLibrariesKeepTheirOrder()
    {
        // Libraries calling the main's malloc do not pull the main (or what it needs) ahead of them.
        var source = new InMemorySource()
            .Add("main.wasm", """
                (module (@dylink.0 (mem-info (memory 0 0)) (needed "liba.so" "libb.so"))
                  (memory (export "memory") 1)
                  (func (export "malloc") (param i32) (result i32) (i32.const 4096))
                  (func (export "_start")))
                """)
            .Add("liba.so", Side("""(import "env" "malloc" (func (param i32) (result i32)))""", memory: 8))
            .Add("libb.so", Side("""(import "env" "malloc" (func (param i32) (result i32)))""", memory: 8));
        var plan = source.Plan("main.wasm");
        Assert.Equal(["liba.so", "libb.so", "main.wasm"], Names(plan, plan.ConstructorOrder));
        Assert.Equal(["main.wasm", "liba.so", "libb.so"], Names(plan, plan.InstantiationOrder));
    }

    [Fact]
    public void ConstructorOrder_OfADlopen_PutsItsNewProvidersFirst()
    {
        var source = new InMemorySource()
            .Add("libstart.so", Side("""(func (export "old_f"))"""))
            .Add("libuser.so", Side("", needed: "\"libx.so\" \"libc.so\""))
            .Add("libx.so", Side("""(import "env" "write" (func (param i32) (result i32))) (import "env" "old_f" (func))"""))
            .Add("libc.so", Side(Libc));
        var scope = new ProgramScope(source.PlanHosted("libstart.so"), []);
        var plan = LinkPlanner.PlanOpen(scope, "libuser.so", new LinkOptions { Source = source, SearchPaths = [Dir] });
        Assert.Equal(["libc.so", "libx.so", "libuser.so"], Names(plan, plan.ConstructorOrder));
    }
}
