using System.Text.RegularExpressions;
using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary>The CLI reference stays true: every command's --help is in docs/cli.md verbatim, and every
/// <c>$ dylink …</c> example there prints what the doc shows.</summary>
public partial class DocsTests
{
    private static readonly string CliDoc = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "docs", "cli.md")).ReplaceLineEndings("\n");

    [Theory]
    [InlineData("run")]
    [InlineData("ldd")]
    [InlineData("readelf")]
    [InlineData("nm")]
    [InlineData("precompile")]
    public void CliReference_HasEachCommandsHelp(string command)
    {
        var help = CliRunner.Run(command, "--help").Stdout;
        // In-process the root command is named after the test host; installed, it is "dylink".
        var usage = help[help.IndexOf("Usage:", StringComparison.Ordinal)..].TrimEnd('\n').Replace("  testhost ", "  dylink ", StringComparison.Ordinal);
        Assert.True(CliDoc.Contains("```\n" + usage + "\n```", StringComparison.Ordinal),
            $"docs/cli.md does not show the current `dylink {command} --help` (from Usage: on); paste it in:\n{usage}");
    }

    public static TheoryData<string, string> CliExamples()
    {
        var data = new TheoryData<string, string>();
        foreach (Match block in CodeBlock().Matches(CliDoc))
        {
            var lines = block.Groups[1].Value.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (!lines[i].StartsWith("$ dylink ", StringComparison.Ordinal))
                {
                    continue;
                }

                var output = lines.Skip(i + 1).TakeWhile(l => !l.StartsWith("$ ", StringComparison.Ordinal));
                data.Add(lines[i][2..], string.Join('\n', output));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CliExamples))]
    public void CliReference_ExamplesPrintWhatTheDocShows(string commandLine, string shown)
    {
        var pipe = commandLine.Split(" | tail -", 2);
        var args = pipe[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(a => a.StartsWith("examples/", StringComparison.Ordinal) ? Path.Combine(Fixtures.RepoRoot, a) : a).ToArray();
        // One writer for both, so a trace on stderr and the program's output interleave as on a terminal.
        using var both = new StringWriter { NewLine = "\n" };
        DylinkCommand.Run(args, both, both);
        var printed = both.ToString().Replace(Fixtures.RepoRoot + "/", "", StringComparison.Ordinal).TrimEnd('\n');
        if (pipe.Length == 2)
        {
            var lines = printed.Split('\n');
            printed = string.Join('\n', lines[^int.Parse(pipe[1], System.Globalization.CultureInfo.InvariantCulture)..]);
        }

        // The doc writes a checkout's absolute path as "/…/".
        Assert.Equal(shown.Replace("/…/", "", StringComparison.Ordinal).TrimEnd('\n'), printed);
    }

    [GeneratedRegex("```\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
