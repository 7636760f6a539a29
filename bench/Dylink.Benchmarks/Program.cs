using BenchmarkDotNet.Running;

namespace Dylink.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/Dylink.Benchmarks -- scenarios [JSON] [--libraries 10,100,1000] [--skip-calls] [--skip-scaling]</c>
/// runs the side-by-side scenario tables (call costs, load times of generated workloads against the bare Wasmtime floor
/// and emscripten on node) and writes them to JSON; any other arguments go to BenchmarkDotNet (e.g. <c>--filter '*'</c>).
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["scenarios", ..])
        {
            var json = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : null;
            var libraries = Array.IndexOf(args, "--libraries") is var at and >= 0 && at + 1 < args.Length
                ? [.. args[at + 1].Split(',').Select(n => int.Parse(n, System.Globalization.CultureInfo.InvariantCulture))]
                : new[] { 10, 100 };
            Scenarios.Run(json, libraries, calls: !args.Contains("--skip-calls"), scaling: !args.Contains("--skip-scaling"));
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
