using System.CommandLine;
using Dylink.Linking;

namespace Dylink.Cli;

/// <summary>
/// <c>dylink exports LIB...</c>: the wasm-ld flags a non-PIE main needs so that the libraries link against it
/// (<see cref="MainExports"/>), for builds that keep their own link line rather than using <c>dylink cc</c>.
/// </summary>
internal static class ExportsCommand
{
    public static Command Create()
    {
        var libraries = new Argument<string[]>("LIB") { Description = "The libraries the main will load (their NEEDED entries are followed).", Arity = ArgumentArity.OneOrMore };
        var searchPaths = new Option<string[]>("-L") { Description = "Search DIR first for the libraries' NEEDED entries (repeatable).", HelpName = "DIR", AllowMultipleArgumentsPerToken = false };
        var names = new Option<bool>("--names") { Description = "Print each symbol with the library that needs it, instead of linker flags." };
        var linker = new Option<bool>("--wasm-ld") { Description = "Print flags for wasm-ld itself (--export=NAME) rather than for clang (-Wl,--export=NAME)." };
        var command = new Command("exports", """
            Print the linker flags a non-PIE main needs to provide what the libraries need: -Wl,--export=NAME for each
            function and data symbol that no library defines and the loader does not provide (the libraries' libc calls,
            say), __stack_pointer, an allocator when the libraries have data, and the table and memory exports. A
            symbol only referenced weakly gets --export-if-defined. dylink cc builds mains that need none of this (a PIE
            main with libc.so); use it when you link the main yourself against a static libc.

            Examples:
              clang-19 --target=wasm32-wasi -fPIC -nostartfiles crt_start.c main.c -o main.wasm $(dylink exports libgreet.so)
              dylink exports --names -L build/lib libplugin.so
            """ + DylinkCommand.ExitStatusHelp.Replace("is not a well-formed module", "is not a well-formed module, or a needed library is missing", StringComparison.Ordinal))
        {
            libraries, searchPaths, names, linker,
        };
        command.SetAction(parse =>
        {
            var options = RunCommand.LinkOptionsFrom(parse.GetValue(searchPaths), [.. AsFiles(parse.GetRequiredValue(libraries))], []);
            IReadOnlyList<MainExport> exports;
            try
            {
                exports = MainExports.For(options);
            }
            catch (LinkException e)
            {
                foreach (var error in e.Errors)
                {
                    parse.InvocationConfiguration.Error.WriteLine($"dylink: {error}");
                }

                return DylinkCommand.BadInput;
            }

            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(names))
            {
                var width = exports.Count == 0 ? 0 : exports.Max(e => e.Name.Length);
                foreach (var export in exports)
                {
                    output.WriteLine($"{export.Name.PadRight(width)}  {Kind(export.Kind)}{(export.IsWeak ? ", weak" : "")}  (needed by {export.NeededBy})");
                }

                return DylinkCommand.Ok;
            }

            var prefix = parse.GetValue(linker) ? "" : "-Wl,";
            foreach (var flag in Flags(exports))
            {
                output.WriteLine(prefix + flag);
            }

            return DylinkCommand.Ok;
        });
        return command;
    }

    /// <summary>Library operands as files, as a linker takes them: a bare name is in the current directory, not searched
    /// for (<see cref="LinkOptions.Libraries"/> would search a name without a slash).</summary>
    internal static IEnumerable<string> AsFiles(IEnumerable<string> operands) =>
        operands.Select(l => l.Contains('/', StringComparison.Ordinal) ? l : "./" + l);

    /// <summary>The wasm-ld flags for a non-PIE main that exports <paramref name="exports"/>: its memory and a table the
    /// loader can grow by the libraries' slots, then one export flag per symbol.</summary>
    internal static IEnumerable<string> Flags(IReadOnlyList<MainExport> exports) =>
        MainFlags.Concat(exports.Select(e => (e.IsWeak ? "--export-if-defined=" : "--export=") + e.Name));

    private static readonly string[] MainFlags = ["--export-memory", "--export-table", "--growable-table"];

    private static string Kind(SymbolKind kind) => kind switch
    {
        SymbolKind.Function => "function",
        SymbolKind.Data => "data",
        _ => "global",
    };
}
