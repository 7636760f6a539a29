using Dylink.Linking;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

public sealed class WatchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dylink-watch").FullName;

    private static byte[] Version(int value) => Wasmtime.Module.ConvertText(Side($$"""(func (export "version") (result i32) (i32.const {{value}}))"""));

    // Like Version, with the constructor and relocation code every toolchain-built library has: the loader runs it
    // during the reload, from inside the epoch callback.
    private static byte[] VersionWithConstructor(int value) => Wasmtime.Module.ConvertText(Side($$"""
        (global $v (mut i32) (i32.const 0))
        (func (export "__wasm_apply_data_relocs"))
        (func (export "__wasm_call_ctors") (loop $l (global.set $v (i32.add (global.get $v) (i32.const 1))) (br_if $l (i32.lt_u (global.get $v) (i32.const {{value}})))))
        (func (export "version") (result i32) (global.get $v))
        """));

    // Spins until version() returns 2, for at most 2^32 calls (seconds, not forever); returns the calls made or -1.
    private static readonly byte[] Spinner = Wasmtime.Module.ConvertText(Side("""
        (import "env" "version" (func $version (result i32)))
        (func (export "spin_until_2") (result i64) (local $n i64)
          (loop $l
            (if (i32.eq (call $version) (i32.const 2)) (then (return (local.get $n))))
            (local.set $n (i64.add (local.get $n) (i64.const 1)))
            (br_if $l (i64.lt_u (local.get $n) (i64.const 4294967296))))
          (i64.const -1))
        """, needed: "\"libv.so\""));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChangedLibraryFile_IsReloaded_WhileGuestCodeRuns(bool constructors)
    {
        Func<int, byte[]> version = constructors ? VersionWithConstructor : Version;
        File.WriteAllBytes(Path.Combine(_dir, "libv.so"), version(1));
        File.WriteAllBytes(Path.Combine(_dir, "libspin.so"), Spinner);
        var reports = new List<string>();
        using var linker = new DynamicLinker(new DynamicLinkerOptions { AllowReloadWhileRunning = true });
        linker.LoadLibraries(new LinkOptions { SearchPaths = [_dir], Libraries = ["libspin.so"], Rebindable = true });
        linker.Watch(line => reports.Add(line));

        var writer = Task.Run(async () =>
        {
            await Task.Delay(100);
            var temporary = Path.Combine(_dir, "libv.so.tmp");
            File.WriteAllBytes(temporary, version(2));
            File.Move(temporary, Path.Combine(_dir, "libv.so"), overwrite: true);
        });
        var calls = linker.GetFunction<long>("spin_until_2")();
        await writer;

        Assert.True(calls > 0, $"the guest saw version 2 only after {calls} calls");
        Assert.Equal([$"reloaded libv.so from {Path.Combine(_dir, "libv.so")}"], reports);
    }

    [Fact]
    public void WatchReload_IsCoveredByTheDeadline()
    {
        var looping = Wasmtime.Module.ConvertText(Side("""
            (func (export "__wasm_call_ctors") (loop $forever (br $forever)))
            (func (export "version") (result i32) (i32.const 2))
            """));
        File.WriteAllBytes(Path.Combine(_dir, "libv.so"), Version(1));
        File.WriteAllBytes(Path.Combine(_dir, "libspin.so"), Spinner);
        using var linker = new DynamicLinker(new DynamicLinkerOptions { AllowReloadWhileRunning = true, Timeout = TimeSpan.FromSeconds(1) });
        linker.LoadLibraries(new LinkOptions { SearchPaths = [_dir], Libraries = ["libspin.so"], Rebindable = true });
        linker.Watch(_ => { });
        // Written outside the watched directory and moved in whole: the only event is libv.so's.
        var temporary = Path.Combine(Path.GetTempPath(), $"dylink-libv-{Guid.NewGuid():N}.so");
        File.WriteAllBytes(temporary, looping);
        File.Move(temporary, Path.Combine(_dir, "libv.so"), overwrite: true);

        // The change is queued before the guest call starts, so the call's first epoch check applies it: what times out
        // is the new version's constructor, whatever the machine's load. (The wait only bounds a watcher that never fires.)
        Assert.True(SpinWait.SpinUntil(() => linker.HasPendingReloads, TimeSpan.FromMinutes(1)), "the file change never reached the watcher");
        var spin = linker.GetFunction<long>("spin_until_2");
        var e = Assert.Throws<TimeoutException>(() => spin());
        Assert.Equal("spin_until_2: libv.so: reload: stopped after 1 s (timeout)", e.Message);
    }

    [Fact]
    public void Watch_NeedsTheOption()
    {
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions());
        var e = Assert.Throws<InvalidOperationException>(() => linker.Watch(_ => { }));
        Assert.Equal("watching needs DynamicLinkerOptions.AllowReloadWhileRunning", e.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
