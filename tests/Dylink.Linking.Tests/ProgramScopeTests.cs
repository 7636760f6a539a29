using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Linking.Tests;

/// <summary>A running program's scope as the runtime drives it: plans committed, libraries promoted and removed.
/// Slot numbers are made up (the runtime's table is not needed to check where they lead).</summary>
internal sealed class Running
{
    private uint _nextSlot = 100;

    public Running(InMemorySource source, LinkPlan startUp)
    {
        Source = source;
        Scope = new ProgramScope(startUp, Slots(startUp));
    }

    public InMemorySource Source { get; }

    public ProgramScope Scope { get; }

    public static Running Hosted(InMemorySource source, params string[] libraries) => new(source, source.PlanHosted(libraries));

    /// <summary>Plans and commits <c>dlopen(name)</c> as the runtime does; returns the library's index.</summary>
    public int Open(string name, bool global = false, int maxModules = 10_000)
    {
        var plan = LinkPlanner.PlanOpen(Scope, name, new LinkOptions { Source = Source, SearchPaths = [Dir], MaxModules = maxModules });
        if (plan.FirstNewModule < plan.Modules.Length)
        {
            Scope.Commit(plan, global, Slots(plan));
        }

        if (global)
        {
            Scope.Promote(plan.Root!.Value);
        }

        return plan.Root!.Value;
    }

    public int IndexOf(string name) => Scope.FindLoaded(name) ?? throw new KeyNotFoundException(name);

    public string? Name(Definition? definition) => definition is null ? null : Scope.Modules[definition.Provider].Name;

    private uint[] Slots(LinkPlan plan) => [.. plan.Slots.Select(_ => _nextSlot++)];
}

/// <summary>Every run-time lookup rule, without an engine: <c>dlsym</c> from each kind of handle, visibility, what
/// unloading brings back, and the limits that must count live modules only.</summary>
public class ProgramScopeTests
{
    private static string Function(string name, int value = 0) => $"""(func (export "{name}") (result i32) (i32.const {value}))""";

    [Fact]
    public void LookupDefault_IsTheGlobalScope_InLoadOrder()
    {
        var source = new InMemorySource()
            .Add("libbase.so", Side(Function("f")))
            .Add("liblocal.so", Side(Function("f") + Function("only_local")))
            .Add("libglobal.so", Side(Function("f") + Function("g")));
        var running = Running.Hosted(source, "libbase.so");
        running.Open("liblocal.so");
        running.Open("libglobal.so", global: true);
        Assert.Equal("libbase.so", running.Name(running.Scope.LookupDefault("f")));
        Assert.Equal("libglobal.so", running.Name(running.Scope.LookupDefault("g")));
        Assert.Null(running.Scope.LookupDefault("only_local"));
    }

    [Fact]
    public void LookupFrom_IsTheLibrary_ThenItsNeededBreadthFirst()
    {
        // Breadth-first, libc.so (needed by the root) comes before libd.so (needed by libb.so): a depth-first walk
        // would find libd.so's x.
        var source = new InMemorySource()
            .Add("libbase.so", Side(Function("x")))
            .Add("liba.so", Side(Function("y"), needed: "\"libb.so\" \"libc.so\""))
            .Add("libb.so", Side(Function("y"), needed: "\"libd.so\""))
            .Add("libc.so", Side(Function("x")))
            .Add("libd.so", Side(Function("x") + Function("z")));
        var running = Running.Hosted(source, "libbase.so");
        var root = running.Open("liba.so");
        Assert.Equal("liba.so", running.Name(running.Scope.LookupFrom(root, "y")));
        Assert.Equal("libc.so", running.Name(running.Scope.LookupFrom(root, "x")));
        Assert.Equal("libd.so", running.Name(running.Scope.LookupFrom(root, "z")));
        Assert.Equal("libd.so", running.Name(running.Scope.LookupFrom(running.IndexOf("libb.so"), "x")));
        Assert.Null(running.Scope.LookupFrom(running.IndexOf("libc.so"), "y"));
        Assert.Equal("libbase.so", running.Name(running.Scope.LookupDefault("x"))); // local libraries stay out of it
    }

