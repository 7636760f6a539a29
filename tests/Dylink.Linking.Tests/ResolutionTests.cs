using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Linking.Tests;

/// <summary>The resolution rules, the orders and the layout a plan records.</summary>
public class ResolutionTests
{
    private static T Binding<T>(LinkPlan plan, string module, string import)
        where T : ImportBinding =>
        Assert.IsType<T>(plan.Modules.Single(m => m.Name == module).Imports.Single(b => b.Import.Name == import));

    private static string Name(LinkPlan plan, int index) => plan.Modules[index].Name;

    [Fact]
    public void FirstDefinitionInLoadOrder_Wins_AndTheLaterOneIsNoted()
    {
        var source = new InMemorySource()
            .Add("libuser.so", Side("""(import "env" "f" (func (result i32)))""", needed: "\"liba.so\" \"libb.so\""))
            .Add("liba.so", Side("""(func (export "f") (result i32) (i32.const 1))"""))
            .Add("libb.so", Side("""(func (export "f") (result i32) (i32.const 2))"""));
        var plan = source.PlanHosted("libuser.so");
        Assert.Equal("liba.so", Name(plan, Binding<FunctionBinding>(plan, "libuser.so", "f").Provider));
        Assert.Equal<string>(["f: liba.so interposes the definition in libb.so"], plan.Warnings);
    }

    [Fact]
    public void StrongDefinition_BeatsAnEarlierWeakOne()
    {
        // wasm-ld marks a weak definition by importing it from env as well as exporting it.
        var source = new InMemorySource()
            .Add("libuser.so", Side("""(import "env" "f" (func (result i32)))""", needed: "\"libweak.so\" \"libstrong.so\""))
            .Add("libweak.so", Side("""(import "env" "f" (func $imp (result i32))) (func (export "f") (result i32) (i32.const 1))"""))
            .Add("libstrong.so", Side("""(func (export "f") (result i32) (i32.const 2))"""));
        var plan = source.PlanHosted("libuser.so");
        Assert.Equal("libstrong.so", Name(plan, Binding<FunctionBinding>(plan, "libuser.so", "f").Provider));
        Assert.Equal("libstrong.so", Name(plan, Binding<FunctionBinding>(plan, "libweak.so", "f").Provider));
    }

    [Fact]
    public void WeakDefinition_WithNoOtherDefinition_BindsToItself_ThroughAThunk()
    {
        var source = new InMemorySource()
            .Add("libweak.so", Side("""(import "env" "f" (func $imp (result i32))) (func (export "f") (result i32) (i32.const 1))"""));
        var plan = source.PlanHosted("libweak.so");
        var binding = Binding<FunctionBinding>(plan, "libweak.so", "f");
        Assert.Equal(0, binding.Provider);
        Assert.NotNull(binding.Forwarder);
        Assert.Equal(new Forwarder(0, "f", new([], [Format.ValueType.I32])), plan.Forwarders[binding.Forwarder!.Value]);
    }

    [Fact]
    public void WeakUndefined_ResolvesToNull_WithoutError()
    {
        var source = new InMemorySource().Add("liba.so", """
            (module
              (@dylink.0 (mem-info (memory 0 0)) (import-info "GOT.mem" "d" binding-weak undefined) (import-info "env" "f" binding-weak undefined))
              (import "env" "f" (func))
              (import "GOT.func" "f" (global (mut i32)))
              (import "GOT.mem" "d" (global (mut i32))))
            """);
        var plan = source.PlanHosted("liba.so");
        Assert.All(plan.Modules[0].Imports, b => Assert.IsType<WeakUndefinedBinding>(b));
    }

