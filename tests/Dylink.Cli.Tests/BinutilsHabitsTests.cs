using System.Text.RegularExpressions;
using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary>
/// nm and readelf behave as binutils' (issue 14, item 3): several files, each after a <c>\nFILE:\n</c> line;
/// <c>readelf -h</c> is the file header and <c>-H</c> the help; <c>readelf -s</c> the imports and exports;
/// <c>nm -D</c> accepted. And every command's help lists exactly the exit codes it has.
/// </summary>
public partial class BinutilsHabitsTests
{
    private static readonly string Lib = Fixtures.PathOf("libhello.so");
    private static readonly string Side = Fixtures.PathOf("libside.so");

    [Theory]
    [InlineData("nm")]
    [InlineData("readelf")]
    public void SeveralFiles_EachAfterAFileLine_AsBinutils(string command)
    {
        var one = CliRunner.Run(command, Lib).Stdout;
        var other = CliRunner.Run(command, Side).Stdout;
        var (code, stdout, stderr) = CliRunner.Run(command, Lib, Side);
        Assert.Equal($"\nlibhello.so:\n{one}\nlibside.so:\n{other}", stdout);
        Assert.Equal(("", 0), (stderr, code));
    }

    [Theory]
    [InlineData("nm")]
    [InlineData("readelf")]
    public void SeveralFiles_OneUnreadable_TheOthersStillListed_Exit2(string command)
    {
        var (code, stdout, stderr) = CliRunner.Run(command, Lib, "nope.so", Side);
        Assert.Equal("dylink: nope.so: cannot read: no such file\n", stderr);
        Assert.Equal($"\nlibhello.so:\n{CliRunner.Run(command, Lib).Stdout}\nlibside.so:\n{CliRunner.Run(command, Side).Stdout}", stdout);
        Assert.Equal(2, code);
    }

    [Theory]
    [InlineData("nm")]
    [InlineData("readelf")]
    public void Json_TakesOneFile(string command)
    {
        var (code, _, stderr) = CliRunner.Run(command, "--json", Lib, Side);
        Assert.Equal($"dylink: --json takes one file (a JSON document per module would not be one document).\nTry 'dylink {command} --help' for more information.\n", stderr);
        Assert.Equal(1, code);
    }

    [Fact]
    public void Nm_D_IsAccepted_AndListsTheSameSymbols()
    {
        var (code, stdout, stderr) = CliRunner.Run("nm", "-D", Lib);
        Assert.Equal(CliRunner.Run("nm", Lib).Stdout, stdout);
        Assert.Equal(("", 0), (stderr, code));
    }

    [Fact]
    public void Readelf_h_IsTheFileHeader()
    {
        var (code, stdout, stderr) = CliRunner.Run("readelf", "-h", Lib);
        Assert.Equal("""
            File: libhello.so
            Size: 1168 bytes

            File header:
              Magic           00 61 73 6d (\0asm)
              Version         1
              Sections        11 (7 known, 4 custom)
              Dynamic section dylink.0 at offset 0x00000013
              Address width   32-bit memory (wasm32)
              Entry point     (none: not a command)

            """, stdout);
        Assert.Equal(("", 0), (stderr, code));
    }

    [Fact]
    public void Readelf_s_ListsImportsAndExports()
    {
        var (code, stdout, stderr) = CliRunner.Run("readelf", "-s", Lib);
        Assert.Equal("""
            File: libhello.so
            Size: 1168 bytes

            Imports (11):
              [  0] memory   env.memory
              [  1] table    env.__indirect_function_table
              [  2] global   env.__stack_pointer
              [  3] global   env.__memory_base
              [  4] global   env.__table_base
              [  5] func     env.malloc (i32) -> i32
              [  6] func     env.snprintf (i32, i32, i32, i32) -> i32
              [  7] func     env.printf (i32, i32) -> i32
              [  8] func     env.strlen (i32) -> i32
              [  9] func     env.free (i32) -> nil
              [ 10] global   GOT.mem.hello_calls
            Exports (4):
              [  0] func     __wasm_call_ctors (index 5) () -> nil
              [  1] func     __wasm_apply_data_relocs (index 6) () -> nil
              [  2] func     side_hello (index 8) (i32) -> i32
              [  3] global   hello_calls (index 4)

            """, stdout);
        Assert.Equal(("", 0), (stderr, code));
    }

