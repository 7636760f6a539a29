using System.Globalization;
using Dylink.Format;

namespace Dylink.Cli;

/// <summary>Formatting shared by the commands' plain-text output.</summary>
internal static class Text
{
    /// <summary>Symbol flags as words, in bit order: <c>weak hidden tls</c>; unknown bits in hex.</summary>
    public static string Flags(SymbolFlags flags)
    {
        if (flags == SymbolFlags.None)
        {
            return "none";
        }

        var words = new List<string>();
        var known = SymbolFlags.None;
        foreach (var (flag, word) in FlagWords)
        {
            known |= flag;
            if ((flags & flag) != 0)
            {
                words.Add(word);
            }
        }

        var rest = flags & ~known;
        if (rest != 0)
        {
            words.Add(string.Create(CultureInfo.InvariantCulture, $"0x{(uint)rest:x}"));
        }

        return string.Join(' ', words);
    }

    private static readonly (SymbolFlags Flag, string Word)[] FlagWords =
    [
        (SymbolFlags.BindingWeak, "weak"),
        (SymbolFlags.BindingLocal, "local"),
        (SymbolFlags.VisibilityHidden, "hidden"),
        (SymbolFlags.Undefined, "undefined"),
        (SymbolFlags.Exported, "exported"),
        (SymbolFlags.ExplicitName, "explicit-name"),
        (SymbolFlags.NoStrip, "no-strip"),
        (SymbolFlags.Tls, "tls"),
        (SymbolFlags.Absolute, "absolute"),
    ];

    /// <summary>A hex number with a fixed width: <c>0x0000001a</c>.</summary>
    public static string Hex(long value, int digits = 8) =>
        "0x" + value.ToString("x" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Whether the module's memory and table (imported or defined; the first of each) are indexed by i64.</summary>
    public static (bool Memory64, bool Table64) IndexWidths(WasmModule module) =>
        (module.Imports.FirstOrDefault(i => i.Kind == ExternalKind.Memory)?.Memory?.Is64 ?? (module.Memories.Length > 0 && module.Memories[0].Is64),
         module.Imports.FirstOrDefault(i => i.Kind == ExternalKind.Table)?.Table?.Limits.Is64 ?? (module.Tables.Length > 0 && module.Tables[0].Limits.Is64));
}
