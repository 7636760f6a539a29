using System.CommandLine;
using System.Text;

namespace Dylink.Cli;

/// <summary>
/// The help texts, written by Dylink rather than System.CommandLine so that the usage line can say what the parser
/// enforces (<c>run [options] MAIN.wasm [--] [ARGS...]</c>: System.CommandLine always puts <c>[options]</c> last) and
/// the examples and exit status come after the options, as clap's (wasmtime's) help has them.
/// </summary>
internal static class Help
{
    /// <summary>The commands with one line each, in the order the root help lists them.</summary>
    public static readonly (string Name, string Summary)[] Commands =
    [
        ("run", "Load a program and its libraries, link them and run it (or --invoke one function)"),
        ("ldd", "Show how a program would be loaded: libraries, layout, orders, bindings, a graph"),
        ("readelf", "Show a module's file header, sections, dylink.0 metadata and symbols"),
        ("nm", "List the symbols modules define and need"),
        ("precompile", "Compile modules into the compiled-code cache that run --cache reads"),
        ("cc", "Compile and link C for Dylink with your clang: side modules (-shared) and PIE mains, with libc.so"),
        ("c++", "The same for C++: side modules, and non-PIE mains with the static C++ runtime"),
        ("exports", "Print the -Wl,--export= flags a non-PIE main needs for a set of libraries"),
    ];

    /// <summary>The usage line and the command list: what bare <c>dylink</c> prints (on stderr).</summary>
    public static string Short()
    {
        var text = new StringBuilder();
        text.Append("Usage: dylink COMMAND [options] [ARGS...]\n\nCommands:\n");
        var width = Commands.Max(c => c.Name.Length);
        foreach (var (name, summary) in Commands)
        {
            text.Append($"  {name.PadRight(width)}  {summary}\n");
        }

        return text.ToString();
    }

    /// <summary><c>dylink --help</c>: short, pointing at each command's own help for the details.</summary>
    public static string Root() =>
        "Dylink: a dynamic linker and loader for WebAssembly modules that use the dylink.0 ABI.\n\n" + Short() + """

            Options:
              -h, --help  Show this help
              --version   Show the version

            'dylink COMMAND --help' shows a command's options, examples and exit status.

            """;

    /// <summary>A command's help: what it does, usage, arguments, options, then examples and exit status.</summary>
    /// <param name="command">The command.</param>
    /// <param name="usage">Its usage after <c>dylink NAME</c>, when the generic one (options first, then arguments) is not it.</param>
    /// <param name="helpNames">How its help option is spelled (readelf uses <c>-H</c>, as binutils does, since <c>-h</c> is the file header).</param>
    public static string For(Command command, string? usage = null, string helpNames = "-h, --help")
    {
        ArgumentNullException.ThrowIfNull(command);
        var description = (command.Description ?? "").ReplaceLineEndings("\n");
        // Everything from "Examples:" on is shown after the options, as clap's after_help.
        var split = description.IndexOf("\n\nExamples:", StringComparison.Ordinal);
        var (about, after) = split < 0 ? (description, "") : (description[..split], description[(split + 2)..]);
        var text = new StringBuilder();
        text.Append(about.TrimEnd()).Append("\n\n");
        usage ??= string.Join(' ', ["[options]", .. command.Arguments.Select(Usage)]);
        text.Append($"Usage:\n  dylink {command.Name} {usage}\n");
        if (command.Arguments.Count > 0)
        {
            text.Append("\nArguments:\n");
            Rows(text, command.Arguments.Select(a => (Usage(a), a.Description ?? "")));
        }

        text.Append("\nOptions:\n");
        Rows(text, [.. command.Options.Where(o => !o.Hidden).Select(o => (Names(o), o.Description ?? "")), (helpNames, "Show this help")]);
        if (after.Length > 0)
        {
            text.Append('\n').Append(after.TrimEnd()).Append('\n');
        }

        return text.ToString();
    }

    private static string Usage(Argument argument) =>
        argument.Arity.MaximumNumberOfValues > 1
            ? argument.Arity.MinimumNumberOfValues == 0 ? $"[{argument.Name}...]" : $"{argument.Name}..."
            : argument.Name;

    /// <summary>An option's spellings, short ones first, and its value's name: <c>-u, --undefined-only</c>, <c>-L &lt;DIR&gt;</c>.</summary>
    private static string Names(Option option)
    {
        var names = string.Join(", ", new[] { option.Name }.Concat(option.Aliases).OrderBy(n => n.StartsWith("--", StringComparison.Ordinal)).ThenBy(n => n, StringComparer.Ordinal));
        return Arguments.TakesValue(option) ? $"{names} <{option.HelpName ?? "VALUE"}>" : names;
    }

    private static void Rows(StringBuilder text, IEnumerable<(string Left, string Right)> rows)
    {
        var list = rows.ToList();
        var width = list.Max(r => r.Left.Length);
        foreach (var (left, right) in list)
        {
            text.Append($"  {left.PadRight(width)}  {right}".TrimEnd()).Append('\n');
        }
    }
}
