using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary>Runs the CLI in-process and captures exit code, stdout and stderr, with fixture paths made relative.</summary>
internal static class CliRunner
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var code = DylinkCommand.Run(args, stdout, stderr);
        return (code, Relative(stdout.ToString()), Relative(stderr.ToString()));
    }

    private static string Relative(string text) => text.Replace(Fixtures.BinDir + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
}
