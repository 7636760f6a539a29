using Dylink.Tests;

namespace Dylink.Cli.Tests;

public sealed class PrecompileTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("dylink-precompile").FullName;

    private static string Example => Path.Combine(Fixtures.RepoRoot, "examples", "hello");

    private static string ExpectedOutput => "hello from libhello.so: x=5 ready=1\nhost: side_hello(5) returned 40\n";

    // Compiled-code entries are named by their key alone; beside them Wasmtime's cache worker keeps usage statistics
    // (KEY.stats) and, while it updates them in the background, temporary files (KEY.stats.wip-…): all have a dot.
    private HashSet<string> Entries() =>
        [.. Directory.EnumerateFiles(_cache, "*", SearchOption.AllDirectories)
            .Where(f => f.Contains(Path.Combine("wasmtime", "modules"), StringComparison.Ordinal) && !Path.GetFileName(f).Contains('.', StringComparison.Ordinal))];

    [Fact]
    public void Precompile_ThenRun_FindsEveryModuleInTheCache()
    {
        var (code, stdout, stderr) = CliRunner.Run("precompile", "--cache", _cache, Example);
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        Assert.Equal($"compiled {Path.Combine(Example, "host.wasm")}\ncompiled {Path.Combine(Example, "libhello.so")}\n2 modules in {_cache}\n", stdout);
        var precompiled = Entries();
        Assert.Equal(2, precompiled.Count);

        (code, stdout, _) = CliRunner.Run("run", "--cache", _cache, Path.Combine(Example, "host.wasm"));
        Assert.Equal(0, code);
        Assert.Equal(ExpectedOutput, stdout);

        // Both modules hit; the only new entry is the main's forwarding thunk, which exists only once a plan does.
        var after = Entries();
        Assert.Superset(precompiled, after);
        Assert.Single(after.Except(precompiled));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("empty")]
    public void DamagedCacheEntries_AreIgnoredAndRebuilt(string damage)
    {
        Assert.Equal(0, CliRunner.Run("precompile", "--cache", _cache, Example).Code);
        var random = new Random(1);
        foreach (var entry in Entries())
        {
            var bytes = new byte[damage == "empty" ? 0 : 3000];
            random.NextBytes(bytes);
            File.WriteAllBytes(entry, bytes);
        }

        var (code, stdout, stderr) = CliRunner.Run("run", "--cache", _cache, Path.Combine(Example, "host.wasm"));
        Assert.Equal("", stderr);
        Assert.Equal(ExpectedOutput, stdout);
        Assert.Equal(0, code);
        // Rewritten: Wasmtime's entries are zstd frames (magic 28 b5 2f fd), which neither damage is.
        Assert.All(Entries(), entry => Assert.Equal([0x28, 0xb5, 0x2f, 0xfd], File.ReadAllBytes(entry).Take(4)));
    }

    [Fact]
    public void WithoutACacheDirectory_IsAUsageError()
    {
        var saved = Environment.GetEnvironmentVariable("DYLINK_CACHE");
        Environment.SetEnvironmentVariable("DYLINK_CACHE", null);
        try
        {
            var (code, stdout, stderr) = CliRunner.Run("precompile", Example);
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.Equal("dylink: precompile needs a cache directory: --cache DIR or DYLINK_CACHE\n", stderr);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DYLINK_CACHE", saved);
        }
    }

    [Fact]
    public void AMissingPathOrAMalformedModule_IsBadInput()
    {
        var (code, _, stderr) = CliRunner.Run("precompile", "--cache", _cache, Path.Combine(_cache, "nope.so"));
        Assert.Equal(2, code);
        Assert.Equal($"dylink: {Path.Combine(_cache, "nope.so")}: no such file or directory\n", stderr);

        var bad = Path.Combine(_cache, "bad.so");
        File.WriteAllBytes(bad, [0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]);
        (code, _, stderr) = CliRunner.Run("precompile", "--cache", _cache, bad);
        Assert.Equal(2, code);
        Assert.StartsWith($"dylink: {bad}: ", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_cache, recursive: true);
}
