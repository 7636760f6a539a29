using System.Security.Cryptography;
using Dylink.Linking;
using Dylink.Linking.Tests;
using Dylink.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

public sealed class CacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dylink-cache").FullName;

    [Fact]
    public void ReopeningALibrary_DoesNotCompileItAgain()
    {
        var source = new InMemorySource().Add("libplugin.so", Side("""(func (export "answer") (result i32) (i32.const 42))"""));
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir] });
        for (var i = 0; i < 5; i++)
        {
            linker.Close(linker.Open("libplugin.so"));
        }

        Assert.Equal(1, linker.CompiledModules);
        Assert.Equal(5, linker.UnloadedInstances);
    }

    [Fact]
    public void CacheDirectory_KeepsCompiledCodeForTheNextProcess()
    {
        var cache = Path.Combine(_dir, "cache");
        int written;
        using (var linker = new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache }))
        {
            linker.Load(Fixtures.PathOf("host-libc-needed.wasm"));
            written = linker.CompiledModules;
        }

        // Entries are written by the load that compiled them, before it returns: no background worker to wait for.
        Assert.Equal(written, Entries(cache).Count);
        using var again = new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache });
        again.Load(Fixtures.PathOf("host-libc-needed.wasm"));
        Assert.Equal((written, 0), (again.ArtifactStore!.Hits, again.ArtifactStore.Rejected));
        Assert.Equal(0, again.RunMainQuietly());
    }

    [Fact]
    public void LinkersSharingACacheDirectory_AtTheSameTime_AllLoadAndRun()
    {
        // Four engines (as four processes would) filling and reading one empty cache concurrently.
        var cache = Path.Combine(_dir, "shared");
        var codes = new int[4];
        Parallel.For(0, codes.Length, new ParallelOptions { MaxDegreeOfParallelism = codes.Length }, i =>
        {
            using var linker = new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache });
            linker.Load(Fixtures.PathOf("host-libc-needed.wasm"));
            codes[i] = linker.RunMainQuietly();
        });
        Assert.Equal([0, 0, 0, 0], codes);
        Assert.Empty(Directory.EnumerateFiles(cache, "*.tmp", SearchOption.AllDirectories));
        using var again = new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache });
        again.Load(Fixtures.PathOf("host-libc-needed.wasm"));
        Assert.Equal(0, again.ArtifactStore!.Rejected);
        Assert.Equal(again.CompiledModules, again.ArtifactStore.Hits);
    }

    [Fact]
    public void SwappedEntries_AreRejectedAndRebuilt_EachLibraryRunsItsOwnCode()
    {
        // The attack of issue 13: one library's compiled code copied over another's entry. Both modules have the same
        // imports and exports, so Wasmtime alone would deserialize either artifact for either library.
        var cache = Path.Combine(_dir, "swap");
        var (a, b) = (AnswerLibrary(1), AnswerLibrary(2));
        Assert.Equal(1, Answer(cache, a, out var store));
        Assert.Equal(2, Answer(cache, b, out _));
        var (entryA, entryB) = (store.EntryPath(SHA256.HashData(a)), store.EntryPath(SHA256.HashData(b)));
        var (bytesA, bytesB) = (File.ReadAllBytes(entryA), File.ReadAllBytes(entryB));
        using (var engine = new Wasmtime.Engine(DynamicLinker.EngineConfig(new DynamicLinkerOptions())))
        {
            // Without the header's checks the substitution would go through: Wasmtime takes B's code under A's name.
            using var substituted = Wasmtime.Module.Deserialize(engine, "libanswer.so", bytesB.AsSpan(ArtifactStore.HeaderLength));
        }

        File.WriteAllBytes(entryA, bytesB);
        File.WriteAllBytes(entryB, bytesA);

        Assert.Equal(1, Answer(cache, a, out store));
        Assert.Equal((0, 1), (store.Hits, store.Rejected));
        Assert.Equal(2, Answer(cache, b, out store));
        Assert.Equal((0, 1), (store.Hits, store.Rejected));

        // Rebuilt: each entry holds its own library's code again, and is used.
        Assert.Equal(1, Answer(cache, a, out store));
        Assert.Equal((1, 0), (store.Hits, store.Rejected));
        Assert.Equal(2, Answer(cache, b, out store));
        Assert.Equal((1, 0), (store.Hits, store.Rejected));
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("header only")]
    [InlineData("truncated artifact")]
    [InlineData("one byte more")]
    [InlineData("flipped artifact byte")]
    [InlineData("flipped magic")]
    [InlineData("flipped wasm hash")]
    [InlineData("flipped digest")]
    [InlineData("wrong length field")]
    [InlineData("another format version")]
    public void DamagedEntries_AreRejectedAndRebuilt(string damage)
    {
        var cache = Path.Combine(_dir, "damage");
        var wasm = AnswerLibrary(7);
        Assert.Equal(7, Answer(cache, wasm, out var store));
        var entry = store.EntryPath(SHA256.HashData(wasm));
        var bytes = File.ReadAllBytes(entry);
        var header = ArtifactStore.HeaderLength;
        byte[] damaged = damage switch
        {
            "empty" => [],
            "header only" => bytes[..header],
            "truncated artifact" => bytes[..^1],
            "one byte more" => [.. bytes, 0],
            "flipped artifact byte" => Flip(bytes, header + ((bytes.Length - header) / 2)),
            "flipped magic" => Flip(bytes, 0),
            "flipped wasm hash" => Flip(bytes, 16),
            "flipped digest" => Flip(bytes, header - 1),
            "wrong length field" => Flip(bytes, 80),
            "another format version" => Flip(bytes, 8),
            _ => throw new ArgumentException(damage),
        };
        File.WriteAllBytes(entry, damaged);

        Assert.Equal(7, Answer(cache, wasm, out store));
        Assert.Equal((0, 1), (store.Hits, store.Rejected));
        Assert.Equal(bytes, File.ReadAllBytes(entry));
        Assert.Equal(7, Answer(cache, wasm, out store));
        Assert.Equal((1, 0), (store.Hits, store.Rejected));
    }

    [Fact]
    public void EntriesOfAnotherEngineConfiguration_AreNotUsed()
    {
        // Epoch checks (--timeout, --watch) are compiled into the code: that configuration has entries of its own.
        var cache = Path.Combine(_dir, "engines");
        var wasm = AnswerLibrary(3);
        var epochs = TimeSpan.FromMinutes(5);
        Assert.Equal(3, Answer(cache, wasm, out var plain));
        Assert.Equal(3, Answer(cache, wasm, out var timed, epochs));
        Assert.Equal((0, 0), (timed.Hits, timed.Rejected));
        var (plainEntry, timedEntry) = (plain.EntryPath(SHA256.HashData(wasm)), timed.EntryPath(SHA256.HashData(wasm)));
        Assert.NotEqual(plainEntry, timedEntry);

        // Copied under the other configuration's name, an entry is refused by its header.
        File.Copy(timedEntry, plainEntry, overwrite: true);
        Assert.Equal(3, Answer(cache, wasm, out plain));
        Assert.Equal((0, 1), (plain.Hits, plain.Rejected));
        Assert.Equal(3, Answer(cache, wasm, out timed, epochs));
        Assert.Equal((1, 0), (timed.Hits, timed.Rejected));
    }

    [Fact]
    public void AnArtifactWasmtimeRefuses_BehindAValidHeader_IsRejected()
    {
        // Defence in depth: a header claiming this configuration over code compiled for another (as a store with a
        // stale fingerprint would write) still never runs: Wasmtime checks its settings, and the store recompiles.
        var wasm = Wasmtime.Module.ConvertText("""(module (func (export "f") (result i32) (i32.const 5)))""");
        var hash = SHA256.HashData(wasm);
        var store = ArtifactStore.Open(Path.Combine(_dir, "refused"), "one fingerprint for both engines");
        using (var epochEngine = new Wasmtime.Engine(new Wasmtime.Config().WithEpochInterruption(true)))
        using (var module = Wasmtime.Module.FromBytes(epochEngine, "f", wasm))
        {
            store.Write(hash, module);
        }

        using var engine = new Wasmtime.Engine();
        Assert.Null(store.TryLoad(engine, "f", hash));
        Assert.Equal((0, 1), (store.Hits, store.Rejected));
    }

    [Fact]
    public void ConcurrentWritersAndReaders_OfOneEntry_NeverSeeAPartialOne()
    {
        var wasm = Wasmtime.Module.ConvertText("""(module (func (export "f") (result i32) (i32.const 9)))""");
        var hash = SHA256.HashData(wasm);
        var dir = Path.Combine(_dir, "race");
        using var engine = new Wasmtime.Engine();
        using var compiled = Wasmtime.Module.FromBytes(engine, "f", wasm);
        var stores = Enumerable.Range(0, 4).Select(_ => ArtifactStore.Open(dir, "race")).ToArray();
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var store = stores[i % stores.Length];
            if (i % 2 == 0)
            {
                store.Write(hash, compiled);
            }
            else
            {
                using var module = store.TryLoad(engine, "f", hash);
            }
        });

        // Every read found nothing yet or a whole entry; no writer left a temporary file.
        Assert.All(stores, store => Assert.Equal(0, store.Rejected));
        Assert.Equal([stores[0].EntryPath(hash)], Directory.EnumerateFiles(Path.Combine(dir, ArtifactStore.EntriesDirectory)));
        using var loaded = stores[0].TryLoad(engine, "f", hash);
        Assert.NotNull(loaded);
    }

    [Fact]
    public void ADirectoryOthersCanWrite_IsRefused()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // ACLs, not mode bits: docs/security.md
        }

        var cache = Directory.CreateDirectory(Path.Combine(_dir, "open")).FullName;
        foreach (var mode in new[] { "777", "775", "1777", "757" })
        {
            File.SetUnixFileMode(cache, (UnixFileMode)Convert.ToInt32(mode, 8));
            var e = Assert.Throws<DylinkException>(() => new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache }));
            Assert.Equal($"cache directory {cache} is writable by other users (mode {mode}): whoever can write it chooses the native " +
                "code that runs; use a directory only you can write (chmod go-w)", e.Message);
            Assert.Throws<DylinkException>(() => PreparedProgram.Prepare(new InMemorySource().PlanHosted(), null, new DynamicLinkerOptions { CacheDirectory = cache }));
        }

        // Its entries subdirectory is checked too: made writable by others after the fact, it is refused as well.
        File.SetUnixFileMode(cache, (UnixFileMode)Convert.ToInt32("755", 8));
        using (new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache }))
        {
        }

        var entries = Path.Combine(cache, ArtifactStore.EntriesDirectory);
        File.SetUnixFileMode(entries, (UnixFileMode)Convert.ToInt32("770", 8));
        Assert.Equal($"cache directory {entries} is writable by other users (mode 770): whoever can write it chooses the native " +
            "code that runs; use a directory only you can write (chmod go-w)",
            Assert.Throws<DylinkException>(() => new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache })).Message);
    }

    [Fact]
    public void AMissingCacheDirectory_IsCreatedForItsOwnerOnly()
    {
        var cache = Path.Combine(_dir, "new", "cache");
        using (new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache }))
        {
        }

        Assert.True(Directory.Exists(Path.Combine(cache, ArtifactStore.EntriesDirectory)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cache));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                File.GetUnixFileMode(Path.Combine(cache, ArtifactStore.EntriesDirectory)));
        }
    }

    private static List<string> Entries(string cache) =>
        [.. Directory.EnumerateFiles(Path.Combine(cache, ArtifactStore.EntriesDirectory), "*" + ArtifactStore.EntryExtension)];

    private static byte[] AnswerLibrary(int answer) =>
        Wasmtime.Module.ConvertText(Side($$"""(func (export "answer") (result i32) (i32.const {{answer}}))"""));

    /// <summary>Loads <paramref name="wasm"/> as libanswer.so in a fresh linker on <paramref name="cache"/> (as a new
    /// process would) and calls its <c>answer</c>.</summary>
    private static int Answer(string cache, byte[] wasm, out ArtifactStore store, TimeSpan? timeout = null)
    {
        using var linker = new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache, Timeout = timeout });
        linker.LoadLibraries(new LinkOptions { Source = new InMemorySource().AddBytes("libanswer.so", wasm), SearchPaths = [Dir], Libraries = ["libanswer.so"] });
        store = linker.ArtifactStore!;
        return linker.GetFunction<int>("answer")();
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x01;
        return copy;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

internal static class LinkerTestExtensions
{
    public static int RunMainQuietly(this DynamicLinker linker)
    {
        linker.ConfigureWasi(new Wasmtime.WasiConfiguration().WithStandardOutputCallback(_ => { }));
        return linker.RunMain();
    }
}
