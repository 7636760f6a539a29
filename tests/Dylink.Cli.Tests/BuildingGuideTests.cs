using System.Diagnostics;
using System.Text.RegularExpressions;
using Dylink.Tests;
using Xunit.Abstractions;

namespace Dylink.Cli.Tests;

/// <summary>
/// docs/building.md followed top to bottom in an empty directory, as a reader would: each source block is written to the
/// file its <c>&lt;!-- file: … --&gt;</c> marker names, each <c>sh</c> build block runs in bash, and each <c>$ $D …</c>
/// command (with <c>$D</c> this build's dylink) must print what the page shows.
/// </summary>
public partial class DocsTests(ITestOutputHelper output)
{
    /// <summary>The directory the page's outputs show; the test's own directory is written as this before comparing.</summary>
    private const string ShownDirectory = "/tmp/docs-trial/c19";

    [Fact]
    public void BuildingGuide_FollowedEndToEnd_PrintsWhatItShows()
    {
        var root = Directory.CreateTempSubdirectory("dylink-building-");
        try
        {
            var work = Directory.CreateDirectory(Path.Combine(root.FullName, "c19")).FullName;
            var dylink = WriteDylinkScript(root.FullName);
            var (unchecked_, mismatches, ran) = Follow(File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "docs", "building.md")).ReplaceLineEndings("\n"), work, dylink);
            output.WriteLine($"building.md: {ran} dylink command(s) checked");
            foreach (var reason in unchecked_)
            {
                // xunit 2 has no dynamic skip: a missing toolchain is reported here, and CI (which has them all) runs everything.
                output.WriteLine("not checked: " + reason);
            }

            Assert.True(mismatches.Count == 0, string.Join("\n\n", mismatches));
            Assert.True(ran > 0 || unchecked_.Count > 0, "building.md has no $D command");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static (List<string> Unchecked, List<string> Mismatches, int Ran) Follow(string doc, string work, string dylink)
    {
        var lines = doc.Split('\n');
        var notChecked = new List<string>();
        var mismatches = new List<string>();
        var ran = 0;
        var section = "(top)";
        string? file = null;
        string? skipSection = null;
        var skipAll = false;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("## ", StringComparison.Ordinal))
            {
                section = lines[i][3..];
                continue;
            }

            if (FileMarker().Match(lines[i]) is { Success: true } marker)
            {
                file = marker.Groups[1].Value;
                continue;
            }

            if (!lines[i].StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }

            var lang = lines[i][3..];
            var end = Array.FindIndex(lines, i + 1, l => l.StartsWith("```", StringComparison.Ordinal));
            var body = lines[(i + 1)..end];
            i = end;
            if (lang is "c" or "rust")
            {
                Assert.True(file is not null, $"building.md, {section}: a {lang} block without a <!-- file: … --> marker, so a reader cannot tell which file it is");
                File.WriteAllText(Path.Combine(work, file), string.Join('\n', body) + "\n");
                file = null;
                continue;
            }

            // The installation block is the reader's own step (CI installs the same packages itself).
            if (lang is not ("sh" or "") || skipAll || skipSection == section || body is [var first, ..] && first.StartsWith("apt-get ", StringComparison.Ordinal))
            {
                continue;
            }

            var firstCommand = Array.FindIndex(body, l => l.StartsWith("$ ", StringComparison.Ordinal));
            var build = string.Join('\n', firstCommand < 0 ? body : body[..firstCommand]);
            if (build.Trim().Length > 0)
            {
                if (ToolRegex().Matches(build).Select(m => m.Value).Distinct().FirstOrDefault(t => !HasTool(t)) is { } absent)
                {
                    // Every later section builds on the clang-19 modules; other toolchains are needed only by their own.
                    notChecked.Add($"{section} (and what follows it there): {absent} is not installed");
                    skipAll = absent.EndsWith("-19", StringComparison.Ordinal);
                    skipSection = section;
                    continue;
                }

                var (code, printed) = Bash("set -e\n" + build, work, dylink);
                Assert.True(code == 0, $"building.md, {section}: the build exited {code}:\n{build}\n{printed}");
            }

            string? previous = null;
            for (var c = firstCommand; c >= 0 && c < body.Length; c++)
            {
                if (!body[c].StartsWith("$ ", StringComparison.Ordinal))
                {
                    continue;
                }

                var command = body[c][2..];
                var shown = string.Join('\n', body.Skip(c + 1).TakeWhile(l => !l.StartsWith("$ ", StringComparison.Ordinal))).TrimEnd('\n');
                if (shown.Length == 0 && command.Contains("# same output", StringComparison.Ordinal))
                {
                    shown = previous ?? "";
                }

                var (_, printed) = Bash(command, work, dylink);
                printed = printed.Replace(work, ShownDirectory, StringComparison.Ordinal).TrimEnd('\n');
                ran++;
                if (printed != shown)
                {
                    mismatches.Add($"building.md, {section}: $ {command}\n--- shown:\n{shown}\n--- printed:\n{printed}");
                }

                previous = shown;
            }
        }

        return (notChecked, mismatches, ran);
    }

    /// <summary>A <c>$D</c> for the page's commands: this build's dylink.dll, run as a reader runs the built dylink.</summary>
    internal static string WriteDylinkScript(string directory)
    {
        var dll = typeof(DylinkCommand).Assembly.Location;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var script = Path.Combine(directory, "dylink");
        File.WriteAllText(script, $"#!/bin/sh\nexec '{host}' '{dll}' \"$@\"\n");
        // The page's commands are bash, so this runs where bash does; Windows has no execute bit to set.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return script;
    }

    private static readonly Dictionary<string, bool> Tools = [];

    internal static bool HasTool(string tool)
    {
        lock (Tools)
        {
            if (!Tools.TryGetValue(tool, out var present))
            {
                present = Tools[tool] = Bash($"command -v '{tool}'", Path.GetTempPath(), "").Code == 0;
            }

            return present;
        }
    }

    /// <summary>Runs a script in bash with stderr merged into stdout, as the page's outputs show both.</summary>
    private static (int Code, string Output) Bash(string script, string directory, string dylink)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec 2>&1\n" + script);
        start.Environment["D"] = dylink;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var reading = process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), $"did not finish in 2 minutes: {script}");
        return (process.ExitCode, reading.Result);
    }

    [GeneratedRegex(@"^<!-- file: (\S+) -->$")]
    private static partial Regex FileMarker();

    [GeneratedRegex(@"(?<![\w/.-])(clang-\d+|wasm-ld-\d+|emcc|/usr/bin/rustc)(?![\w.-])")]
    private static partial Regex ToolRegex();
}
