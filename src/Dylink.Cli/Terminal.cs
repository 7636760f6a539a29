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
    /// <paramref name="plainLine"/> per row. A header starting with '&gt;' is a right-aligned (numeric) column.
    /// </summary>
    internal void Rows(TextWriter w, string[] headers, IEnumerable<string[]> rows, Func<string[], string> plainLine, string? plainHeader = null)
    {
        if (!Output)
        {
            if (plainHeader is not null)
            {
                w.WriteLine(plainHeader);
            }

            foreach (var row in rows)
            {
                w.WriteLine(plainLine(row));
            }

            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in headers)
        {
            var column = new TableColumn(new Spectre.Console.Text(h.TrimStart('>'), new Style(decoration: Decoration.Bold)));
            table.AddColumn(h.StartsWith('>') ? column.RightAligned() : column);
        }

        foreach (var row in rows)
        {
            // Text, not markup: module and symbol names may contain '[' and ']'.
            table.AddRow(row.Select(cell => (IRenderable)new Spectre.Console.Text(cell)).ToArray());
        }

        SpectreConsole(w).Write(table);
    }

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
