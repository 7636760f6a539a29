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
    [InlineData("cc")]
    [InlineData("exports")]
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

    /// <summary>
    /// Every <c>dylink …</c> command shown in docs/getting-started.md, split into those this checkout can run (their
    /// files are in it) and those that need the library its step 4 has the reader build (libmine.so). docs/building.md's
    /// commands need its own modules: <see cref="BuildingGuide_FollowedEndToEnd_PrintsWhatItShows"/> builds and runs them.
    /// </summary>
    public static List<(string Doc, string[] Args, string? Missing)> GuideCommands()
    {
        var commands = new List<(string, string[], string?)>();
        foreach (var doc in new[] { "getting-started.md" })
        {
            var text = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "docs", doc)).ReplaceLineEndings("\n");
            foreach (Match block in GuideBlock().Matches(text))
            {
                foreach (var line in block.Groups[1].Value.Split('\n'))
                {
                    // "$ " prompts and environment assignments lead up to the command;
                    // what follows a pipe, a redirection, ';' or '#' is the shell's, not dylink's.
                    var words = line.Split(['|', '>', ';', '#'])[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                        .SkipWhile(w => w == "$" || w.Contains('=', StringComparison.Ordinal)).ToArray();
                    if (words is not ["dylink", _, ..] || words[1] == "--version")
                    {
                        continue;
                    }

                    var args = words[1..];
                    var missing = args.FirstOrDefault(a => (a.Contains('/', StringComparison.Ordinal) || a.EndsWith(".wasm", StringComparison.Ordinal) || a.EndsWith(".so", StringComparison.Ordinal))
                        && !File.Exists(Path.Combine(Fixtures.RepoRoot, a)) && !Directory.Exists(Path.Combine(Fixtures.RepoRoot, a)) && !a.Contains('*', StringComparison.Ordinal));
                    commands.Add((doc, args, missing ?? (args.Any(a => a.Contains('*', StringComparison.Ordinal)) ? "a glob over the reader's own libraries" : null)));
                }
            }
        }

        return commands;
    }

    public static TheoryData<string, string> RunnableGuideCommands()
    {
        var data = new TheoryData<string, string>();
        foreach (var (doc, args, _) in GuideCommands().Where(c => c.Missing is null))
        {
            data.Add(doc, string.Join(' ', args));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RunnableGuideCommands))]
    public void Guides_EveryCommandWhoseFilesAreInTheCheckout_Runs(string doc, string commandLine)
    {
        var args = commandLine.Split(' ').Select(a => File.Exists(Path.Combine(Fixtures.RepoRoot, a)) || Directory.Exists(Path.Combine(Fixtures.RepoRoot, a)) ? Path.Combine(Fixtures.RepoRoot, a) : a).ToArray();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = DylinkCommand.Run(args, output, error);
        Assert.True(code == 0, $"{doc}: dylink {commandLine} exited {code}: {error}");
    }

    [Fact]
    public void Guides_CommandsNotRunHere_AreOnlyThoseNeedingAModuleBuiltByAToolchainCiLacks()
    {
        // The shipped example is in the checkout, so getting-started's walk-through always runs. What is skipped needs
        // what step 4 builds (KitTests follows step 4 itself). A command naming any other missing file is a doc error.
        var skipped = GuideCommands().Where(c => c.Missing is not null).ToList();
        Assert.All(skipped, c => Assert.True(
            c.Missing is "libmine.so" or "mine.wasm" or "libsquare.so",
            $"{c.Doc}: dylink {string.Join(' ', c.Args)} names {c.Missing}, which is not in the checkout and no toolchain step builds it"));
        Assert.Contains(GuideCommands(), c => c.Doc == "getting-started.md" && c.Missing is null);
    }

    [GeneratedRegex("```(?:sh)?\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex GuideBlock();

    [GeneratedRegex("```\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
