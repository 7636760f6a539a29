using Dylink.Tests;
using Xunit.Abstractions;

namespace Dylink.Cli.Tests;

/// <summary>
/// Programs built from C sources by <c>dylink cc</c> alone — the kit's libc.so, start files and dlfcn.h — and run by
/// <c>dylink run</c>, as a newcomer would (docs/getting-started.md). The sources are kit/tests: argv, environment,
/// a file through <c>--dir</c>, errno across modules, constructors in dependency order, data pointers across modules
/// both ways, a plugin through <c>&lt;dlfcn.h&gt;</c>, libc.so's compiler-rt builtins, <c>%Lg</c>, atexit.
/// </summary>
public sealed class KitTests(ITestOutputHelper output) : IDisposable
{
    private readonly List<string> _built = [];

    private static readonly string Sources = Path.Combine(Fixtures.RepoRoot, "kit", "tests");

    public static TheoryData<string> Compilers() => ["clang-19", "clang-22"];

    [Theory]
    [MemberData(nameof(Compilers))]
    public void AProgramBuiltWithDylinkCc_RunsAsExpected(string clang)
    {
        if (Lacks(clang))
        {
            return;
        }

        var dir = Build(clang);
        var main = Path.Combine(dir, "main.wasm");
        var (code, stdout, stderr) = CliRunner.Run("run", "--dir", Path.Combine(dir, "data") + "::data", "--env", "KIT_GREETING=hi", main, "one", "two");

        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        // argv[0] is the main's file name, as wasmtime gives it.
        Assert.Equal(File.ReadAllText(Path.Combine(Sources, "expected.txt")), stdout);
    }

