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
        using (var linker = new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache }))
        {
            linker.Load(Fixtures.PathOf("host-libc-needed.wasm"));
        }

        // Wasmtime writes its entries next to the configuration it was given; look for them for a few seconds at most.
        var found = false;
        for (var attempt = 0; attempt < 100 && !found; attempt++)
        {
            found = Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Any(f => !f.EndsWith(".toml", StringComparison.Ordinal));
            if (!found)
            {
                Thread.Sleep(100);
            }
        }

        Assert.True(found, "no compiled-code cache entry was written");
        using var again = new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache });
        again.Load(Fixtures.PathOf("host-libc-needed.wasm"));
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
    }

    public void Dispose()
    {
        // Wasmtime's cache worker may still be writing usage statistics for a moment.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 20)
            {
                Thread.Sleep(100);
            }
        }
    }
}

internal static class LinkerTestExtensions
{
    public static int RunMainQuietly(this DynamicLinker linker)
    {
        linker.ConfigureWasi(new Wasmtime.WasiConfiguration().WithStandardOutputCallback(_ => { }));
        return linker.RunMain();
    }
}
