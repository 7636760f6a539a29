using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary>
/// The command line parses as wasmtime's does (issue 14, item 1): an unknown option or command is named, with the
/// closest spelling suggested; bare <c>dylink</c> shows the usage and the commands; everything after run's MAIN.wasm
/// is the program's; <c>run --invoke</c> calls one function.
/// </summary>
public class ParsingTests
{
    private const string Commands = """
        Commands:
          run         Load a program and its libraries, link them and run it (or --invoke one function)
          ldd         Show how a program would be loaded: libraries, layout, orders, bindings, a graph
          readelf     Show a module's file header, sections, dylink.0 metadata and symbols
          nm          List the symbols modules define and need
          precompile  Compile modules into the compiled-code cache that run --cache reads
          cc          Compile and link C for Dylink with your clang: side modules (-shared) and PIE mains, with libc.so
          c++         The same for C++: side modules, and non-PIE mains with the static C++ runtime
          exports     Print the -Wl,--export= flags a non-PIE main needs for a set of libraries

        """;

    private static string Hello => Path.Combine(Fixtures.RepoRoot, "examples", "hello", "host.wasm");

    [Fact]
    public void Bare_PrintsUsageAndCommandsOnStderr_Exit1()
    {
        var (code, stdout, stderr) = CliRunner.Run();
        Assert.Equal("Usage: dylink COMMAND [options] [ARGS...]\n\n" + Commands + "Try 'dylink --help' for more information.\n", stderr);
        Assert.Equal(("", 1), (stdout, code));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void RootHelp_IsShort_UsageCommandsAndWhereToLookNext(string help)
    {
        var (code, stdout, stderr) = CliRunner.Run(help);
        Assert.Equal(
            "Dylink: a dynamic linker and loader for WebAssembly modules that use the dylink.0 ABI.\n\n"
            + "Usage: dylink COMMAND [options] [ARGS...]\n\n" + Commands
            + "\nOptions:\n  -h, --help  Show this help\n  --version   Show the version\n\n"
            + "'dylink COMMAND --help' shows a command's options, examples and exit status.\n",
            stdout);
        Assert.Equal(("", 0), (stderr, code));
    }

    [Theory]
    [InlineData("rn", "dylink: unknown command 'rn'; did you mean 'run'?")]
    [InlineData("readef", "dylink: unknown command 'readef'; did you mean 'readelf'?")]
    [InlineData("frobnicate", "dylink: unknown command 'frobnicate'")]
    [InlineData("main.wasm", "dylink: unknown command 'main.wasm' (to run it: dylink run main.wasm)")]
    public void UnknownCommand_IsNamed_WithASuggestionAndTheCommands(string word, string line)
    {
        var (code, stdout, stderr) = CliRunner.Run(word, "x");
        Assert.Equal(line + "\nCommands: run, ldd, readelf, nm, precompile, cc, c++, exports\nTry 'dylink --help' for more information.\n", stderr);
        Assert.Equal(("", 1), (stdout, code));
    }

    [Fact]
    public void UnknownRootOption_IsNamed()
    {
        var (code, _, stderr) = CliRunner.Run("--hepl");
        Assert.Equal("dylink: unknown option '--hepl'; did you mean '--help'?\nUsage: dylink COMMAND [options] [ARGS...]; commands: run, ldd, readelf, nm, precompile, cc, c++, exports\nTry 'dylink --help' for more information.\n", stderr);
        Assert.Equal(1, code);
    }

    [Theory]
    [InlineData("run --preloda libutil.so main.wasm", "run", "--preloda", "; did you mean '--preload'?")]
    [InlineData("run --lib", "run", "--lib", "")]
    [InlineData("run --timout 3 main.wasm", "run", "--timout", "; did you mean '--timeout'?")]
    [InlineData("ldd --bindngs main.wasm", "ldd", "--bindngs", "; did you mean '--bindings'?")]
    [InlineData("nm --undefined main.wasm", "nm", "--undefined", "")]
    [InlineData("nm --extern-onyl main.wasm", "nm", "--extern-onyl", "; did you mean '--extern-only'?")]
    [InlineData("readelf -x main.wasm", "readelf", "-x", "")]
    [InlineData("precompile --cahce d main.wasm", "precompile", "--cahce", "; did you mean '--cache'?")]
    public void UnknownOption_IsNamed_NotTheWordAfterIt_Exit1(string line, string command, string option, string suggestion)
    {
        var (code, stdout, stderr) = CliRunner.Run(line.Split(' '));
        Assert.Equal($"dylink {command}: unknown option '{option}'{suggestion}\nTry 'dylink {command} --help' for more information.\n", stderr);
        Assert.Equal(("", 1), (stdout, code));
    }

    [Theory]
    [InlineData("nm", "-gn")]
    [InlineData("nm", "-ug")]
    [InlineData("readelf", "-hs")]
    public void BundledShortFlags_AreOptions(string command, string flags)
    {
        var (code, _, stderr) = CliRunner.Run(command, flags, Fixtures.PathOf("libhello.so"));
        Assert.Equal(("", 0), (stderr, code));
    }

    [Fact]
    public void AttachedValues_AreOptions()
    {
        var (code, _, stderr) = CliRunner.Run("ldd", $"-L{Path.Combine(Fixtures.RepoRoot, "examples", "hello")}", "--preload=libhello.so", Hello);
        Assert.Equal(("", 0), (stderr, code));
    }

    [Fact]
    public void RunHelp_UsageLineSaysOptionsComeBeforeMain()
    {
        var (code, stdout, _) = CliRunner.Run("run", "--help");
        Assert.Contains("Usage:\n  dylink run [options] MAIN.wasm [--] [ARGS...]\n", stdout, StringComparison.Ordinal);
        Assert.Equal(0, code);
    }

    [Fact]
    public void Run_OptionAfterMain_IsTheProgramsNotDylinks()
    {
        // wasmtime's rule: "--debug libs" after MAIN.wasm is argv for the program, and dylink traces nothing.
        var (code, stdout, stderr) = CliRunner.Run("run", Hello, "--debug", "libs");
        Assert.Equal("hello from libhello.so: x=5 ready=1\nhost: side_hello(5) returned 40\n", stdout);
        Assert.Equal(("", 0), (stderr, code));
    }

    [Fact]
    public void Run_DoubleDash_EndsDylinksOptions()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--", Hello, "--help");
        Assert.Equal(("", 0), (stderr, code));
    }

