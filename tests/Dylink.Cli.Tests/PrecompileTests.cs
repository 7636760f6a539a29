using Dylink.Tests;

namespace Dylink.Cli.Tests;

public sealed class PrecompileTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("dylink-precompile").FullName;

    private static string Example => Path.Combine(Fixtures.RepoRoot, "examples", "hello");

    private static string ExpectedOutput => "hello from libhello.so: x=5 ready=1\nhost: side_hello(5) returned 40\n";

    // Compiled-code entries: one file per (module, engine configuration) in the store's subdirectory.
    private HashSet<string> Entries() =>
        [.. Directory.EnumerateFiles(Path.Combine(_cache, "code-v1"), "*.code")];

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

        // Both modules hit, and nothing else is compiled: the main's calls into its library go through its call table,
        // so it needs no forwarding thunk (which only a plan could have made).
        Assert.Equal(precompiled.Order(StringComparer.Ordinal), Entries().Order(StringComparer.Ordinal));
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
        // Rewritten: each entry starts with the store's magic again, and the next run takes every module from it.
        Assert.All(Entries(), entry => Assert.Equal("DYLKCODE"u8.ToArray(), File.ReadAllBytes(entry).Take(8)));
        var rebuilt = Entries().ToDictionary(e => e, File.ReadAllBytes);
        Assert.Equal(0, CliRunner.Run("run", "--cache", _cache, Path.Combine(Example, "host.wasm")).Code);
        Assert.All(rebuilt, entry => Assert.Equal(entry.Value, File.ReadAllBytes(entry.Key)));
    }

    [Fact]
    public void ForWatchOrTimeout_FillsEntriesOfItsOwn()
    {
        // Epoch checks change the engine configuration, which is part of an entry's key: two entries per module.
        Assert.Equal(0, CliRunner.Run("precompile", "--cache", _cache, Example).Code);
        var plain = Entries();
        Assert.Equal(0, CliRunner.Run("precompile", "--cache", _cache, "--for-watch-or-timeout", Example).Code);
        var both = Entries();
        Assert.Equal(4, both.Count);
        Assert.Superset(plain, both);
        var (code, stdout, _) = CliRunner.Run("run", "--cache", _cache, "--timeout", "60", Path.Combine(Example, "host.wasm"));
        Assert.Equal(0, code);
        Assert.Equal(ExpectedOutput, stdout);
        Assert.Empty(Entries().Except(both)); // nothing else is compiled (no forwarding thunk: call tables)
    }

    [Fact]
    public void ACacheDirectoryOthersCanWrite_IsRefused()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // ACLs, not mode bits: docs/security.md
        }

        File.SetUnixFileMode(_cache, (UnixFileMode)Convert.ToInt32("777", 8));
        var expected = $"dylink: cache directory {_cache} is writable by other users (mode 777): whoever can write it chooses the " +
            "native code that runs; use a directory only you can write (chmod go-w)\n";
        var (code, stdout, stderr) = CliRunner.Run("precompile", "--cache", _cache, Example);
        Assert.Equal((2, "", expected), (code, stdout, stderr));
        (code, stdout, stderr) = CliRunner.Run("run", "--cache", _cache, Path.Combine(Example, "host.wasm"));
        Assert.Equal((2, "", expected), (code, stdout, stderr));
    }

    [Fact]
    public void WithTheCacheTurnedOff_IsAUsageError()
    {
        var (code, stdout, stderr) = CliRunner.Run("precompile", "--cache", "", Example);
        Assert.Equal((1, ""), (code, stdout));
        Assert.Equal("dylink: precompile needs a cache directory: --cache DIR or DYLINK_CACHE (the default, ~/.cache/dylink, is off or unusable)\n", stderr);
    }

    [Fact]
    public void TheCacheDirectory_IsTheOptions_ElseDylinkCache_ElseTheUsersOwn()
    {
        var home = Directory.CreateTempSubdirectory("dylink-home-").FullName;
        try
        {
            Assert.Equal(("/c", "--cache"), CacheLocation.Resolve("/c", "/e", null, home));
            Assert.Equal(("/e", "DYLINK_CACHE"), CacheLocation.Resolve(null, "/e", null, home));
            Assert.Null(CacheLocation.Resolve(null, "", null, home));     // set but empty: off, as wasmtime's -C cache=n
            Assert.Null(CacheLocation.Resolve("", "/e", null, home));
            Assert.Equal((Path.Combine(home, ".cache", "dylink"), "default"), CacheLocation.Resolve(null, null, null, home));
            Assert.Equal((Path.Combine(home, "xdg", "dylink"), "default"), CacheLocation.Resolve(null, null, Path.Combine(home, "xdg"), home));
            Assert.Equal((Path.Combine(home, ".cache", "dylink"), "default"), CacheLocation.Resolve(null, null, "relative/xdg", home));
            Assert.Null(CacheLocation.Resolve(null, null, null, null));    // no home: no default

            // The default is created for its owner alone; one that others may write stays off instead of failing the run.
            if (OperatingSystem.IsWindows())
            {
                return;
            }

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(home, ".cache", "dylink")));
            File.SetUnixFileMode(Path.Combine(home, ".cache", "dylink"), (UnixFileMode)0b111_111_111);
            Assert.Null(CacheLocation.Resolve(null, null, null, home));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
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
