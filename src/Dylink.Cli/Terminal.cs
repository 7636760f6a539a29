using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dylink.Cli;

/// <summary>
/// Where the CLI's output goes. On a terminal, lists are drawn as tables (Spectre.Console) and slow loads show
/// progress on standard error; when piped or redirected, output is the plain, stable text that scripts and the golden
/// files rely on.
/// </summary>
/// <param name="Output">Standard output is a terminal.</param>
/// <param name="Error">Standard error is a terminal.</param>
/// <param name="Width">The terminal's width in columns.</param>
/// <param name="Color">Colour is wanted (a terminal, and <c>NO_COLOR</c> unset).</param>
public sealed record Terminal(bool Output, bool Error, int Width = 100, bool Color = false)
{
    /// <summary>How long a load runs before progress is shown (fast loads show nothing).</summary>
    public TimeSpan ProgressDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>No terminal: plain text, no progress.</summary>
    public static Terminal None { get; } = new(false, false);

    /// <summary>The process's own console: a terminal unless redirected or <c>TERM=dumb</c>.</summary>
    public static Terminal Detect()
    {
        var dumb = Environment.GetEnvironmentVariable("TERM") is null or "dumb";
        var output = !dumb && !System.Console.IsOutputRedirected;
        var error = !dumb && !System.Console.IsErrorRedirected;
        int width;
        try
        {
            width = output ? System.Console.WindowWidth : 100;
        }
        catch (IOException)
        {
            width = 100;
        }

        return new Terminal(output, error, width > 20 ? width : 100, output && Environment.GetEnvironmentVariable("NO_COLOR") is null or "");
    }

    /// <summary>
    /// Writes rows: as a table on a terminal, else as <paramref name="plainHeader"/> (if any) and one
    /// <paramref name="plainLine"/> per row. A header starting with '&gt;' is a right-aligned (numeric) column. The table
    /// shows only the columns that hold something and never cuts a cell (a path cut into pieces cannot be copied): when
    /// it is wider than the terminal, the columns in <paramref name="dropOrder"/> go first, one by one, and if it still
    /// does not fit the rows are written as plain lines, which the terminal wraps whole.
    /// </summary>
    internal void Rows(TextWriter w, string[] headers, IEnumerable<string[]> rows, Func<string[], string> plainLine, string? plainHeader = null,
        IReadOnlyList<int>? dropOrder = null)
    {
        var all = rows.ToList();
        var shown = Enumerable.Range(0, headers.Length).Where(c => all.Count == 0 || all.Exists(r => r[c].Length > 0)).ToList();
        foreach (var column in dropOrder ?? [])
        {
            if (TableWidth(headers, all, shown) <= Width)
            {
                break;
            }

            shown.Remove(column);
        }

        if (!Output || TableWidth(headers, all, shown) > Width)
        {
            if (plainHeader is not null)
            {
                w.WriteLine(plainHeader);
            }

            foreach (var row in all)
            {
                w.WriteLine(plainLine(row));
            }

            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in shown.Select(c => headers[c]))
        {
            var column = new TableColumn(new Spectre.Console.Text(h.TrimStart('>'), new Style(decoration: Decoration.Bold))).NoWrap();
            table.AddColumn(h.StartsWith('>') ? column.RightAligned() : column);
        }

        foreach (var row in all)
        {
            // Text, not markup: module and symbol names may contain '[' and ']'.
            table.AddRow(shown.Select(c => (IRenderable)new Spectre.Console.Text(row[c])).ToArray());
        }

        SpectreConsole(w).Write(table);
    }

    /// <summary>The width of the table with every cell whole: per column its widest cell, a space either side and a
    /// border, plus the closing border.</summary>
    private static int TableWidth(string[] headers, List<string[]> rows, List<int> shown) =>
        1 + shown.Sum(c => Math.Max(headers[c].TrimStart('>').Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length)) + 3);

    private IAnsiConsole SpectreConsole(TextWriter w)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(w),
            Ansi = Color ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = Color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = Width;
        console.Profile.Capabilities.Unicode = true;
        return console;
    }
}