    [Fact]
    public void FunctionPointers_ShareOneSlot_AcrossModules()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "GOT.func" "f" (global (mut i32)))""", needed: "\"libb.so\" \"libf.so\""))
            .Add("libb.so", Side("""(import "GOT.func" "f" (global (mut i32)))"""))
            .Add("libf.so", Side("""(func (export "f"))"""));
        var plan = source.PlanHosted("liba.so");
        var a = Binding<FunctionAddressBinding>(plan, "liba.so", "f");
        var b = Binding<FunctionAddressBinding>(plan, "libb.so", "f");
        Assert.Equal(a.Slot, b.Slot);
        Assert.Equal(new FunctionSlot(2, "f", SlotLocation.Block, 0), Assert.Single(plan.Slots));
    }

    [Fact]
    public void FunctionInTheProvidersOwnElementSegment_KeepsThatSlot()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "GOT.func" "f" (global (mut i32)))""", needed: "\"libf.so\""))
            .Add("libf.so", Side("""
                (func $g) (func $f (export "f"))
                (elem (global.get 1) $g $f)
                """, table: 2));
        var plan = source.PlanHosted("liba.so");
        Assert.Equal(new FunctionSlot(1, "f", SlotLocation.ProviderTable, 1), plan.Slots[Binding<FunctionAddressBinding>(plan, "liba.so", "f").Slot]);
    }

    [Fact]
    public void DataAddress_IsTheExportRelativeToItsProvider()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "GOT.mem" "d" (global (mut i32)))""", needed: "\"libd.so\""))
            .Add("libd.so", Side("""(global (export "d") i32 (i32.const 8))""", memory: 16, align: 3));
        var plan = source.PlanHosted("liba.so");
        Assert.Equal(8, Binding<DataAddressBinding>(plan, "liba.so", "d").Offset);
    }

    [Fact]
    public void ExtendedConstDataAddress_IsUnderstood()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "GOT.mem" "d" (global (mut i32)))""", needed: "\"libd.so\""))
            .Add("libd.so", Side("""(global (export "d") i32 (i32.add (global.get 0) (i32.const 12)))""", memory: 16));
        Assert.Equal(12, Binding<DataAddressBinding>(source.PlanHosted("liba.so"), "liba.so", "d").Offset);
    }

    [Fact]
    public void MemoryRegions_AreAlignedInLoadOrder()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("", memory: 5, align: 0, needed: "\"libb.so\" \"libc.so\""))
            .Add("libb.so", Side("", memory: 100, align: 4))
            .Add("libc.so", Side("", memory: 1, align: 10));
        var plan = source.PlanHosted("liba.so");
        Assert.Equal([0u, 16u, 1024u], plan.Modules.Select(m => m.MemoryOffset));
        Assert.Equal(1025u, plan.Memory.BlockSize);
        Assert.Equal(1024u, plan.Memory.BlockAlignment);
        Assert.Equal(0u, plan.Memory.FixedBase!.Value % 1024);
        Assert.True(plan.Memory.HeapBase >= plan.Memory.FixedBase + 1025);
    }

    [Fact]
    public void Cycles_AreAllowed_AndOneDirectionIsForwarded()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "env" "b" (func)) (func (export "a"))""", needed: "\"libb.so\""))
            .Add("libb.so", Side("""(import "env" "a" (func)) (func (export "b"))""", needed: "\"liba.so\""));
        var plan = source.PlanHosted("liba.so");
        Assert.Equal(["liba.so", "libb.so"], plan.Modules.Select(m => m.Name));
        Assert.Equal(["libb.so", "liba.so"], plan.InstantiationOrder.Select(i => Name(plan, i)));
        Assert.Null(Binding<FunctionBinding>(plan, "liba.so", "b").Forwarder);
        Assert.NotNull(Binding<FunctionBinding>(plan, "libb.so", "a").Forwarder);
    }

    [Fact]
    public void Preload_ComesFirst_AndInterposes()
    {
        var source = new InMemorySource()
            .Add("main.wasm", """
                (module (@dylink.0 (mem-info (memory 0 0)) (needed "liba.so"))
                  (import "env" "memory" (memory 0)) (import "env" "__memory_base" (global i32))
                  (import "env" "f" (func)) (func (export "_start") (call 0)))
                """)
            .Add("liba.so", Side("""(func (export "f"))"""))
            .Add("libpre.so", Side("""(func (export "f"))"""));
        var plan = source.Plan("main.wasm", new LinkOptions { Preload = ["libpre.so"] });
        Assert.Equal(["libpre.so", "main.wasm", "liba.so"], plan.Modules.Select(m => m.Name));
        Assert.Equal(MainKind.Relocatable, plan.Kind);
        Assert.Equal("libpre.so", Name(plan, Binding<FunctionBinding>(plan, "main.wasm", "f").Provider));
        Assert.True(plan.MainRunsOwnConstructors);
        Assert.Equal("main.wasm", Name(plan, plan.ConstructorOrder[^1]));
    }

    [Fact]
    public void NonPieMain_IsInstantiatedFirst_AndItsCallsToLibrariesAreForwarded()
    {
        var source = new InMemorySource()
            .Add("main.wasm", """
                (module (@dylink.0 (mem-info (memory 0 0)) (needed "liba.so"))
                  (import "env" "f" (func))
                  (memory (export "memory") 1)
                  (func (export "malloc") (param i32) (result i32) (i32.const 4096))
                  (func (export "_start") (call 0)))
                """)
            .Add("liba.so", Side("""(func (export "f"))""", memory: 8));
        var plan = source.Plan("main.wasm");
        Assert.Equal(MainKind.Fixed, plan.Kind);
        Assert.Equal(["main.wasm", "liba.so"], plan.InstantiationOrder.Select(i => Name(plan, i)));
        Assert.NotNull(Binding<FunctionBinding>(plan, "main.wasm", "f").Forwarder);
        Assert.Equal(MemoryPlacement.MainAllocator, plan.Memory.Placement);
        Assert.Equal("malloc", plan.Memory.Allocator);
    }

    [Fact]
    public void SearchOrder_SearchPathsThenLibraryPathThenRunPathThenOrigin()
    {
        var source = new InMemorySource().Add("liba.so", Side("")).Add("libb.so", Side(""));
        var plan = LinkPlanner.PlanHosted(new LinkOptions
        {
            Source = source,
            SearchPaths = ["/nope"],
            LibraryPath = ["/lib"],
            Libraries = ["liba.so", "/lib/liba.so", "libb.so"],
        });

        // The same file by name and by path loads once.
        Assert.Equal(["liba.so", "libb.so"], plan.Modules.Select(m => m.Name));
        Assert.Equal("/lib/liba.so", plan.Modules[0].Path);
    }
}