    [Fact]
    public void LookupFrom_AStrongDefinition_BeatsAnEarlierWeakOne()
    {
        var source = new InMemorySource()
            .Add("libbase.so", Side(""))
            .Add("libroot.so", Side("", needed: "\"libweak.so\" \"libstrong.so\""))
            .Add("libweak.so", Side("""(import "env" "f" (func $imp (result i32)))""" + Function("f", 1)))
            .Add("libstrong.so", Side(Function("f", 2)));
        var running = Running.Hosted(source, "libbase.so");
        var root = running.Open("libroot.so");
        Assert.Equal("libstrong.so", running.Name(running.Scope.LookupFrom(root, "f")));
        Assert.True(running.Scope.LookupFrom(running.IndexOf("libweak.so"), "f")!.Symbol.IsWeak); // alone, the weak one
    }

    [Fact]
    public void LookupNext_IsTheFirstGlobalDefinitionAfterTheMain_WeakOrNot()
    {
        var source = new InMemorySource()
            .Add("libpre.so", Side(Function("f")))
            .Add("main.so", Side(Function("f"), needed: "\"libnext.so\" \"libstrong.so\""))
            .Add("libnext.so", Side("""(import "env" "f" (func $imp (result i32)))""" + Function("f")))
            .Add("libstrong.so", Side(Function("f") + Function("g")))
            .Add("liblocal.so", Side(Function("h")));
        var running = new Running(source, source.Plan("main.so", new LinkOptions { Preload = ["libpre.so"] }));
        Assert.Equal("libpre.so", running.Name(running.Scope.LookupDefault("f")));
        Assert.Equal("libnext.so", running.Name(running.Scope.LookupNext("f")));
        Assert.Equal("libstrong.so", running.Name(running.Scope.LookupNext("g")));
        running.Open("liblocal.so");
        Assert.Null(running.Scope.LookupNext("h")); // local libraries are not "next"
        Assert.Null(running.Scope.LookupNext("missing"));
    }

    [Fact]
    public void TheMainsHandle_LooksInTheGlobalScope()
    {
        var source = new InMemorySource()
            .Add("main.so", Side(""))
            .Add("libglobal.so", Side(Function("g")));
        var running = new Running(source, source.Plan("main.so"));
        running.Open("libglobal.so", global: true);
        Assert.Equal("libglobal.so", running.Name(running.Scope.LookupFrom(running.Scope.Initial.Main!.Index, "g")));
    }

    [Fact]
    public void HiddenLocalAndModuleLocalSymbols_AreNeverVisible()
    {
        var source = new InMemorySource()
            .Add("libbase.so", Side(""))
            .Add("libh.so", """
                (module
                  (@dylink.0 (mem-info (memory 16 0)) (export-info "hidden_f" visibility-hidden) (export-info "local_f" binding-local)
                    (export-info "hidden_d" visibility-hidden))
                  (import "env" "memory" (memory 0))
                  (import "env" "__memory_base" (global i32))
                  (func (export "hidden_f")) (func (export "local_f")) (func (export "__wasm_call_ctors")) (func (export "shown_f"))
                  (global (export "shown_d") i32 (i32.const 0))
                  (global (export "hidden_d") i32 (i32.const 8)))
                """);
        var running = Running.Hosted(source, "libbase.so");
        var lib = running.Open("libh.so", global: true);
        var scope = running.Scope;
        foreach (var name in new[] { "hidden_f", "local_f", "__wasm_call_ctors", "hidden_d" })
        {
            Assert.Null(scope.LookupDefault(name));
            Assert.Null(scope.LookupFrom(lib, name));
            Assert.Null(scope.LookupNext(name));
            Assert.False(SymbolTable.IsVisible(ModuleSymbols.Of(scope.Modules[lib].Module).Single(s => s.Name == name)));
        }

        Assert.Equal("libh.so", running.Name(scope.LookupDefault("shown_f")));
        Assert.Equal(["shown_f"], scope.ExportedFunctions(lib).Select(s => s.Name));
        Assert.Equal("shown_d", scope.NearestDataSymbol(lib, 12)?.Name); // hidden_d starts nearer, but dladdr cannot name it
    }

