using BenchmarkDotNet.Running;

namespace Dylink.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/Dylink.Benchmarks -- scenarios</c> runs the side-by-side scenario table
/// (call costs, load times); any other arguments go to BenchmarkDotNet (e.g. <c>--filter '*'</c>).
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["scenarios", ..])
        {
            Scenarios.Run(args.Length > 1 ? args[1] : null);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
