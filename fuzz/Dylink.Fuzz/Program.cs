using System.Diagnostics;

namespace Dylink.Fuzz;

/// <summary>
/// The fuzz harness's entry point. By default it supervises: a child process (this program with <c>--worker</c>)
/// runs the inputs, so that an input that kills the process (stack overflow, fail-fast, native crash) is still
/// caught: each worker thread records its current input in <c>fuzz/findings/.inflight/</c> before running it, and
/// when the child dies abnormally the parent keeps those inputs and replays each alone to tell which one aborts.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine($"dylink-fuzz: {e.Message}");
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        try
        {
            var paths = RepoPaths.Find();
            if (options.Worker || options.NoFork || options.Replay.Count > 0)
            {
                using var runner = new Runner(options, paths);
                return runner.Run();
            }

            return Supervise(args, paths);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"dylink-fuzz: {e.Message}");
            return 2;
        }
    }

    private static int Supervise(string[] args, RepoPaths paths)
    {
        if (Directory.Exists(paths.Inflight))
        {
            Directory.Delete(paths.Inflight, recursive: true);
        }

        var code = RunChild([.. args, "--worker"]);
        switch (code)
        {
            case 0:
            case 1:
            case 2:
                return code;
            case 3:
                return 1; // a hang: the child reported it and wrote the input
        }

        Console.Error.WriteLine($"FINDING abort: the fuzzing process died (exit code {code}); keeping the inputs in flight");
        var kept = new List<string>();
        foreach (var file in Directory.Exists(paths.Inflight) ? Directory.EnumerateFiles(paths.Inflight, "worker-*.bin").Order(StringComparer.Ordinal) : Enumerable.Empty<string>())
        {
            if (Worker.ReadInflight(file) is not { } bytes)
            {
                continue;
            }

            var c = CaseCodec.Decode(bytes);
            var path = Path.Combine(paths.Findings, $"abort-{DateTime.UtcNow:yyyyMMddHHmmss}-{Path.GetFileNameWithoutExtension(file)}{c.Extension}");
            File.WriteAllBytes(path, bytes);
            kept.Add(path);
        }

        foreach (var path in kept)
        {
            // Only one worker's input killed the process: replay each alone to tell which.
            var again = RunChild(["--replay", path, "--no-fork"]);
            Console.Error.WriteLine(again is 0 or 1 ? $"  {path}: does not abort when replayed alone (exit {again})" : $"  {path}: aborts again (exit {again}): the reproducer");
        }

        return 1;
    }

    private static int RunChild(IEnumerable<string> args)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Program).Assembly.Location);
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {host}");
        child.WaitForExit();
        return child.ExitCode;
    }
}