    [Fact]
    public void APromotedLibrary_JoinsTheGlobalScope_AtItsPlaceInLoadOrder()
    {
        // musl's rule: the global scope is every global module in load order, whenever it became global.
        var source = new InMemorySource()
            .Add("libbase.so", Side(""))
            .Add("liba.so", Side(Function("f")))
            .Add("libb.so", Side(Function("f")));
        var running = Running.Hosted(source, "libbase.so");
        var a = running.Open("liba.so");
        Assert.Null(running.Scope.LookupDefault("f"));
        running.Open("libb.so", global: true);
        Assert.Equal("libb.so", running.Name(running.Scope.LookupDefault("f")));
        running.Open("liba.so", global: true);
        Assert.True(running.Scope.IsGlobal(a));
        Assert.Equal("liba.so", running.Name(running.Scope.LookupDefault("f")));
        Assert.Equal("liba.so", running.Name(running.Scope.LookupNext("f")));
    }

    [Fact]
    public void AfterRemove_TheDefinitionItShadowed_IsFoundAgain()
    {
        var source = new InMemorySource()
            .Add("libbase.so", Side(""))
            .Add("liba.so", Side(Function("f")))
            .Add("libb.so", Side("""(import "env" "f" (func $imp (result i32)))""" + Function("f")))
            .Add("libc.so", Side(Function("f")));
        var running = Running.Hosted(source, "libbase.so");
        var a = running.Open("liba.so", global: true);
        running.Open("libb.so", global: true);
        running.Open("libc.so", global: true);
        Assert.Equal("liba.so", running.Name(running.Scope.LookupDefault("f")));
        running.Scope.Remove(a);
        Assert.Equal("libc.so", running.Name(running.Scope.LookupDefault("f"))); // strong libc.so beats weak libb.so
        Assert.Equal("libb.so", running.Name(running.Scope.LookupNext("f")));
        running.Scope.Remove(running.IndexOf("libc.so"));
        Assert.Equal("libb.so", running.Name(running.Scope.LookupDefault("f")));
        running.Scope.Remove(running.IndexOf("libb.so"));
        Assert.Null(running.Scope.LookupDefault("f"));
    }

    [Fact]
    public void AHandlesScope_IsCached_AndRebuiltWhenOneOfItsModulesGoes()
    {
        var source = new InMemorySource()
            .Add("libbase.so", Side(""))
            .Add("libroot.so", Side("", needed: "\"libone.so\" \"libtwo.so\""))
            .Add("libone.so", Side(Function("x")))
            .Add("libtwo.so", Side(Function("x")))
            .Add("libother.so", Side(Function("x")));
        var running = Running.Hosted(source, "libbase.so");
        var root = running.Open("libroot.so");
        var first = running.Scope.LookupFrom(root, "x");
        Assert.Equal("libone.so", running.Name(first));
        Assert.Same(first, running.Scope.LookupFrom(root, "x"));

        // Loading and promoting other libraries cannot change a handle's scope: only its NEEDED closure is in it.
        running.Open("libother.so", global: true);
        Assert.Equal("libone.so", running.Name(running.Scope.LookupFrom(root, "x")));

        // The runtime never unloads a needed library, but the scope must not answer from a stale table if it did.
        running.Scope.Remove(running.IndexOf("libone.so"));
        Assert.Equal("libtwo.so", running.Name(running.Scope.LookupFrom(root, "x")));
    }

    [Fact]
    public void LookupFrom_AnUnloadedModule_IsAnError()
    {
        var source = new InMemorySource().Add("libbase.so", Side("")).Add("liba.so", Side(Function("f")));
        var running = Running.Hosted(source, "libbase.so");
        var a = running.Open("liba.so");
        running.Scope.Remove(a);
        Assert.Equal($"module {a} is not loaded (Parameter 'root')", Assert.Throws<ArgumentException>(() => running.Scope.LookupFrom(a, "f")).Message);
        Assert.Equal("module 99 is not loaded (Parameter 'root')", Assert.Throws<ArgumentException>(() => running.Scope.LookupFrom(99, "f")).Message);
    }

