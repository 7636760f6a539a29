using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary>Tables and progress appear on a terminal only; piped output stays the plain text the golden files pin.</summary>
public class TerminalTests
{
    private const string Erase = "\r\u001b[2K";
    private static readonly string Hello = Path.Combine(Fixtures.RepoRoot, "examples", "hello");

    private static (int Code, string Stdout, string Stderr) Run(Terminal terminal, params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var code = DylinkCommand.Run(args, stdout, stderr, terminal);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Nm_OnATerminal_IsATable_WithTheSameRows()
    {
        var library = Path.Combine(Hello, "libhello.so");
        var (code, table, stderr) = Run(new Terminal(Output: true, Error: false, Width: 100), "nm", library);
        Assert.Equal((0, ""), (code, stderr));
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("╭", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^│ +Value │ Type │ Kind +│ Name +│ Signature / type +│$", lines[1]);
        Assert.Contains(lines, l => l.Contains("│ 00000008 │ T    │ func   │ side_hello ", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.True(l.Length <= 100, l));
        // One table row per plain line.
        var plain = CliRunner.Run("nm", library).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(plain.Length, lines.Count(l => l.StartsWith('│')) - 1);
        Assert.DoesNotContain('\u001b', table);   // no colour asked for: no escape sequences
    }

    [Fact]
    public void ReadelfAndLdd_OnATerminal_DrawTables_AndKeepTheRest()
    {
        var terminal = new Terminal(Output: true, Error: false, Width: 120);
        var readelf = Run(terminal, "readelf", Path.Combine(Hello, "libhello.so")).Stdout;
        Assert.Contains("Sections:\n╭", readelf, StringComparison.Ordinal);
        Assert.Contains("│  0 │ custom   │ dylink.0 ", readelf, StringComparison.Ordinal);
        Assert.Contains("  Memory size     60 bytes, alignment 2^2 (4)", readelf, StringComparison.Ordinal);
        var ldd = Run(terminal, "ldd", Path.Combine(Hello, "host.wasm")).Stdout;
        Assert.Contains("│ libhello.so │ " + Path.Combine(Hello, "libhello.so"), ldd, StringComparison.Ordinal);
        Assert.Contains("constructor order: libhello.so, host.wasm", ldd, StringComparison.Ordinal);
    }

    [Fact]
    public void Ldd_Table_ShowsOnlyColumnsThatHoldSomething_AndNeverCutsAPath()
    {
        var host = Path.Combine(Hello, "host.wasm");
        var path = Path.Combine(Hello, "libhello.so");
        string[] Lines(int width) => Run(new Terminal(Output: true, Error: false, Width: width), "ldd", host).Stdout.Split('\n');
        string Header(int width) => Lines(width).First(l => l.StartsWith("│ Module", StringComparison.Ordinal));

        // No module has a TLS block: no TLS column, however wide the terminal.
        var full = Header(200);
        Assert.Matches(@"^│ Module +│ Path +│ Memory +│ Bytes │ Table │ Slots │$", full);
        // Narrower: the table, then the memory columns go, rightmost first, one at a time; the path stays whole on
        // one line. The widths follow from the length of the path, which differs between checkouts.
        string[] columns = ["Module", "Path", "Memory", "Bytes", "Table", "Slots"];
        string[] Columns(string header) => header.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shown = columns.Length;
        for (var width = full.Length; ; width--)
        {
            var lines = Lines(width);
            var header = lines.FirstOrDefault(l => l.StartsWith("│ Module", StringComparison.Ordinal));
            if (header is null)
            {
                Assert.Equal(2, shown);   // the path column is the last to give up
                break;
            }
            var now = Columns(header);
            Assert.True(now.Length == shown || now.Length == shown - 1, $"width {width}: {header}");
            Assert.Equal(columns[..now.Length], now);
            shown = now.Length;
            Assert.Contains(lines, l => l.Contains("│ " + path + " ", StringComparison.Ordinal));
            // The table fits (the prose lines around it are the terminal's to wrap).
            Assert.All(lines.Where(l => l.Length > 0 && "╭│├╰".Contains(l[0], StringComparison.Ordinal)), l => Assert.True(l.Length <= width, l));
        }

        // Too narrow even for the path: the plain lines, whole, for the terminal to wrap.
        Assert.Contains($"\tlibhello.so => {path} (memory block+0x0, 60 bytes; table +0, 0 slots)", Lines(40));
    }

    [Fact]
    public void Color_OnlyWhenAsked()
    {
        var (_, table, _) = Run(new Terminal(Output: true, Error: false, Width: 100, Color: true), "nm", Path.Combine(Hello, "libhello.so"));
        Assert.Contains("\u001b[1mValue", table, StringComparison.Ordinal);   // bold headers
    }

    [Fact]
    public void Run_OnATerminal_ShowsCompileProgressOnStderr_AndErasesItBeforeTheProgramRuns()
    {
        var terminal = new Terminal(Output: false, Error: true) { ProgressDelay = TimeSpan.Zero };
        var (code, stdout, stderr) = Run(terminal, "run", Path.Combine(Hello, "host.wasm"));
        Assert.Equal(0, code);
        Assert.Equal("hello from libhello.so: x=5 ready=1\nhost: side_hello(5) returned 40\n", stdout);
        // Modules compile in parallel: each line names one of them with its number, and the last write erases.
        var shown = stderr.Split(Erase, StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(shown);
        Assert.All(shown, line => Assert.Matches(@"^dylink: compiling (host\.wasm|libhello\.so) \([12]/2\)$", line));
        Assert.StartsWith(Erase, stderr, StringComparison.Ordinal);
        Assert.EndsWith(Erase, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Piped_OrFast_ShowsNoProgress()
    {
        Assert.Equal("", Run(Terminal.None, "run", Path.Combine(Hello, "host.wasm")).Stderr);
        var slowToShow = new Terminal(Output: false, Error: true) { ProgressDelay = TimeSpan.FromHours(1) };
        Assert.Equal("", Run(slowToShow, "run", Path.Combine(Hello, "host.wasm")).Stderr);
    }
}
