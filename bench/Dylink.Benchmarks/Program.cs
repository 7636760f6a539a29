using BenchmarkDotNet.Running;

namespace Dylink.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/Dylink.Benchmarks -- scenarios [JSON] [--libraries 10,100,1000] [--skip-calls] [--skip-scaling]
/// [--only calls,callpaths,load,scaling,soak,dlsym,fresh] [--cycles 20000] [--exports 100000]</c>
/// runs the side-by-side scenario tables (call costs, the call paths of a non-PIE program with and without call tables, load times of generated workloads against the bare Wasmtime floor
/// and emscripten on node, the open/close soak, dlsym throughput, fresh processes of dylink against node) and writes them to JSON; <c>--only</c> runs just the
/// named scenarios, <c>--cycles</c> and <c>--exports</c> size the soak and the dlsym library (smaller for a smoke run).
/// Any other arguments go to BenchmarkDotNet (e.g. <c>--filter '*'</c>).
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["scenarios", ..])
        {
            var json = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : null;
            string? Value(string option) => Array.IndexOf(args, option) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
            static int Number(string text) => int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            var libraries = Value("--libraries") is { } list ? [.. list.Split(',').Select(Number)] : new[] { 10, 100 };
            var only = Value("--only") is { } names ? names.Split(',').ToHashSet(StringComparer.Ordinal) : null;
            if (only?.FirstOrDefault(n => !Scenarios.Names.Contains(n)) is { } unknown)
            {
                throw new ArgumentException($"--only: unknown scenario '{unknown}' (known: {string.Join(", ", Scenarios.Names)})");
            }

            // The old switches still work: they remove a scenario from the default set.
            if (only is null && (args.Contains("--skip-calls") || args.Contains("--skip-scaling")))
            {
                only = [.. Scenarios.Names.Where(n => !(n == "calls" && args.Contains("--skip-calls")) && !(n == "scaling" && args.Contains("--skip-scaling")))];
            }

            Scenarios.Run(json, libraries, only, Value("--cycles") is { } c ? Number(c) : 20_000, Value("--exports") is { } e ? Number(e) : 100_000);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
