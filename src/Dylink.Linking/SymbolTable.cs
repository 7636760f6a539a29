namespace Dylink.Linking;

/// <summary>A symbol defined by one module of the program.</summary>
/// <param name="Provider">Index of the defining module in lookup order.</param>
/// <param name="Symbol">The symbol as the module defines it.</param>
public sealed record Definition(int Provider, ModuleSymbol Symbol);

/// <summary>
/// A lookup scope: for each name, the definition every import of that name binds to. All resolution rules live here:
/// which symbols a scope may hold (<see cref="IsVisible"/>) and which definition wins (<see cref="ShouldReplace"/>).
/// </summary>
public sealed class SymbolTable
{
    private readonly Dictionary<string, Definition> _definitions = new(StringComparer.Ordinal);
    private readonly List<string> _interpositions = [];
    // An overlay's underlying table (Overlay): read through, never written.
    private readonly SymbolTable? _base;

    /// <summary>Definitions that lost to an earlier one, as readable lines (shown by <c>ldd</c> and the debug trace).</summary>
    public IReadOnlyList<string> Interpositions => _interpositions;

    /// <summary>Adds every visible definition of a module; call in lookup order.</summary>
    public void AddModule(int provider, string moduleName, IEnumerable<ModuleSymbol> symbols, Func<int, string> nameOf)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(nameOf);
        foreach (var symbol in symbols)
        {
            if (!IsVisible(symbol))
            {
                continue;
            }

            var incoming = new Definition(provider, symbol);
            if (!TryLookup(symbol.Name, out var existing))
            {
                _definitions.Add(symbol.Name, incoming);
            }
            else if (ShouldReplace(existing, incoming))
            {
                _definitions[symbol.Name] = incoming;
            }
            else if (existing.Provider != provider && !incoming.Symbol.IsWeak)
            {
                // A weak definition that loses is doing what weak is for (libc.so's __original_main, say): only a
                // strong one is worth a note.
                _interpositions.Add($"{symbol.Name}: {nameOf(existing.Provider)} interposes the definition in {moduleName}");
            }
        }
    }

    /// <summary>
    /// True when other modules can see the symbol: it enters lookup scopes (the global scope, a handle's scope for
    /// <c>dlsym</c>, <c>RTLD_NEXT</c>), a reload rebinds it, and <c>dladdr</c> names it. A module's own definition
    /// only, neither hidden nor local (ELF's dynamic symbol table holds no hidden symbols), and not one of the per-module
    /// ABI exports (<see cref="WellKnownSymbols.ModuleLocal"/>), which the loader calls per module: one module's must
    /// never satisfy or shadow another's.
    /// </summary>
    public static bool IsVisible(ModuleSymbol symbol)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        return symbol.IsDefined && !symbol.IsHidden && !WellKnownSymbols.ModuleLocal.Contains(symbol.Name);
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
    public SymbolTable Clone() => _base is null
        ? new(new Dictionary<string, Definition>(_definitions, StringComparer.Ordinal))
        : new(All.ToDictionary(d => d.Symbol.Name, StringComparer.Ordinal));

    /// <summary>An empty table.</summary>
    public SymbolTable()
    {
    }

    // The dictionary copy constructor copies the hashed buckets as they are, without hashing every name again.
    private SymbolTable(Dictionary<string, Definition> definitions) => _definitions = definitions;

    private SymbolTable(SymbolTable underlying) => _base = underlying;

    /// <summary>
    /// A table that holds this one's definitions without copying them: lookups read through to this table, additions
    /// stay in the overlay. What a <c>dlopen</c>'s plan resolves against (the global scope, then the opened library's
    /// closure), so that planning costs in proportion to the opened modules, not to every symbol of the program
    /// (<see cref="Clone"/> copied them all for each <c>dlopen</c>). This table must not change while the overlay is used.
    /// </summary>
    /// <exception cref="InvalidOperationException">This table is an overlay itself.</exception>
    public SymbolTable Overlay() => _base is null ? new(this) : throw new InvalidOperationException("an overlay of an overlay is not supported");

    /// <summary>
    /// The definition that wins among <paramref name="definitions"/> given in lookup order, by <see cref="ShouldReplace"/>;
    /// null for none. What <see cref="AddModule"/> arrives at one module at a time.
    /// </summary>
    public static Definition? Winner(IEnumerable<Definition> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        Definition? winner = null;
        foreach (var definition in definitions)
        {
            if (winner is null || ShouldReplace(winner, definition))
            {
                winner = definition;
            }
        }

        return winner;
    }

    /// <summary>Sets or, with null, removes the definition of <paramref name="name"/>: for a scope that keeps every
    /// candidate itself and recomputes one name's <see cref="Winner"/> when a module comes or goes.</summary>
    internal void Set(string name, Definition? definition)
    {
        if (_base is not null)
        {
            // Removing a name the underlying table holds would need a tombstone; overlays are only ever added to.
            throw new InvalidOperationException("an overlay symbol table is only added to");
        }

        if (definition is null)
        {
            _definitions.Remove(name);
        }
        else
        {
            _definitions[name] = definition;
        }
    }

    /// <summary>Finds the definition of <paramref name="name"/>.</summary>
    public bool TryLookup(string name, out Definition definition) =>
        // Not recursive (an overlay's base is never an overlay), so it stays as cheap as one dictionary lookup: dlsym's path.
        _definitions.TryGetValue(name, out definition!) || (_base is not null && _base._definitions.TryGetValue(name, out definition!));

    /// <summary>Every definition, for tracing and <c>ldd</c>.</summary>
    public IEnumerable<Definition> All => _base is null
        ? _definitions.Values
        : [.. _base._definitions.Values.Where(d => !_definitions.ContainsKey(d.Symbol.Name)), .. _definitions.Values];
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