    [Fact]
    public void FindLoaded_ByNameOrPath_LiveOnly()
    {
        var source = new InMemorySource().Add("libbase.so", Side("")).Add("liba.so", Side(""));
        var running = Running.Hosted(source, "libbase.so");
        var a = running.Open("liba.so");
        Assert.Equal(a, running.Scope.FindLoaded("liba.so"));
        Assert.Equal(a, running.Scope.FindLoaded("/lib/liba.so"));
        Assert.Equal(a, running.Scope.FindLoaded("/lib/../lib/liba.so"));
        Assert.Null(running.Scope.FindLoaded("libb.so"));
        running.Scope.Remove(a);
        Assert.Null(running.Scope.FindLoaded("liba.so"));

        // Loaded again, it is a new module with a new index.
        var again = running.Open("liba.so");
        Assert.NotEqual(a, again);
        Assert.Equal(again, running.Scope.FindLoaded("liba.so"));
    }

    [Fact]
    public void TheFunctionAtASlot_IsKnownUntilItsModuleGoes()
    {
        var source = new InMemorySource()
            .Add("libbase.so", Side(""))
            .Add("liba.so", Side("""(import "GOT.func" "f" (global (mut i32)))""" + Function("f")));
        var running = Running.Hosted(source, "libbase.so");
        var a = running.Open("liba.so");
        Assert.True(running.Scope.TryGetSlot(a, "f", out var slot));
        Assert.True(running.Scope.TryGetFunctionAt(slot, out var provider, out var export));
        Assert.Equal((a, "f"), (provider, export));
        running.Scope.AddSlot(a, "g", 7);
        Assert.True(running.Scope.TryGetFunctionAt(7, out _, out var g));
        Assert.Equal("g", g);

        Assert.Equal<(string, uint)>([("f", slot), ("g", 7u)], running.Scope.Remove(a));
        Assert.False(running.Scope.TryGetFunctionAt(slot, out _, out _));
        Assert.False(running.Scope.TryGetSlot(a, "f", out _));
        Assert.Empty(running.Scope.Remove(a)); // removing twice removes nothing
    }

    [Fact]
    public void IsUsedByOthers_CountsLiveDependents_ByNeededAndByBinding()
    {
        var source = new InMemorySource()
            .Add("libbase.so", Side(""))
            .Add("libf.so", Side(Function("f")))
            .Add("libuser.so", Side("""(import "env" "f" (func (result i32)))"""))
            .Add("libtop.so", Side("", needed: "\"libmid.so\""))
            .Add("libmid.so", Side(""));
        var running = Running.Hosted(source, "libbase.so");
        var f = running.Open("libf.so", global: true);
        var user = running.Open("libuser.so");
        var top = running.Open("libtop.so");
        var mid = running.IndexOf("libmid.so");
        Assert.True(running.Scope.IsUsedByOthers(f));
        Assert.True(running.Scope.IsUsedByOthers(mid));
        Assert.False(running.Scope.IsUsedByOthers(user));
        Assert.Equal([f], running.Scope.DependenciesOf(user));
        running.Scope.Remove(user);
        running.Scope.Remove(top);
        Assert.False(running.Scope.IsUsedByOthers(f));
        Assert.False(running.Scope.IsUsedByOthers(mid));
    }

    [Fact]
    public void MaxModules_CountsLiveModules_NotUnloadedOnes()
    {
        var source = new InMemorySource()
            .Add("libbase.so", Side(""))
            .Add("liba.so", Side(""))
            .Add("libpair.so", Side("", needed: "\"libb.so\""))
            .Add("libb.so", Side(""));
        var running = Running.Hosted(source, "libbase.so");
        for (var cycle = 0; cycle < 3; cycle++)
        {
            running.Scope.Remove(running.Open("liba.so", maxModules: 2));
        }

        Assert.Equal(1, running.Scope.LiveCount);
        var e = Assert.Throws<LinkException>(() => running.Open("libpair.so", maxModules: 2));
        Assert.Equal<string>(["libb.so: too many modules: the limit is 2 (needed by libpair.so)"], e.Errors);
    }

