namespace Dylink.Linking.Tests;

/// <summary>wasm32 and wasm64: one memory and one table per program, and addresses of the memory's width.</summary>
public class AddressWidthTests
{
    private const string Wasm64 = """
        (module (@dylink.0 (mem-info (memory 4 2) (table 1 0)))
          (import "env" "memory" (memory i64 1))
          (import "env" "__indirect_function_table" (table i64 0 funcref))
          (import "env" "__memory_base" (global i64))
          (import "env" "__table_base" (global i64))
          (import "env" "__stack_pointer" (global (mut i64)))
          (global (export "data64") i64 (i64.const 0)))
        """;

    private static LinkException Fails(Func<LinkPlan> plan) => Assert.Throws<LinkException>(() => plan());

    [Fact]
    public void Wasm64Library_PlansA64BitMemoryAndTable()
    {
        var plan = new InMemorySource().Add("lib64.so", Wasm64).PlanHosted("lib64.so");
        Assert.True(plan.Memory.Is64);
        Assert.True(plan.Memory.Table64);
        Assert.False(new InMemorySource().Add("lib32.so", InMemorySource.Side("")).PlanHosted("lib32.so").Memory.Is64);
    }

    [Fact]
    public void MixingWasm32AndWasm64_NamesBothModules()
    {
        var source = new InMemorySource().Add("lib64.so", Wasm64).Add("lib32.so", InMemorySource.Side(""));
        Assert.Equal<string>(
            [
                "lib32.so: a wasm32 module (32-bit memory) cannot be linked with lib64.so, a wasm64 module (64-bit memory): one program has one memory",
                "lib32.so: 32-bit table indices cannot be linked with lib64.so, 64-bit table indices (table64): one program has one table",
            ],
            Fails(() => source.PlanHosted("lib64.so", "lib32.so")).Errors);
    }

    [Fact]
    public void Wasm64MemoryWithA32BitTable_IsFine_ButTheTablesMustAgree()
    {
        // clang-14 made wasm64 modules with a 32-bit table (and i64 __table_base).
        var table32 = Wasm64.Replace("(table i64 0 funcref)", "(table 0 funcref)", StringComparison.Ordinal);
        var plan = new InMemorySource().Add("liba.so", table32).PlanHosted("liba.so");
        Assert.True(plan.Memory.Is64);
        Assert.False(plan.Memory.Table64);
        var source = new InMemorySource().Add("liba.so", table32).Add("libb.so", Wasm64);
        Assert.Equal<string>(
            ["libb.so: 64-bit table indices (table64) cannot be linked with liba.so, 32-bit table indices: one program has one table"],
            Fails(() => source.PlanHosted("liba.so", "libb.so")).Errors);
    }

    [Fact]
    public void AnAddressGlobalOfTheWrongWidth_IsALinkError()
    {
        var source = new InMemorySource()
            .Add("lib64.so", Wasm64.Replace("(import \"env\" \"__memory_base\" (global i64))", "(import \"env\" \"__memory_base\" (global i32))", StringComparison.Ordinal)
                .Replace("(global (export", "(import \"GOT.mem\" \"data64\" (global (mut i32))) (global (export", StringComparison.Ordinal));
        Assert.Equal<string>(
            [
                "lib64.so: imports env.__memory_base as i32, but addresses in a wasm64 program are i64",
                "lib64.so: imports GOT.mem.data64 as i32, but addresses in a wasm64 program are i64",
            ],
            Fails(() => source.PlanHosted("lib64.so")).Errors);
    }
}
