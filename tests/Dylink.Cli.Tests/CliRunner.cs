using System.Text;
using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary>Runs the CLI in-process and captures exit code, stdout and stderr, with fixture paths made relative.</summary>
internal static class CliRunner
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var (code, stdout, stderr) = RunBytes(args);
        return (code, Relative(Encoding.UTF8.GetString(stdout)), Relative(Encoding.UTF8.GetString(stderr)));
    }

    /// <summary>
    /// Runs the CLI with byte streams behind its writers, as a file or pipe would be: a guest's bytes take the same
    /// path as in the process (no decoding), so every in-process test exercises it.
    /// </summary>
    public static (int Code, byte[] Stdout, byte[] Stderr) RunBytes(params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var output = Writer(stdout);
        using var error = Writer(stderr);
        var code = DylinkCommand.Run(args, output, error);
        output.Flush();
        error.Flush();
        return (code, stdout.ToArray(), stderr.ToArray());
    }

    /// <summary>Runs the CLI with stdout and stderr on one stream, as <c>2&gt;&amp;1</c> into one file.</summary>
    public static (int Code, byte[] Both) RunBytesTogether(params string[] args)
    {
        using var both = new MemoryStream();
        using var output = Writer(both);
        using var error = Writer(both);
        var code = DylinkCommand.Run(args, output, error);
        output.Flush();
        error.Flush();
        return (code, both.ToArray());
    }

    // AutoFlush as Console.Out and Console.Error have: Dylink's lines reach the stream when written.
    private static StreamWriter Writer(Stream stream) => new(stream, new UTF8Encoding(false), bufferSize: 1024, leaveOpen: true) { NewLine = "\n", AutoFlush = true };

    private static string Relative(string text) => text.Replace(Fixtures.BinDir + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
}