    [Fact]
    public void DylinkCc_IsReproducible_TheSameBytesFromAnotherDirectory()
    {
        if (Lacks("clang-19"))
        {
            return;
        }

        var first = Build("clang-19");
        var second = Build("clang-19");
        foreach (var module in new[] { "libbar.so", "libfoo.so", "libplugin.so", "main.wasm" })
        {
            Assert.True(File.ReadAllBytes(Path.Combine(first, module)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(second, module))), module);
        }
    }

    [Fact]
    public void ACxxProgramBuiltWithDylinkCxx_ExportsWhatItsLibrariesNeed_AndRunsAsExpected()
    {
        if (Lacks("clang++-19"))
        {
            return;
        }

        // The classes scenario of the C++ matrix (virtual calls, dynamic_cast, typeid, inline and template statics
        // across modules, static destructors at exit), whose fixture main has a hand-written export list.
        var classes = CxxScenario("classes");
        string In(string file) => Path.Combine(classes, file);
        Cxx("-O2", "-fno-exceptions", "-shared", "-o", In("libshapes.so"), In("libshapes.cpp"));
        Cxx("-O2", "-fno-exceptions", "-shared", "-o", In("libcircle.so"), In("libcircle.cpp"), In("libshapes.so"));
        Cxx("-O2", "-fno-exceptions", "-o", In("main.wasm"), In("main.cpp"), In("libcircle.so"), In("libshapes.so"));
        var (code, stdout, stderr) = CliRunner.Run("run", In("main.wasm"));

        Assert.Equal(("", 0), (stderr, code));
        Assert.Equal(File.ReadAllText(Path.Combine(Fixtures.BinDir, "cxx", "classes", "expected.txt")), stdout);
    }

    [Fact]
    public void HelloKit_IsWhatItsBuildScriptMakes_AndRuns()
    {
        var example = Path.Combine(Fixtures.RepoRoot, "examples", "hello-kit");
        var (code, stdout, stderr) = CliRunner.Run("run", Path.Combine(example, "host.wasm"));
        Assert.Equal(("hello from libhello.so: x=5 ready=1\nhost: side_hello(5) returned 40\n", "", 0), (stdout, stderr, code));
        if (Lacks("clang-19", "rebuild"))
        {
            return;
        }

        // Its two dylink cc commands, into another directory: the committed modules, byte for byte.
        var dir = Directory.CreateTempSubdirectory("dylink-hello-kit-").FullName;
        _built.Add(dir);
        var start = new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(example, "build.sh"), dir]) { RedirectStandardError = true };
        start.Environment["DYLINK"] = DocsTests.WriteDylinkScript(dir);
        using (var build = System.Diagnostics.Process.Start(start)!)
        {
            var log = build.StandardError.ReadToEnd();
            build.WaitForExit();
            Assert.True(build.ExitCode == 0, log);
        }

        foreach (var module in new[] { "host.wasm", "libhello.so" })
        {
            Assert.True(File.ReadAllBytes(Path.Combine(example, module)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, module))), module);
        }
    }

    [Fact]
    public void ACxxPluginBuiltWithDylinkCxx_IsOpenedAndClosed_ItsStaticDestructorsRunAtDlclose()
    {
        if (Lacks("clang++-19"))
        {
            return;
        }

        // The dlclose scenario of the C++ matrix, with the kit's <dlfcn.h> instead of the fixture's declarations; the
        // main exports what the plugin needs, computed by dylink exports (the plugin is not on the main's line).
        var dlclose = CxxScenario("dlclose");
        string In(string file) => Path.Combine(dlclose, file);
        File.WriteAllText(In("main.cpp"), File.ReadAllText(In("main.cpp")).Replace("#include \"../../dl/dl.h\"", "#include <dlfcn.h>", StringComparison.Ordinal));
        Cxx("-O2", "-fno-exceptions", "-shared", "-o", In("libplugin.so"), In("libplugin.cpp"));
        var (exportsCode, exports, _) = CliRunner.Run("exports", In("libplugin.so"));
        Assert.Equal(0, exportsCode);
        Cxx(["-O2", "-fno-exceptions", "-o", In("main.wasm"), In("main.cpp"), .. exports.Split('\n', StringSplitOptions.RemoveEmptyEntries)]);
        var (code, stdout, stderr) = CliRunner.Run("run", In("main.wasm"));

        Assert.Equal(("", 0), (stderr, code));
        Assert.Equal(File.ReadAllText(Path.Combine(Fixtures.BinDir, "cxx", "dlclose", "expected.txt")), stdout);
    }

    [Fact]
    public async Task GettingStartedStep4_FollowedInAnEmptyDirectory_PrintsWhatItShows()
    {
        if (Lacks("clang-19"))
        {
            return;
        }

        // Step 4 as a newcomer follows it: each C block into the file the text before it names, then the block of
        // dylink commands, run by bash with this build's dylink first on PATH; it must print the block after it.
        var doc = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "docs", "getting-started.md")).ReplaceLineEndings("\n");
        var step = doc[doc.IndexOf("## 4.", StringComparison.Ordinal)..doc.IndexOf("To call a library from C#", StringComparison.Ordinal)];
        var dir = Directory.CreateTempSubdirectory("dylink-step4-").FullName;
        _built.Add(dir);
        var blocks = System.Text.RegularExpressions.Regex.Matches(step, "```(\\w*)\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline);
        string? commands = null;
        string? shown = null;
        foreach (System.Text.RegularExpressions.Match block in blocks)
        {
            var (lang, body) = (block.Groups[1].Value, block.Groups[2].Value);
            if (lang == "c")
            {
                var before = step[..block.Index];
                var file = System.Text.RegularExpressions.Regex.Matches(before, "`(\\w+\\.c)`")[^1].Groups[1].Value;
                File.WriteAllText(Path.Combine(dir, file), body);
            }
            else if (lang == "sh" && body.Contains("dylink cc", StringComparison.Ordinal))
            {
                commands = body;
            }
            else if (lang == "" && commands is not null)
            {
                shown ??= body;
            }
        }

        Assert.True(commands is not null && shown is not null, "getting-started.md step 4 has no dylink cc block followed by its output");
        var bin = Directory.CreateDirectory(Path.Combine(dir, "bin")).FullName;
        DocsTests.WriteDylinkScript(bin);
        var start = new System.Diagnostics.ProcessStartInfo("bash", ["-c", "set -e\n" + commands]) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        using var run = System.Diagnostics.Process.Start(start)!;
        var stdout = run.StandardOutput.ReadToEndAsync();
        var stderr = await run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();

        Assert.True(run.ExitCode == 0, $"step 4 exited {run.ExitCode}:\n{stderr}");
        Assert.Equal(shown, await stdout);
    }

    /// <summary>A copy of a scenario of the C++ matrix (tests/fixtures/src/cxx/NAME, beside its cxx.h) in a fresh
    /// directory; returns the scenario's directory.</summary>
    private string CxxScenario(string name)
    {
        var sources = Path.Combine(Fixtures.RepoRoot, "tests", "fixtures", "src", "cxx");
        var dir = Directory.CreateTempSubdirectory("dylink-kit-cxx-").FullName;
        _built.Add(dir);
        File.Copy(Path.Combine(sources, "cxx.h"), Path.Combine(dir, "cxx.h"));
        var scenario = Directory.CreateDirectory(Path.Combine(dir, name)).FullName;
        foreach (var source in Directory.EnumerateFiles(Path.Combine(sources, name)))
        {
            File.Copy(source, Path.Combine(scenario, Path.GetFileName(source)));
        }

        return scenario;
    }

    /// <summary>Builds kit/tests in a fresh directory with <c>dylink cc --cc CLANG</c>, optimised, as a user's makefile
    /// would: each library from its source, the main against the libraries it calls.</summary>
    private string Build(string clang)
    {
        var dir = Directory.CreateTempSubdirectory("dylink-kit-").FullName;
        _built.Add(dir);
        foreach (var source in Directory.EnumerateFiles(Sources, "*.c"))
        {
            File.Copy(source, Path.Combine(dir, Path.GetFileName(source)));
        }

        Directory.CreateDirectory(Path.Combine(dir, "data"));
        File.WriteAllText(Path.Combine(dir, "data", "in.txt"), "hello from a preopened file\n");
        string In(string file) => Path.Combine(dir, file);
        Cc("--cc", clang, "-O2", "-shared", "-o", In("libbar.so"), In("bar.c"));
        Cc("--cc", clang, "-O2", "-shared", "-o", In("libfoo.so"), In("foo.c"), "-L" + dir, "-lbar");
        Cc("--cc", clang, "-O2", "-shared", "-o", In("libplugin.so"), In("plugin.c"));
        Cc("--cc", clang, "-O2", "-o", In("main.wasm"), In("main.c"), "-L" + dir, "-lfoo", "-lbar");
        return dir;
    }

    private static void Cc(params string[] args) => Driver("cc", args);

    private static void Cxx(params string[] args) => Driver("c++", args);

    private static void Driver(string command, string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run([command, .. args]);
        Assert.True(code == 0, $"dylink {command} {string.Join(' ', args)} exited {code}:\n{stdout}{stderr}");
    }

    public void Dispose()
    {
        foreach (var dir in _built)
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>True, after saying so in the test's output, when <paramref name="tool"/> is not installed: xunit 2 has no
    /// dynamic skip, and CI installs every compiler, so there every check runs.</summary>
    private bool Lacks(string tool, string what = "")
    {
        if (DocsTests.HasTool(tool))
        {
            return false;
        }

        output.WriteLine($"{(what.Length > 0 ? what + " " : "")}not checked: {tool} is not installed");
        return true;
    }
}
