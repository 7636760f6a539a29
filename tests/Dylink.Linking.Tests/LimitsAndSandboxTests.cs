using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Linking.Tests;

public sealed class LimitsAndSandboxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dylink-sandbox").FullName;

    private static LinkException Fails(Func<LinkPlan> plan) => Assert.Throws<LinkException>(() => plan());

    [Fact]
    public void TooManyModules()
    {
        var source = new InMemorySource().Add("liba.so", Side("")).Add("libb.so", Side(""));
        var e = Fails(() => LinkPlanner.PlanHosted(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["liba.so", "libb.so"], MaxModules = 1 }));
        Assert.Equal<string>(["libb.so: too many modules: the limit is 1 (requested by -l)"], e.Errors);
    }

    [Fact]
    public void AbsurdMemInfo_IsRefusedBeforeAnythingIsAllocated()
    {
        var source = new InMemorySource().Add("liba.so", Side("", memory: 100_000));
        var e = Fails(() => LinkPlanner.PlanHosted(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["liba.so"], MaxMemory = 1_000_000 }));
        // 1024 reserved + 1 MiB stack + 100,000 bytes, rounded up to 18 pages of 64 KiB.
        Assert.Equal<string>(["program: needs 1179648 bytes of memory, more than the limit of 1000000"], e.Errors);
    }

    [Fact]
    public void AbsurdTableSize_IsRefused()
    {
        var source = new InMemorySource().Add("liba.so", Side("", table: 5000));
        var e = Fails(() => LinkPlanner.PlanHosted(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["liba.so"], MaxTableSlots = 4096 }));
        Assert.Equal<string>(["program: needs 5000 table slots, more than the limit of 4096"], e.Errors);
    }

    [Fact]
    public void FileOverTheSizeLimit_IsNotRead()
    {
        var path = Path.Combine(_dir, "libbig.so");
        File.WriteAllBytes(path, new byte[4096]);
        var e = Fails(() => LinkPlanner.PlanHosted(new LinkOptions { SearchPaths = [_dir], Libraries = ["libbig.so"], MaxFileSize = 1024 }));
        Assert.Equal<string>([$"libbig.so: {path} has 4096 bytes, more than the limit of 1024 (requested by -l)"], e.Errors);
    }

    [Fact]
    public void Sandbox_RefusesPathsOutsideTheAllowedDirectories()
    {
        var allowed = Directory.CreateDirectory(Path.Combine(_dir, "allowed")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
        var library = Wasmtime.Module.ConvertText(Side(""));
        File.WriteAllBytes(Path.Combine(allowed, "libok.so"), library);
        File.WriteAllBytes(Path.Combine(outside, "libevil.so"), library);
        File.CreateSymbolicLink(Path.Combine(allowed, "liblink.so"), Path.Combine(outside, "libevil.so"));
        var options = new LinkOptions { SearchPaths = [allowed], AllowedDirectories = [allowed] };

        Assert.Single(LinkPlanner.PlanHosted(options with { Libraries = ["libok.so"] }).Modules);
        Assert.Equal<string>(
            [$"liblink.so: {Path.Combine(allowed, "liblink.so")} is outside the allowed library directories ({allowed}) (requested by -l)"],
            Fails(() => LinkPlanner.PlanHosted(options with { Libraries = ["liblink.so"] })).Errors);
        var dotdot = Path.Combine(allowed, "..", "outside", "libevil.so");
        Assert.Equal<string>(
            [$"{dotdot}: {dotdot} is outside the allowed library directories ({allowed}) (requested by -l)"],
            Fails(() => LinkPlanner.PlanHosted(options with { Libraries = [dotdot] })).Errors);
        // allowed/escape -> outside/sub: for the kernel allowed/escape/../libevil.so is outside/libevil.so, but .NET
        // resolves ".." before links, so the file looked for is allowed/libevil.so, which does not exist.
        Directory.CreateDirectory(Path.Combine(outside, "sub"));
        Directory.CreateSymbolicLink(Path.Combine(allowed, "escape"), Path.Combine(outside, "sub"));
        var escape = Path.Combine(allowed, "escape", "..", "libevil.so");
        var errors = Fails(() => LinkPlanner.PlanHosted(options with { Libraries = [escape] })).Errors;
        Assert.Equal($"{escape}: library not found (requested by -l); searched: {escape}", Assert.Single(errors));
        var absolute = Path.Combine(outside, "libevil.so");
        Assert.Equal<string>(
            [$"{absolute}: {absolute} is outside the allowed library directories ({allowed}) (requested by -l)"],
            Fails(() => LinkPlanner.PlanHosted(options with { Libraries = [absolute] })).Errors);
    }

    [Fact]
    public void DefaultLibraryPath_IsSearchedLast_AndIsInsideEverySandbox()
    {
        var system = Directory.CreateDirectory(Path.Combine(_dir, "system")).FullName;
        var own = Directory.CreateDirectory(Path.Combine(_dir, "own")).FullName;
        var library = Wasmtime.Module.ConvertText(Side(""));
        File.WriteAllBytes(Path.Combine(system, "libc.so"), library);
        File.WriteAllBytes(Path.Combine(system, "libx.so"), library);
        File.WriteAllBytes(Path.Combine(own, "libx.so"), library);
        var options = new LinkOptions { SearchPaths = [own], DefaultLibraryPath = [system], AllowedDirectories = [own] };

        // As ld.so's /usr/lib: found there when nothing earlier has it, never ahead of the program's own directories.
        var plan = LinkPlanner.PlanHosted(options with { Libraries = ["libc.so", "libx.so"] });
        Assert.Equal([Path.Combine(system, "libc.so"), Path.Combine(own, "libx.so")], plan.Modules.Select(m => m.Path));
        // And listed last among the places searched.
        Assert.Equal(
            $"libnone.so: library not found (requested by -l); searched: {own}, {system}",
            Assert.Single(Fails(() => LinkPlanner.PlanHosted(options with { Libraries = ["libnone.so"] })).Errors));
    }

    [Fact]
    public void RealPath_FollowsLinksAndDotDot()
    {
        var target = Directory.CreateDirectory(Path.Combine(_dir, "target")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(_dir, "link"), target);
        Assert.Equal(Path.Combine(target, "x.so"), Sandbox.RealPath(Path.Combine(_dir, "link", "sub", "..", "x.so")));

        // ".." applies to the link's target, as for the kernel: _dir/link/.. is _dir, the parent of target.
        Assert.Equal(Path.Combine(_dir, "y.so"), Sandbox.RealPath(Path.Combine(_dir, "link", "..", "y.so")));
        Directory.CreateDirectory(Path.Combine(target, "deep"));
        Directory.CreateSymbolicLink(Path.Combine(_dir, "deeplink"), Path.Combine(target, "deep"));
        Assert.Equal(Path.Combine(target, "z.so"), Sandbox.RealPath(Path.Combine(_dir, "deeplink", "..", "z.so")));
    }

    [Fact]
    public void ErrorsPastTheLimit_AreCounted()
    {
        var needed = string.Join(' ', Enumerable.Range(0, 30).Select(i => $"\"lib{i}.so\""));
        var source = new InMemorySource().Add("liba.so", Side("", needed: needed));
        var e = Fails(() => source.PlanHosted("liba.so"));
        Assert.Equal(LinkPlanner.ErrorLimit + 1, e.Errors.Count);
        Assert.Equal("lib0.so: library not found (needed by liba.so); searched: /lib", e.Errors[0]);
        Assert.Equal("program: and 10 more errors (30 in all)", e.Errors[^1]);
    }

    [Fact]
    public void FuzzFinding_TlsAlignmentOf2To32_IsAnErrorNotADivisionByZero()
    {
        var bytes = Convert.FromHexString("0061736d01000000000f0864796c696e6b2e3001040000000001050160017f00020f0103656e76066d656d6f727902000003020100060f027f0041100b7e004280808080100b072e030f5f5f7761736d5f696e69745f746c7300000a5f5f746c735f73697a6503000b5f5f746c735f616c69676e03010a040102000b");
        var source = new InMemorySource().AddBytes("libtls.so", bytes);
        var e = Fails(() => source.PlanHosted("libtls.so"));
        Assert.Equal<string>(["libtls.so: exports __wasm_init_tls but no constant __tls_size and power-of-two __tls_align (at most 65536)"], e.Errors);
    }

    [Fact]
    public void FuzzFinding_MemInfoNear4GiB_IsRefused()
    {
        var bytes = Convert.FromHexString("0061736d0100000000130864796c696e6b2e300108f0ffffff0f00000002240203656e76066d656d6f727902000003656e760d5f5f6d656d6f72795f62617365037f00");
        var source = new InMemorySource().AddBytes("libhuge.so", bytes);
        var e = Fails(() => source.PlanHosted("libhuge.so"));
        Assert.Equal<string>(["program: needs 4296081408 bytes of memory, more than the limit of 4294967296"], e.Errors);
    }

    [Fact]
    public void DuplicateHostSymbols_FirstWins()
    {
        var source = new InMemorySource().Add("liba.so", Side("""(import "env" "h" (func (param i32)))"""));
        var plan = LinkPlanner.PlanHosted(new LinkOptions
        {
            Source = source,
            SearchPaths = [Dir],
            Libraries = ["liba.so"],
            HostSymbols = [new("h", new([Format.ValueType.I32], [])), new("h", new([], []))],
        });
        Assert.IsType<HostBinding>(plan.Modules[0].Imports.Single(b => b.Import.Name == "h"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
