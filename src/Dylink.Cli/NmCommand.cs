using System.CommandLine;
using Dylink.Format;
using Dylink.Linking;

namespace Dylink.Cli;

/// <summary><c>dylink nm FILE...</c>: the symbols a module defines and needs.</summary>
internal static class NmCommand
{
    public static Command Create(Terminal terminal)
    {
        var file = new Argument<string[]>("FILE") { Description = "The modules to list (.wasm or .so); with several, each list follows a 'FILE:' line.", Arity = ArgumentArity.OneOrMore };
        // binutils' nm -D lists the dynamic symbols; a module's imports and exports are all it has, so it changes nothing.
        var dynamic = new Option<bool>("--dynamic", "-D") { Description = "Accepted as binutils' nm -D: every symbol listed here is a dynamic one." };
        var undefinedOnly = new Option<bool>("--undefined-only", "-u") { Description = "List only undefined symbols." };
        var definedOnly = new Option<bool>("--defined-only") { Description = "List only defined symbols." };
        var externOnly = new Option<bool>("--extern-only", "-g") { Description = "List only symbols other modules can see: no hidden or local definitions." };
        var numericSort = new Option<bool>("--numeric-sort", "-n") { Description = "Sort by value (undefined symbols first), then by name." };
        var noSort = new Option<bool>("--no-sort", "-p") { Description = "Keep the module's order: imports, then exports." };
        var json = new Option<bool>("--json") { Description = "Print the symbols as JSON (one file only)." };
        var command = new Command("nm", """
            List the symbols a module defines (exports) and needs (imports), sorted by name, one per line:
            value, type letter, kind, name, and for functions the signature.

            Type letters: U undefined, w weak undefined, T function, D data, L thread-local data, G global,
            E exception tag, W weak definition; lower case for hidden or local definitions.
            Values: function index; data offset from __memory_base (absolute in a non-relocatable module);
            TLS offset from __tls_base; a global's constant initial value.

            Examples:
              dylink nm libfoo.so
              dylink nm -u libfoo.so          # what the library needs from others
              dylink nm --defined-only main.wasm
              dylink nm -g -n libfoo.so       # what it offers, by address (as binutils nm)
              dylink nm -u lib*.so            # several files: each list after a 'FILE:' line
            """ + DylinkCommand.ExitStatusHelp)
        {
            file,
            undefinedOnly,
            definedOnly,
            externOnly,
            numericSort,
            noSort,
            dynamic,
            json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(undefinedOnly) && result.GetValue(definedOnly))
            {
                result.AddError("--undefined-only and --defined-only cannot be used together.");
            }

            if (result.GetValue(numericSort) && result.GetValue(noSort))
            {
                result.AddError("--numeric-sort and --no-sort cannot be used together.");
            }

            if (result.GetValue(json) && result.GetValue(file) is { Length: > 1 })
            {
                result.AddError("--json takes one file (a JSON document per module would not be one document).");
            }
        });
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var order = parse.GetValue(numericSort) ? SymbolOrder.Value : parse.GetValue(noSort) ? SymbolOrder.Module : SymbolOrder.Name;
            return DylinkCommand.ForEachFile(parse.GetRequiredValue(file), output, parse.InvocationConfiguration.Error, module =>
            {
                var symbols = Select(module, parse.GetValue(undefinedOnly), parse.GetValue(definedOnly), parse.GetValue(externOnly), order);
                if (parse.GetValue(json))
                {
                    Json.Nm(symbols, output);
                }
                else
                {
                    // Like nm on ELF64: a wasm64 module's values take 16 hex digits.
                    Render(symbols, output, terminal, Text.IndexWidths(module).Memory64 ? 16 : 8);
                }
            });
        });
        return command;
    }

    /// <summary>How <c>nm</c> sorts (binutils' default, <c>-n</c> and <c>-p</c>).</summary>
    public enum SymbolOrder
    {
        /// <summary>By name.</summary>
        Name,

        /// <summary>By value, undefined symbols first; ties by name.</summary>
        Value,

        /// <summary>As the module lists them.</summary>
        Module,
    }

    /// <summary>The symbols to list, in the order asked for.</summary>
    public static List<ModuleSymbol> Select(WasmModule module, bool undefinedOnly, bool definedOnly, bool externOnly = false, SymbolOrder order = SymbolOrder.Name)
    {
        var selected = ModuleSymbols.Of(module)
            .Where(s => !(undefinedOnly && s.IsDefined) && !(definedOnly && !s.IsDefined) && !(externOnly && s.IsDefined && s.IsHidden));
        return order switch
        {
            SymbolOrder.Value => [.. selected.OrderBy(s => s.IsDefined).ThenBy(s => s.Value ?? -1).ThenBy(s => s.Name, StringComparer.Ordinal)],
            SymbolOrder.Module => [.. selected],
            _ => [.. selected.OrderBy(s => s.Name, StringComparer.Ordinal)],
        };
    }

    /// <summary>Writes the symbol list, values with <paramref name="digits"/> hex digits.</summary>
    public static void Render(List<ModuleSymbol> symbols, TextWriter w, Terminal terminal, int digits = 8)
    {
        var width = symbols.Count == 0 ? 0 : symbols.Max(s => s.Name.Length);
        terminal.Rows(
            w,
            [">Value", "Type", "Kind", "Name", "Signature / type"],
            symbols.Select(s => new[]
            {
                s.IsDefined && s.Value is { } v ? Text.Hex(v, digits)[2..] : "", Letter(s).ToString(), KindWord(s.Kind), s.Name, Detail(s),
            }),
            r => $"{r[0].PadLeft(digits)} {r[1]} {r[2],-6} {r[3].PadRight(width)} {r[4]}".TrimEnd());
    }

    private static char Letter(ModuleSymbol s)
    {
        if (!s.IsDefined)
        {
            return s.IsWeak ? 'w' : 'U';
        }

        var letter = s.IsWeak ? 'W' : s.Kind switch
        {
            SymbolKind.Function => 'T',
            SymbolKind.Data => 'D',
            SymbolKind.Tls => 'L',
            SymbolKind.Global => 'G',
            _ => 'E',
        };
        return s.IsHidden ? char.ToLowerInvariant(letter) : letter;
    }

    private static string KindWord(SymbolKind kind) => kind switch
    {
        SymbolKind.Function => "func",
        SymbolKind.Data => "data",
        SymbolKind.Tls => "tls",
        SymbolKind.Global => "global",
        _ => "tag",
    };

    private static string Detail(ModuleSymbol s) => s switch
    {
        { Signature: { } sig } => sig.ToString(),
        { Kind: SymbolKind.Global, GlobalType: { } g } => $"{WasmNames.Of(g.ValueType)}{(g.Mutable ? " mut" : "")}",
        _ => "",
    };
}