    [Fact]
    public void AnUnloadedModule_KeepsItsIndexAndName_ButNotItsParsedModule()
    {
        var source = new InMemorySource().Add("libbase.so", Side("")).Add("liba.so", Side(Function("f"), memory: 64));
        var running = Running.Hosted(source, "libbase.so");
        var a = running.Open("liba.so");
        running.Scope.Remove(a);
        var tombstone = running.Scope.Modules[a];
        Assert.Equal(("liba.so", "/lib/liba.so", a), (tombstone.Name, tombstone.Path, tombstone.Index));
        Assert.Empty(tombstone.Module.Exports);
        Assert.Empty(tombstone.Imports);
        Assert.False(running.Scope.IsLive(a));
        Assert.DoesNotContain(running.Scope.LiveModules, m => m.Index == a);
        Assert.Null(running.Scope.NearestDataSymbol(a, 0));
    }

    [Fact]
    public void NearestDataSymbol_IsTheLastStartingAtOrBelow_FirstExportedAtATie()
    {
        var source = new InMemorySource().Add("libbase.so", Side("")).Add("libd.so", Side("""
            (global (export "c") i32 (i32.const 16))
            (global (export "a") i32 (i32.const 0))
            (global (export "b") i32 (i32.const 8))
            (global (export "b_alias") i32 (i32.const 8))
            """, memory: 32));
        var running = Running.Hosted(source, "libbase.so");
        var d = running.Open("libd.so");
        Assert.Equal(["a", "a", "b", "b", "c", "c"], new long[] { 0, 7, 8, 15, 16, 100 }.Select(o => running.Scope.NearestDataSymbol(d, o)?.Name));
        Assert.Null(running.Scope.NearestDataSymbol(d, -1));
    }

    [Fact]
    public void AClone_IsIndependent_AndKeepsTheLoadersTags()
    {
        var source = new InMemorySource()
            .Add("libstart.so", Side("""(import "env" "__cpp_exception" (tag (param i32)))"""))
            .Add("liba.so", Side(Function("f")));
        var running = Running.Hosted(source, "libstart.so");
        var a = running.Open("liba.so", global: true);
        var clone = running.Scope.Clone();
        clone.Remove(a);
        Assert.True(clone.HasLoaderTag("__cpp_exception"));
        Assert.Null(clone.LookupDefault("f"));
        Assert.Equal("liba.so", running.Name(running.Scope.LookupDefault("f")));
        Assert.Equal(a, running.Scope.FindLoaded("liba.so"));
    }

    [Fact]
    public void DestructionOrder_IsTheGivenOrder_ExceptThatDependentsGoBeforeTheirProviders()
    {
        // liblazy.so, opened first, binds lazily to libp.so, opened later: reverse constructor order would destroy
        // libp.so first, while liblazy.so's destructors may still call it.
        var source = new InMemorySource()
            .Add("libbase.so", Side(""))
            .Add("liblazy.so", Side(""))
            .Add("libp.so", Side(Function("p")))
            .Add("libother.so", Side(""))
            .Add("libx.so", Side("""(import "env" "y" (func (result i32)))""" + Function("x")))
            .Add("liby.so", Side("""(import "env" "x" (func (result i32)))""" + Function("y")));
        var running = Running.Hosted(source, "libbase.so");
        var lazy = running.Open("liblazy.so");
        var p = running.Open("libp.so", global: true);
        var other = running.Open("libother.so");
        Assert.Equal([other, p, lazy], running.Scope.DestructionOrder([other, p, lazy]));
        running.Scope.AddDependency(lazy, p);
        Assert.Equal([other, lazy, p], running.Scope.DestructionOrder([other, p, lazy]));

        // A cycle (each bound to the other) is cut at the first of it in the given order, which stays.
        source.Add("libcycle.so", Side("", needed: "\"libx.so\" \"liby.so\""));
        running.Open("libcycle.so");
        var (x, y) = (running.IndexOf("libx.so"), running.IndexOf("liby.so"));
        Assert.Equal([x, y], running.Scope.DestructionOrder([x, y]));
        Assert.Equal([y, x], running.Scope.DestructionOrder([y, x]));
    }
}
