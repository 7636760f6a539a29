using System.CommandLine;
using Dylink.Format;
using Dylink.Linking;

namespace Dylink.Cli;

/// <summary><c>dylink nm FILE</c>: the symbols a module defines and needs.</summary>
internal static class NmCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "The module to list (.wasm or .so)." };
        var undefinedOnly = new Option<bool>("--undefined-only", "-u") { Description = "List only undefined symbols." };
        var definedOnly = new Option<bool>("--defined-only") { Description = "List only defined symbols." };
        var json = new Option<bool>("--json") { Description = "Print the symbols as JSON." };
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
            """ + DylinkCommand.ExitStatusHelp)
        {
            file,
            undefinedOnly,
            definedOnly,
            json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(undefinedOnly) && result.GetValue(definedOnly))
            {
                result.AddError("--undefined-only and --defined-only cannot be used together.");
            }
        });
        command.SetAction(parse =>
        {
            var module = DylinkCommand.LoadModule(parse.GetRequiredValue(file));
            var symbols = Select(module, parse.GetValue(undefinedOnly), parse.GetValue(definedOnly));
            if (parse.GetValue(json))
            {
                Json.Nm(symbols, parse.InvocationConfiguration.Output);
            }
            else
            {
                // Like nm on ELF64: a wasm64 module's values take 16 hex digits.
                Render(symbols, parse.InvocationConfiguration.Output, Text.IndexWidths(module).Memory64 ? 16 : 8);
            }

            return DylinkCommand.Ok;
        });
        return command;
    }

    /// <summary>The symbols to list, sorted by name.</summary>
    public static List<ModuleSymbol> Select(WasmModule module, bool undefinedOnly, bool definedOnly) =>
        [.. ModuleSymbols.Of(module)
            .Where(s => !(undefinedOnly && s.IsDefined) && !(definedOnly && !s.IsDefined))
            .OrderBy(s => s.Name, StringComparer.Ordinal)];

    /// <summary>Writes the symbol list, values with <paramref name="digits"/> hex digits.</summary>
    public static void Render(List<ModuleSymbol> symbols, TextWriter w, int digits = 8)
    {
        var width = symbols.Count == 0 ? 0 : symbols.Max(s => s.Name.Length);
        foreach (var s in symbols)
        {
            var value = s.IsDefined && s.Value is { } v ? Text.Hex(v, digits)[2..] : new string(' ', digits);
            var line = $"{value} {Letter(s)} {KindWord(s.Kind),-6} {s.Name.PadRight(width)} {Detail(s)}";
            w.WriteLine(line.TrimEnd());
        }
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
