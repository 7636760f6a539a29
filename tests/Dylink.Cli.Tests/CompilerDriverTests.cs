using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary>What <c>dylink cc</c>/<c>c++</c> would run for a command line: decided without running clang.</summary>
public class CompilerDriverTests
{
    private const string Kit = "/kit";
    private const string Scratch = "/scratch";

    private static CompilerDriver Driver(int major = 19, bool cxx = false) =>
        new() { Clang = cxx ? "clang++-19" : $"clang-{major}", ClangMajor = major, Sysroot = Kit, Cxx = cxx, ScratchDirectory = Scratch };

    private static string[] Lines(CompilerDriver driver, params string[] args) => [.. driver.Plan(args).Select(c => c.ToString())];

    [Fact]
    public void ASideModule_IsPositionIndependent_LeavesUndefinedSymbolsToTheLoader_AndNeedsLibc()
    {
        Assert.Equal(
            ["clang-19 --target=wasm32-wasi --sysroot=/kit -fPIC -fvisibility=default -Qunused-arguments -L/kit/lib/wasm32-wasi -nostdlib -Wl,--experimental-pic -Wl,--no-entry "
                + "-Wl,--unresolved-symbols=import-dynamic -Wl,--export-if-defined=__wasm_call_ctors -shared -o libfoo.so foo.o -L. -lbar /kit/lib/wasm32-wasi/libc_nonshared.o /kit/lib/wasm32-wasi/libc.so"],
            Lines(Driver(), "-shared", "-o", "libfoo.so", "foo.o", "-L.", "-lbar"));
    }

    [Fact]
    public void AProgram_IsAPieMain_WithTheKitsStartFile_ExportingItsSymbols_LinkedAgainstLibc()
    {
        Assert.Equal(
            ["clang-19 --target=wasm32-wasi --sysroot=/kit -fPIC -fvisibility=default -Qunused-arguments -L/kit/lib/wasm32-wasi -nostdlib /kit/lib/wasm32-wasi/crt1-command.o "
                + "-Wl,--experimental-pic -Wl,-pie -Wl,--export-dynamic -Wl,--import-memory -Wl,--export-memory -o app.wasm main.o /kit/lib/wasm32-wasi/libc.so"],
            Lines(Driver(), "-o", "app.wasm", "main.o"));
    }

