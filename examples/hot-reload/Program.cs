using Dylink.Linking;
using Dylink.Runtime;

namespace HotReload;

/// <summary>
/// Hot reload of a wasm library under a running program. <c>libapp.so</c> keeps a running total in its own data and
/// calls <c>counter_step</c> in <c>libcounter.so</c> (its NEEDED library) on every tick. Version 1 of the counter
/// adds 1 per step, version 2 adds 100. First the host swaps versions with <see cref="DynamicLinker.Reload(LibraryHandle, string)"/>;
/// then it watches the file and the new version is picked up when the file changes, as <c>dylink run --watch</c> does.
/// </summary>
public static class Program
{
    /// <summary>Runs the demo from the directory holding <c>libapp.so</c>, <c>libcounter.so</c> and <c>v2/</c>.</summary>
    public static int Main() => Run(AppContext.BaseDirectory, Console.Out);

    /// <summary>Runs both halves; returns 0 when the total carried on across each reload.</summary>
    public static int Run(string directory, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return Explicit(directory, output) && Watched(directory, output) ? 0 : 1;
    }

    private static bool Explicit(string directory, TextWriter output)
    {
        using var linker = new DynamicLinker();
        // Rebindable: libapp's direct calls to counter_step go through a forwarder, so they follow a reload.
        linker.LoadLibraries(new LinkOptions { SearchPaths = [directory], Libraries = ["libapp.so"], Rebindable = true });
        var tick = linker.GetFunction<int>("app_tick");
        var version = linker.GetFunction<int>("app_counter_version");
        output.WriteLine($"counter v{version()}: ticks give {tick()}, {tick()}, {tick()}");

        var counter = linker.Open("libcounter.so", OpenMode.Now | OpenMode.NoLoad);   // the loaded one's handle
        counter = linker.Reload(counter, Path.Combine(directory, "v2", "libcounter.so"));
        linker.Close(counter);                                                         // the reference NoLoad took
        var (a, b) = (tick(), tick());
        output.WriteLine($"Reload(libcounter.so, v2/libcounter.so): counter v{version()}: ticks give {a}, {b} (libapp's total carried on)");
        return a == 103 && b == 203 && version() == 2;
    }

    private static bool Watched(string directory, TextWriter output)
    {
        var work = Directory.CreateTempSubdirectory("dylink-hot-reload").FullName;
        try
        {
            File.Copy(Path.Combine(directory, "libapp.so"), Path.Combine(work, "libapp.so"));
            File.Copy(Path.Combine(directory, "libcounter.so"), Path.Combine(work, "libcounter.so"));
            var reports = new List<string>();
            using var linker = new DynamicLinker(new DynamicLinkerOptions { AllowReloadWhileRunning = true });
            linker.LoadLibraries(new LinkOptions { SearchPaths = [work], Libraries = ["libapp.so"], Rebindable = true });
            linker.Watch(line => { lock (reports) { reports.Add(line); } });
            var tick = linker.GetFunction<int>("app_tick");
            var version = linker.GetFunction<int>("app_counter_version");
            var total = tick();

            // A build tool writes the new version next to the old one and renames it over, so the watcher never
            // sees a half-written file (one caught half-written would be retried at the next check anyway).
            File.Copy(Path.Combine(directory, "v2", "libcounter.so"), Path.Combine(work, "libcounter.so.new"));
            File.Move(Path.Combine(work, "libcounter.so.new"), Path.Combine(work, "libcounter.so"), overwrite: true);

            // The reload is applied on this thread, at an epoch check inside guest code: keep calling in.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (version() != 2 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }

            var after = tick();
            lock (reports)
            {
                output.WriteLine($"watching a copy in a temporary directory: tick gave {total}; libcounter.so replaced by v2; {string.Join("; ", reports.Select(r => r.Replace(work, "<dir>", StringComparison.Ordinal)))}");
            }

            output.WriteLine($"counter v{version()}: next tick gives {after}");
            return version() == 2 && after == total + 100;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
