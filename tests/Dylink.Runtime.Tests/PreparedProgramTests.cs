using Dylink.Format;
using Dylink.Linking;
using Dylink.Linking.Tests;
using Dylink.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

public class PreparedProgramTests
{
    // bump() adds host_scale(1) to a counter in the library's data and returns it.
    private static readonly string Counter = Side("""
        (import "env" "host_scale" (func $scale (param i32) (result i32)))
        (global (export "counter") i32 (i32.const 0))
        (func (export "bump") (result i32)
          (i32.store (global.get 0) (i32.add (i32.load (global.get 0)) (call $scale (i32.const 1))))
          (i32.load (global.get 0)))
        """, memory: 4, align: 2);

    private static readonly LinkOptions Options = new()
    {
        Source = new InMemorySource().Add("libcounter.so", Counter)
            .Add("libextra.so", Side("""(func (export "extra") (result i32) (i32.const 7))""")),
        SearchPaths = [Dir],
        Libraries = ["libcounter.so"],
        HostSymbols = [new HostSymbol("host_scale", new FuncType([Format.ValueType.I32], [Format.ValueType.I32]))],
    };

    [Fact]
    public void Tenants_HaveTheirOwnStoreAndHostFunctions_AndShareCompiledModules()
    {
        using var program = PreparedProgram.Prepare(LinkPlanner.PlanHosted(Options), Options);
        Assert.Equal(1, program.CompiledModules);
        using var doubling = program.Instantiate(linker => linker.DefineFunction("host_scale", (int x) => 2 * x));
        using var tripling = program.Instantiate(linker => linker.DefineFunction("host_scale", (int x) => 3 * x));

        var bumpDoubling = doubling.GetFunction<int>("bump");
        Assert.Equal(2, bumpDoubling());
        Assert.Equal(4, bumpDoubling());
        Assert.Equal(3, tripling.GetFunction<int>("bump")());
        Assert.Equal(4, doubling.ReadData<int>("counter"));
        Assert.Equal(3, tripling.ReadData<int>("counter"));
        Assert.Equal(1, program.CompiledModules);
    }

    [Fact]
    public void ATenantWithoutAHostFunctionThePlanBinds_FailsAlone()
    {
        using var program = PreparedProgram.Prepare(LinkPlanner.PlanHosted(Options), Options);
        var e = Assert.Throws<LoadException>(() => program.Instantiate());
        Assert.Equal("libcounter.so: the host does not provide env.host_scale", e.Message);
        using var tenant = program.Instantiate(linker => linker.DefineFunction("host_scale", (int x) => x));
        Assert.Equal(1, tenant.GetFunction<int>("bump")());
    }

    [Fact]
    public void AProgramWithAMain_RunsInEveryTenant()
    {
        var plan = LinkPlanner.Plan(Fixtures.PathOf("host-libc-needed.wasm"), new LinkOptions());
        using var program = PreparedProgram.Prepare(plan);
        Assert.Equal(plan.Modules.Length, program.CompiledModules);
        var afterFirst = 0;
        for (var i = 0; i < 3; i++)
        {
            using var tenant = program.Instantiate();
            Assert.Equal(0, tenant.RunMainQuietly());
            afterFirst = i == 0 ? program.CompiledModules : afterFirst;
        }

        // The main's calls into its library go through its call table: no thunk module to compile, in any tenant.
        Assert.Equal(plan.Modules.Length, afterFirst);
        Assert.Equal(afterFirst, program.CompiledModules);
    }

    [Fact]
    public void DisposingTheProgram_EndsItsTenants_EveryLaterCallIsObjectDisposed()
    {
        var program = PreparedProgram.Prepare(LinkPlanner.PlanHosted(Options), Options);
        var tenant = program.Instantiate(linker => linker.DefineFunction("host_scale", (int x) => x));
        var bump = tenant.GetFunction<int>("bump");
        Assert.Equal(1, bump());
        program.Dispose();
        Assert.Throws<ObjectDisposedException>(() => tenant.Open("libextra.so"));
        Assert.Throws<ObjectDisposedException>(() => bump());
        Assert.Throws<ObjectDisposedException>(() => program.Instantiate());
        tenant.Dispose(); // still fine
    }

    [Fact]
    public void ATenantsDlopen_StaysInThatTenant()
    {
        using var program = PreparedProgram.Prepare(LinkPlanner.PlanHosted(Options), Options);
        static void Define(DynamicLinker linker) => linker.DefineFunction("host_scale", (int x) => x);
        using var first = program.Instantiate(Define);
        first.Open("libextra.so", OpenMode.Now | OpenMode.Global);
        Assert.Equal(7, first.GetFunction<int>("extra")());

        // The second tenant starts from the start-up scope, copied: the first tenant's dlopen is not in it.
        using var second = program.Instantiate(Define);
        Assert.Equal("libextra.so: not loaded (RTLD_NOLOAD)",
            Assert.Throws<LibraryNotLoadedException>(() => second.Open("libextra.so", OpenMode.NoLoad)).Message);
        second.Open("libextra.so", OpenMode.Now | OpenMode.Global);
        Assert.Equal(7, second.GetFunction<int>("extra")());
        Assert.Equal(1, second.GetFunction<int>("bump")());
    }

    [Fact]
    public void ADlopenPlan_IsRefused()
    {
        var scope = new ProgramScope(LinkPlanner.PlanHosted(Options with { Libraries = [] }), []);
        var open = LinkPlanner.PlanOpen(scope, "libcounter.so", Options);
        Assert.Equal("a prepared program needs a start-up plan, not a dlopen plan (Parameter 'plan')",
            Assert.Throws<ArgumentException>(() => PreparedProgram.Prepare(open)).Message);
    }
}