    [Fact]
    public void CompileAndLink_IsSplit_SourcesCompiledWithO_TheLinkWithoutIt()
    {
        var lines = Lines(Driver(), "-O2", "-Iinc", "-shared", "-o", "libfoo.so", "a.c", "b.o", "sub/c.c", "-lbar");

        Assert.Equal(3, lines.Length);
        // Each source alone, with every compile option, into the scratch directory; never a library or the output.
        Assert.Equal("clang-19 --target=wasm32-wasi --sysroot=/kit -fPIC -fvisibility=default -Qunused-arguments -O2 -Iinc -shared -c a.c -o /scratch/0-a.o", lines[0]);
        Assert.Equal("clang-19 --target=wasm32-wasi --sysroot=/kit -fPIC -fvisibility=default -Qunused-arguments -O2 -Iinc -shared -c sub/c.c -o /scratch/1-c.o", lines[1]);
        // The link keeps the inputs' order and drops -O, so that clang does not run wasm-opt.
        Assert.EndsWith("-Iinc -shared -o libfoo.so /scratch/0-a.o b.o /scratch/1-c.o -lbar /kit/lib/wasm32-wasi/libc_nonshared.o /kit/lib/wasm32-wasi/libc.so", lines[2], StringComparison.Ordinal);
        Assert.DoesNotContain("-O2", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void CompileOnly_IsOneCommand_WithTheUsersArgumentsAfterTheDrivers()
    {
        Assert.Equal(
            ["clang-19 --target=wasm32-wasi --sysroot=/kit -fPIC -fvisibility=default -Qunused-arguments -O2 -fvisibility=hidden -c foo.c -o foo.o"],
            Lines(Driver(), "-O2", "-fvisibility=hidden", "-c", "foo.c", "-o", "foo.o"));
        Assert.Equal(DriverAction.Compile, CompilerDriver.ActionOf(["-E", "foo.c"]));
        Assert.Equal(DriverAction.SharedLibrary, CompilerDriver.ActionOf(["-shared", "foo.c"]));
        Assert.Equal(DriverAction.Program, CompilerDriver.ActionOf(["-o", "-shared.c", "foo.c"]));   // an option's value is not an option
    }

    [Fact]
    public void ALanguageOption_GoesWithEachSourceItCovers_NotWithTheLink()
    {
        var lines = Lines(Driver(), "-x", "c", "prog", "-x", "none", "lib.o", "-o", "app.wasm");

        Assert.Equal(2, lines.Length);
        Assert.EndsWith("-x c -c prog -o /scratch/0-prog.o", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("/scratch/0-prog.o lib.o -o app.wasm /kit/lib/wasm32-wasi/libc.so", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("-x", lines[1].Split(' '));
    }

    [Fact]
    public void Clang22_SpellsTheTargetWasip1_AndIsPointedAtTheKitsHeaders()
    {
        Assert.StartsWith(
            "clang-22 --target=wasm32-wasip1 --sysroot=/kit -nostdlibinc -isystem /kit/include/wasm32-wasi -fPIC",
            Lines(Driver(22), "-c", "foo.c")[0], StringComparison.Ordinal);
    }

    [Fact]
    public void ACxxProgram_IsANonPieMainWithTheStaticRuntime_ExportingWhatItsLibrariesNeed()
    {
        var hello = Path.Combine(Fixtures.RepoRoot, "examples", "hello", "libhello.so");

        var link = Lines(Driver(cxx: true), "-o", "app.wasm", "main.o", hello)[0];

        Assert.StartsWith("clang++-19 --target=wasm32-wasi --sysroot=/usr -nostdlibinc -isystem /usr/include/wasm32-wasi/c++/v1 -idirafter /kit/include/wasm32-wasi -fPIC -fvisibility=default -Qunused-arguments -L/usr/lib/wasm32-wasi "
            + "-nostartfiles /kit/lib/wasm32-wasi/crt1-command.o -Wl,--export-dynamic -Wl,--strip-debug -Wl,--export-memory -Wl,--export-table -Wl,--growable-table "
            + "-Wl,--export=__cxa_atexit -Wl,--export=__stack_pointer -Wl,--export=free -Wl,--export=malloc -Wl,--export=printf", link, StringComparison.Ordinal);
        Assert.DoesNotContain("libc.so", link, StringComparison.Ordinal);
        // A C++ side module takes its libc and C++ runtime from that main: no libc.so.
        Assert.DoesNotContain("libc.so", Lines(Driver(cxx: true), "-shared", "-o", "libx.so", "x.o")[0], StringComparison.Ordinal);
    }

    [Fact]
    public void MuslsSeparateLibraries_AreInLibcSo_AndLeaveTheLine()
    {
        var link = Lines(Driver(), "-o", "app.wasm", "main.o", "-lm", "-ldl", "-lpthread", "-lfoo")[0];

        Assert.EndsWith("-o app.wasm main.o -lfoo /kit/lib/wasm32-wasi/libc.so", link, StringComparison.Ordinal);
    }

    [Fact]
    public void NoStdlib_KeepsItsMeaning_NoLibcSo_NoStartFile()
    {
        Assert.DoesNotContain("libc.so", Lines(Driver(), "-nostdlib", "-shared", "-o", "libsq.so", "sq.o")[0], StringComparison.Ordinal);
        var main = Lines(Driver(), "-nostartfiles", "-o", "app.wasm", "start.o", "main.o")[0];
        Assert.DoesNotContain("crt1-command.o", main, StringComparison.Ordinal);
        Assert.EndsWith("/kit/lib/wasm32-wasi/libc.so", main, StringComparison.Ordinal);
    }

    [Fact]
    public void Verbose_ShowsCommandsAShellCanRun()
    {
        Assert.Equal("clang-19 'it'\\''s here.c' 'a b.o' -o=x", new ToolInvocation("clang-19", ["it's here.c", "a b.o", "-o=x"]).ToString());
    }
}

/// <summary><c>dylink cc</c> as a command: its own options, its errors, and clang's passing through.</summary>
public class CcCommandTests
{
    [Fact]
    public void CcWithoutAValue_IsAUsageError()
    {
        Assert.Equal((1, "", "dylink cc: --cc needs a value: the clang to use\n"), CliRunner.Run("cc", "-c", "x.c", "--cc"));
    }

    [Fact]
    public void AClangThatCannotBeStarted_IsCommandNotFound()
    {
        Assert.Equal((127, "", "dylink cc: cannot run no-such-clang-99: command not found\n"), CliRunner.Run("cc", "--cc", "no-such-clang-99", "-c", "x.c"));
    }

    [Fact]
    public void ClangsOwnErrors_PassThroughUnchanged_WithItsExitStatus()
    {
        if (!DocsTests.HasTool("clang-19"))
        {
            return;   // CI installs clang-19; the driver's part is tested without it above
        }

        var (code, stdout, stderr) = CliRunner.Run("cc", "--cc", "clang-19", "-c", "/nonexistent/x.c", "-o", "/nonexistent/x.o");

        Assert.Equal((1, ""), (code, stdout));
        Assert.Equal("clang-19: error: no such file or directory: '/nonexistent/x.c'\nclang-19: error: no input files\n", stderr);
    }

    [Fact]
    public void Clang14_IsRefused_WithWhereToLook()
    {
        var (code, _, stderr) = CliRunner.Run("cc", "--cc", "clang-14", "-c", "x.c");

        Assert.Equal(1, code);
        Assert.Equal("dylink cc: clang-14 is clang 14; dylink cc needs clang 15 or newer (checked: 19 and 22). For clang 14, see the manual command lines in kit/README.md\n", stderr);
    }

    [Fact]
    public void CxxVerbose_SaysWhyTheMainIsNotPie()
    {
        // No clang runs: the note comes before the first command, which cannot be started.
        var (_, _, stderr) = CliRunner.Run("c++", "-v", "--cc", "no-such-clang++-99", "-o", "app.wasm", "main.o");

        Assert.StartsWith("dylink c++: Debian's libc++ and libc++abi are static and not PIC: linking a non-PIE main", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_IsDylinks_NotClangs()
    {
        var (code, stdout, _) = CliRunner.Run("c++", "--help");

        Assert.Equal(0, code);
        Assert.StartsWith("Compile and link C++ for Dylink", stdout, StringComparison.Ordinal);
        Assert.Contains("dylink c++ [--cc CLANG] [-v] CLANG-ARGS...", stdout, StringComparison.Ordinal);
    }
}
