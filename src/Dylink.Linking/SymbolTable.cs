namespace Dylink.Linking;

/// <summary>A symbol defined by one module of the program.</summary>
/// <param name="Provider">Index of the defining module in lookup order.</param>
/// <param name="Symbol">The symbol as the module defines it.</param>
public sealed record Definition(int Provider, ModuleSymbol Symbol);

/// <summary>
/// The global lookup scope: for each name, the definition every import of that name binds to. All resolution rules
/// live in <see cref="ShouldReplace"/>.
/// </summary>
public sealed class SymbolTable
{
    private readonly Dictionary<string, Definition> _definitions = new(StringComparer.Ordinal);
    private readonly List<string> _interpositions = [];

    /// <summary>Definitions that lost to an earlier one, as readable lines (shown by <c>ldd</c> and the debug trace).</summary>
    public IReadOnlyList<string> Interpositions => _interpositions;

    /// <summary>Adds every visible definition of a module; call in lookup order.</summary>
    public void AddModule(int provider, string moduleName, IEnumerable<ModuleSymbol> symbols, Func<int, string> nameOf)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(nameOf);
        foreach (var symbol in symbols)
        {
            if (!symbol.IsDefined || symbol.IsHidden || WellKnownSymbols.ModuleLocal.Contains(symbol.Name))
            {
                continue;
            }

            var incoming = new Definition(provider, symbol);
            if (!_definitions.TryGetValue(symbol.Name, out var existing))
            {
                _definitions.Add(symbol.Name, incoming);
            }
            else if (ShouldReplace(existing, incoming))
            {
                _definitions[symbol.Name] = incoming;
            }
            else if (existing.Provider != provider)
            {
                _interpositions.Add($"{symbol.Name}: {nameOf(existing.Provider)} interposes the definition in {moduleName}");
            }
        }
    }

    /// <summary>
    /// The resolution rules, in order. ELF's rule is the base: the first definition in lookup order wins, so a
    /// preloaded library or the main interposes on later libraries and a duplicate strong definition is not an error
    /// (emscripten keeps the first too). One exception, as in static linking: a strong definition beats a weak one
    /// found earlier.
    /// </summary>
    public static bool ShouldReplace(Definition existing, Definition incoming)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(incoming);

        // A strong definition beats an earlier weak one.
        if (existing.Symbol.IsWeak && !incoming.Symbol.IsWeak)
        {
            return true;
        }

        // Otherwise the first definition in lookup order wins.
        return false;
    }

    /// <summary>A copy that later additions to either table do not affect.</summary>
    public SymbolTable Clone() => new(new Dictionary<string, Definition>(_definitions, StringComparer.Ordinal));

    /// <summary>An empty table.</summary>
    public SymbolTable()
    {
    }

    // The dictionary copy constructor copies the hashed buckets as they are, without hashing every name again.
    private SymbolTable(Dictionary<string, Definition> definitions) => _definitions = definitions;

    /// <summary>Finds the definition of <paramref name="name"/>.</summary>
    public bool TryLookup(string name, out Definition definition) => _definitions.TryGetValue(name, out definition!);

    /// <summary>Every definition, for tracing and <c>ldd</c>.</summary>
    public IEnumerable<Definition> All => _definitions.Values;
}

/// <summary>Formatting of symbol kinds and signatures in diagnostics.</summary>
internal static class Describe
{
    public static string Kind(SymbolKind kind) => kind switch
    {
        SymbolKind.Function => "function",
        SymbolKind.Data => "data",
        SymbolKind.Tls => "thread-local data",
        SymbolKind.Global => "global",
        _ => "tag",
    };

    public static string Symbol(ModuleSymbol s) => s.Signature is { } sig
        ? s.Kind == SymbolKind.Tag ? Tag(sig) : $"{Kind(s.Kind)} {sig}"
        : Kind(s.Kind);

    /// <summary>A tag's type: its parameters, as <c>tag (i32)</c> (tags have no results).</summary>
    public static string Tag(Format.FuncType type) => $"tag ({string.Join(", ", type.Parameters.Select(Format.WasmNames.Of))})";
}