    [Fact]
    public void Invoke_CallsTheFunction_PrintsItsResult()
    {
        var (code, stdout, stderr) = CliRunner.Run("run", "--invoke", "side_hello", Hello, "5");
        Assert.Equal("hello from libhello.so: x=5 ready=1\n40\n", stdout);
        Assert.Equal(("", 0), (stderr, code));
    }

    [Fact]
    public void Invoke_AModuleWithoutStart_ParsesEachTypeAndPrintsEachResultOnItsOwnLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dylink-invoke-{Guid.NewGuid():N}.wasm");
        File.WriteAllBytes(path, Wasmtime.Module.ConvertText("""
            (module (memory (export "memory") 1)
              (func (export "mix") (param i32 i64 f32 f64) (result f64 i64 i32)
                local.get 3 local.get 2 f64.promote_f32 f64.add
                local.get 1 i64.const 1 i64.add
                local.get 0 i32.const 1 i32.sub))
            """));
        try
        {
            var (code, stdout, stderr) = CliRunner.Run("run", "--invoke", "mix", path, "4294967295", "-9", "0.5", "2.25");
            Assert.Equal("2.75\n-8\n-2\n", stdout);
            Assert.Equal(("", 0), (stderr, code));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Invoke_WrongNumberOfArguments_IsAUsageError()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--invoke", "side_hello", Hello);
        Assert.Equal("dylink: --invoke side_hello: takes 1 argument (i32), not 0\n", stderr);
        Assert.Equal(1, code);
    }

    [Fact]
    public void Invoke_ArgumentNotOfTheParameterType_IsAUsageError()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--invoke", "side_hello", Hello, "5x");
        Assert.Equal("dylink: --invoke side_hello: argument 1: '5x' is not an i32\n", stderr);
        Assert.Equal(1, code);
    }

    [Fact]
    public void Invoke_NoSuchFunction_Exits127()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--invoke", "side_helo", Hello);
        Assert.Equal("dylink: --invoke: no module of host.wasm's program exports a function 'side_helo'\n", stderr);
        Assert.Equal(127, code);
    }

    [Theory]
    [InlineData("--preloda", "--preload", 1)]
    [InlineData("rn", "run", 1)]
    [InlineData("--bindngs", "--bindings", 1)]
    [InlineData("abc", "abc", 0)]
    [InlineData("ab", "ba", 1)]
    [InlineData("", "abc", 3)]
    public void Distance_CountsEditsAndTranspositions(string a, string b, int distance) =>
        Assert.Equal(distance, Arguments.Distance(a, b));
}
