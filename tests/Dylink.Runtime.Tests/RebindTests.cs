using Dylink.Linking;
using Dylink.Linking.Tests;
using Dylink.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

public class RebindTests
{
    private static DynamicLinker Load(bool rebindable, bool callTables = true)
    {
        var source = new InMemorySource()
            .Add("libtarget.so", Side("""(func (export "target") (result i32) (i32.const 1)) (func (export "alt") (result i32) (i32.const 2))"""))
            .Add("libcaller.so", Side("""
                (import "env" "target" (func $target (result i32)))
                (import "GOT.func" "target" (global $ptr (mut i32)))
                (type $t (func (result i32)))
                (func (export "call_direct") (result i32) (call $target))
                (func (export "call_pointer") (result i32) (call_indirect (type $t) (global.get $ptr)))
                """, needed: "\"libtarget.so\""));
        var linker = new DynamicLinker(new DynamicLinkerOptions { CallTables = callTables });
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["libcaller.so"], Rebindable = rebindable });
        return linker;
    }

    [Fact]
    public void Rebind_ReachesDirectAndPointerCalls_InARebindableLoad_AndRestoreUndoesIt()
    {
        using var linker = Load(rebindable: true);
        var direct = linker.GetFunction<int>("call_direct");
        var pointer = linker.GetFunction<int>("call_pointer");
        Assert.Equal((1, 1), (direct(), pointer()));
        Assert.True(linker.Rebind("target", "alt").Complete);
        Assert.Equal((2, 2), (direct(), pointer()));
        Assert.Equal(2, linker.GetFunction<int>("target")()); // lookups give what callers reach
        linker.Rebind("target", () => 3);
        Assert.Equal((3, 3), (direct(), pointer()));
        Assert.Equal(3, linker.GetFunction<int>("target")());
        linker.Restore("target");
        Assert.Equal((1, 1), (direct(), pointer()));
        Assert.Equal(1, linker.GetFunction<int>("target")());
    }

    [Fact]
    public void Rebind_WithoutRebindableLoad_ReachesDirectCallsThroughTheCallersCallTable()
    {
        using var linker = Load(rebindable: false);
        var direct = linker.GetFunction<int>("call_direct");
        var pointer = linker.GetFunction<int>("call_pointer");
        var result = linker.Rebind("target", "alt");
        Assert.True(result.Complete);
        Assert.Empty(result.NotFollowing);
        Assert.Equal((2, 2), (direct(), pointer()));
        linker.Rebind("target", () => 3);
        Assert.Equal((3, 3), (direct(), pointer()));
        linker.Restore("target");
        Assert.Equal((1, 1), (direct(), pointer()));
    }

    [Fact]
    public void Rebind_WithoutRebindableLoadOrCallTables_ReachesPointerCallsOnly()
    {
        using var linker = Load(rebindable: false, callTables: false);
        var result = linker.Rebind("target", "alt");
        Assert.Equal(["libcaller.so"], result.NotFollowing); // said, not silent
        Assert.False(result.Complete);
        Assert.Equal(1, linker.GetFunction<int>("call_direct")());
        Assert.Equal(2, linker.GetFunction<int>("call_pointer")());
    }

    [Fact]
    public void Rebind_ChecksTheSignature()
    {
        using var linker = Load(rebindable: true);
        var e = Assert.Throws<LinkException>(() => linker.Rebind("target", (int x) => x));
        Assert.Equal("target: cannot rebind libtarget.so's function () -> i32 to the host function, which is (i32) -> i32", e.Message);
        Assert.Throws<SymbolNotFoundException>(() => linker.Rebind("nope", "alt"));
    }

    [Fact]
    public void SeedProgram_TableSwapDoneByRebind_WatchMeReturns50()
    {
        // The seed (Rust, non-PIC, its own exported table) asks its host to swap two table slots; the host answers
        // with Rebind on the symbols at those slots instead of overwriting the table by hand.
        using var linker = new DynamicLinker();
        linker.DefineFunction("host_swap", (int slot, int with) =>
        {
            linker.Rebind(linker.Describe(slot)!.Value.Symbol!, linker.Describe(with)!.Value.Symbol!);
        });
        linker.Load(Fixtures.PathOf("seed_volatile.wasm"));
        Assert.Equal(MainKind.Fixed, linker.Plan.Kind);
        Assert.Equal(50L, linker.GetFunction<long>("watch_me")());
    }

    [Fact]
    public void RustSideModule_RebindWithoutAnyHack()
    {
        // The PIC build of the seed, loaded as a library: C# rebinds replace_me itself; host_swap does nothing.
        using var linker = new DynamicLinker();
        linker.DefineFunction("host_swap", (int slot, int with) => { });
        linker.LoadLibraries(new LinkOptions { SearchPaths = [Fixtures.BinDir], Libraries = ["librust_seed.so"], Rebindable = true });
        var indirect = linker.GetFunction<long>("call_replace_me_indirectly");
        Assert.NotEqual(50L, indirect());
        linker.Rebind("replace_me", "return_50");
        Assert.Equal(50L, indirect());
    }
}

public class SeedExampleTests
{
    [Fact]
    public void SeedRebindExample_Runs()
    {
        using var output = new StringWriter { NewLine = "\n" };
        var code = SeedRebind.Program.Run(Path.Combine(Dylink.Tests.Fixtures.RepoRoot, "examples", "seed-rebind"), output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^host_swap\(\d+, \d+\): Rebind\(""replace_me"", ""return_50""\)$", lines[0]);
        Assert.Equal("seed.wasm: watch_me() = 50", lines[1]);
        Assert.Matches(@"^librust_seed.so: call_replace_me_indirectly\(\) = \d+, after Rebind\(""replace_me"", ""return_50""\) = 50$", lines[2]);
        Assert.Equal(0, code);
    }
}