    [Fact]
    public void Readelf_a_IsEveryPart_DefaultIsSectionsDynamicAndSummary()
    {
        var all = CliRunner.Run("readelf", "-a", Lib).Stdout;
        var parts = CliRunner.Run("readelf", "-h", "-S", "-d", "-s", Lib).Stdout;
        var summary = CliRunner.Run("readelf", Lib).Stdout.Split("\n\n")[^1];
        Assert.Equal(parts + "\n" + summary, all);
        Assert.Contains("File header:", all, StringComparison.Ordinal);
        Assert.DoesNotContain("File header:", CliRunner.Run("readelf", Lib).Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-H")]
    [InlineData("--help")]
    public void Readelf_HelpIsCapitalH_AsBinutils(string help)
    {
        var (code, stdout, _) = CliRunner.Run("readelf", help);
        Assert.Contains("  -h, --file-header ", stdout, StringComparison.Ordinal);
        Assert.Contains("  -H, --help ", stdout, StringComparison.Ordinal);
        Assert.Equal(0, code);
    }

    /// <summary>For each command and each exit code its help lists: a command line that exits with it.</summary>
    private static readonly Dictionary<(string Command, string Code), Func<int>> Behaviours = new()
    {
        [("run", "N")] = () => CliRunner.Run("run", E2e("exit_in_side")).Code == 3 ? 3 : -1,
        [("run", "0")] = () => CliRunner.Run("run", "--invoke", "side_hello", Hello, "5").Code,
        [("run", "1")] = () => CliRunner.Run("run", "--preloda", "x", Hello).Code,
        [("run", "2")] = () => CliRunner.Run("run", "nope.wasm").Code,
        [("run", "70")] = () => Failing("run", "--invoke", "side_hello", Hello, "5"),
        [("run", "124")] = () => WithModule("(loop $l (br $l))", path => CliRunner.Run("run", "--timeout", "0.2", path).Code),
        [("run", "127")] = () => CliRunner.Run("run", Fixtures.PathOf("host-libc.wasm")).Code,
        [("run", "134")] = () => WithModule("unreachable", path => CliRunner.Run("run", path).Code),
        [("ldd", "0")] = () => CliRunner.Run("ldd", Hello).Code,
        [("ldd", "1")] = () => CliRunner.Run("ldd", "--bindngs", Hello).Code,
        [("ldd", "2")] = () => CliRunner.Run("ldd", Fixtures.PathOf("libhello.so") + ".nope").Code,
        [("ldd", "70")] = () => Failing("ldd", Hello),
        [("ldd", "127")] = () => CliRunner.Run("ldd", Fixtures.PathOf("host-libc.wasm")).Code,
        [("readelf", "0")] = () => CliRunner.Run("readelf", Lib).Code,
        [("readelf", "1")] = () => CliRunner.Run("readelf", "-x", Lib).Code,
        [("readelf", "2")] = () => WithBytes([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0], path => CliRunner.Run("readelf", path).Code),
        [("readelf", "70")] = () => Failing("readelf", Lib),
        [("nm", "0")] = () => CliRunner.Run("nm", Lib).Code,
        [("nm", "1")] = () => CliRunner.Run("nm", "-u", "--defined-only", Lib).Code,
        [("nm", "2")] = () => WithBytes([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 9], path => CliRunner.Run("nm", path).Code),
        [("nm", "70")] = () => Failing("nm", Lib),
        [("precompile", "0")] = () => WithCache(cache => CliRunner.Run("precompile", "--cache", cache, Lib).Code),
        [("precompile", "1")] = () => CliRunner.Run("precompile", "--cahce", "x", Lib).Code,
        [("precompile", "2")] = () => WithCache(cache => CliRunner.Run("precompile", "--cache", cache, "nope.so").Code),
        [("precompile", "70")] = () => WithCache(cache => Failing("precompile", "--cache", cache, Lib)),
        [("exports", "0")] = () => CliRunner.Run("exports", Lib).Code,
        [("exports", "1")] = () => CliRunner.Run("exports", "--nmaes", Lib).Code,
        [("exports", "2")] = () => CliRunner.Run("exports", "nope.so").Code,
        [("exports", "70")] = () => Failing("exports", Lib),
    };

    public static TheoryData<string> HelpCommands() => ["run", "ldd", "readelf", "nm", "precompile", "exports"];

    [Theory]
    [MemberData(nameof(HelpCommands))]
    public void HelpExitStatus_ListsExactlyTheCodesTheCommandHas_EachShownByABehaviour(string command)
    {
        var help = CliRunner.Run(command, "--help").Stdout;
        var block = help[(help.IndexOf("\nExit status:\n", StringComparison.Ordinal) + 14)..];
        var listed = ExitLine().Matches(block).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(
            Behaviours.Keys.Where(k => k.Command == command).Select(k => k.Code).Order(StringComparer.Ordinal),
            listed.Order(StringComparer.Ordinal));
        foreach (var code in listed)
        {
            Assert.True(Behaviours[(command, code)]() == (code == "N" ? 3 : int.Parse(code, System.Globalization.CultureInfo.InvariantCulture)), $"dylink {command}: exit status {code}");
        }
    }

    [GeneratedRegex(@"^  (N|\d+) +\S", RegexOptions.Multiline)]
    private static partial Regex ExitLine();

    private static string Hello => Path.Combine(Fixtures.RepoRoot, "examples", "hello", "host.wasm");

    private static string E2e(string scenario) => Path.Combine(Fixtures.BinDir, "e2e", scenario, "main.wasm");

    /// <summary>The command with an output that fails as a closed pipe does: an error no command expects.</summary>
    private static int Failing(params string[] args)
    {
        using var stderr = new StringWriter();
        return DylinkCommand.Run(args, new FailingWriter(), stderr);
    }

    private static int WithModule(string start, Func<string, int> run) =>
        WithBytes(Wasmtime.Module.ConvertText($"""(module (memory (export "memory") 1) (func (export "_start") {start}))"""), run);

    private static int WithBytes(byte[] bytes, Func<string, int> run)
    {
        var path = Path.Combine(Path.GetTempPath(), $"dylink-exit-{Guid.NewGuid():N}.wasm");
        File.WriteAllBytes(path, bytes);
        try
        {
            return run(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static int WithCache(Func<string, int> run)
    {
        var cache = Directory.CreateTempSubdirectory("dylink-exit-").FullName;
        try
        {
            return run(cache);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    private sealed class FailingWriter : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value) => throw new IOException("Broken pipe");

        public override void Flush() => throw new IOException("Broken pipe");
    }
}
