using System.Diagnostics;
using System.Globalization;
using Dylink.Linking;
using Dylink.Linking.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

/// <summary>One library of the model's set: its function, what it NEEDs and whose function it imports.</summary>
/// <param name="Name">The file name (lib{prefix}x.so).</param>
/// <param name="Function">The one function it exports.</param>
/// <param name="Needed">Indices of the libraries in its NEEDED list.</param>
/// <param name="Import">The index of the library whose function it imports and calls, or -1.</param>
internal sealed record ModelLibrary(string Name, string Function, int[] Needed, int Import);

/// <summary>
/// The libraries the model tests load, their WAT, and what each function returns. Each set has a prefix, so that
/// several sets (one per thread) can live in one linker without sharing a name or a symbol.
/// </summary>
/// <remarks>
/// a: fa = 1. b: NEEDED a, imports fa, fb = fa + 10. c: imports fa without NEEDED it (links only while a is global),
/// fc = fa + 100. d: NEEDED b, imports fb, fd = fb + 1000. e: fe = 5 and a data symbol e_data. r: fr = 500 + version,
/// the one that is reloaded (nothing needs it, so a reload replaces it whole). Every function is () -> i32 so that any
/// can be rebound to any other or to a C# Func&lt;int&gt;.
/// </remarks>
internal sealed class ModelLibraries
{
    public const int A = 0, B = 1, C = 2, D = 3, E = 4, R = 5;

    /// <summary>The permanent library loaded at start-up (never unloaded): the targets of Rebind(symbol, otherSymbol).</summary>
    public const string Base = "libbase.so";

    public static readonly (string Name, int Value)[] RebindTargets = [("alt1", 77), ("alt2", 88)];

    public ModelLibraries(string prefix)
    {
        Prefix = prefix;
        All =
        [
            new($"lib{prefix}a.so", $"{prefix}fa", [], -1),
            new($"lib{prefix}b.so", $"{prefix}fb", [A], A),
            new($"lib{prefix}c.so", $"{prefix}fc", [], A),
            new($"lib{prefix}d.so", $"{prefix}fd", [B], B),
            new($"lib{prefix}e.so", $"{prefix}fe", [], -1),
            new($"lib{prefix}r.so", $"{prefix}fr", [], -1),
        ];
        ReloadBytes = [.. Enumerable.Range(0, 3).Select(v => Wasmtime.Module.ConvertText(Side(Returns(All[R].Function, 500 + v))))];
    }

    public string Prefix { get; }

    public IReadOnlyList<ModelLibrary> All { get; }

    public string DataSymbol => $"{Prefix}e_data";

    /// <summary>The bytes of libr version v (fr returns 500 + v); version 0 is the one on "disk".</summary>
    public IReadOnlyList<byte[]> ReloadBytes { get; }

    /// <summary>Symbols the operations pick from: every function, then the data symbol.</summary>
    public string SymbolName(int i) => i < All.Count ? All[i].Function : DataSymbol;

    public int SymbolCount => All.Count + 1;

    public void AddTo(InMemorySource source)
    {
        source.Add(All[A].Name, Side(Returns(All[A].Function, 1)));
        source.Add(All[B].Name, Side(Calls(All[B].Function, All[A].Function, 10), needed: Quoted(All[A].Name)));
        source.Add(All[C].Name, Side(Calls(All[C].Function, All[A].Function, 100)));
        source.Add(All[D].Name, Side(Calls(All[D].Function, All[B].Function, 1000), needed: Quoted(All[B].Name)));
        source.Add(All[E].Name, Side($$"""{{Returns(All[E].Function, 5)}} (global (export "{{DataSymbol}}") i32 (i32.const 0))""", memory: 16));
        source.AddBytes(All[R].Name, ReloadBytes[0]);
    }

    public static void AddBase(InMemorySource source) =>
        source.Add(Base, Side(string.Join('\n', RebindTargets.Select(t => Returns(t.Name, t.Value)))));

    /// <summary>A source with the base library and the given sets.</summary>
    public static InMemorySource Source(params ModelLibraries[] sets)
    {
        var source = new InMemorySource();
        AddBase(source);
        foreach (var set in sets)
        {
            set.AddTo(source);
        }

        return source;
    }

    private static string Quoted(string name) => $"\"{name}\"";

    private static string Returns(string name, int value) => $$"""(func (export "{{name}}") (result i32) (i32.const {{value}}))""";

    private static string Calls(string name, string import, int add) => $$"""
        (import "env" "{{import}}" (func $import (result i32)))
        (func (export "{{name}}") (result i32) (i32.add (call $import) (i32.const {{add}})))
        """;
}

/// <summary>
/// What the C# API should show for one <see cref="ModelLibraries"/> set: open counts, NODELETE, which libraries are
/// loaded (a library stays while a loaded library NEEDs it or imports from it), global or local, and what each
/// function returns now (rebinding, reloads). Each operation appends its expected outcome and then the expected
/// snapshot to <see cref="Log"/>; an entry lists every outcome that is right.
/// </summary>
internal sealed class LinkerModel(ModelLibraries libraries)
{
    private readonly bool[] _loaded = new bool[libraries.All.Count];
    private readonly bool[] _global = new bool[libraries.All.Count];
    private readonly bool[] _noDelete = new bool[libraries.All.Count];
    private readonly Handle[] _handle = new Handle[libraries.All.Count];
    private readonly bool[] _boundToOriginal = new bool[libraries.All.Count];
    private readonly int[] _count = new int[libraries.All.Count];
    private readonly Dictionary<string, int> _rebound = new(StringComparer.Ordinal);
    private int _version;

    /// <summary>The handle the harness holds for a library: none yet, the live one, or one whose library was unloaded
    /// (stale for ever: a library loaded again gets a new handle).</summary>
    private enum Handle
    {
        None,
        Live,
        Stale,
    }

    /// <summary>
    /// Whether a library loaded after one of its imports was rebound calls the replacement (true: "every call to the
    /// symbol reaches the replacement", as Rebind documents) or the original until the next Rebind or Restore of that
    /// symbol (false: what the runtime at c2dd633 does, since a new forwarding slot is filled with the original export).
    /// </summary>
    public bool LateImportersSeeRebinding { get; init; } = true;

    public ModelLibraries Libraries { get; } = libraries;

    public List<string[]> Log { get; } = [];

    /// <summary>Whether operations append outcomes and snapshots (off in <c>SampleParallel</c>, which compares only the end).</summary>
    public bool Logging { get; init; } = true;

    /// <summary>Whether the harness calls functions through their exports (GetFunction) instead of their table slots
    /// (the multi-threaded tests: <c>Table</c> is outside the linker's lock).</summary>
    public bool CallsAreDirect { get; init; }

    public void Open(int lib, OpenMode mode)
    {
        var name = Libraries.All[lib].Name;
        string outcome;
        if (_loaded[lib])
        {
            outcome = _handle[lib] == Handle.Live ? "same" : _handle[lib] == Handle.None ? "first" : "new";
        }
        else if ((mode & OpenMode.NoLoad) != 0)
        {
            outcome = nameof(LibraryNotLoadedException);
        }
        else
        {
            var closure = Closure(lib);
            var unresolved = closure.Where(m => !_loaded[m]).Any(m => Libraries.All[m].Import is var p and >= 0
                && !(_loaded[p] && _global[p]) && !closure.Contains(p));
            if (unresolved)
            {
                Record($"open {name} {mode}", nameof(LinkException));
                return;
            }

            foreach (var m in closure.Where(m => !_loaded[m]))
            {
                (_loaded[m], _global[m], _count[m]) = (true, (mode & OpenMode.Global) != 0, 0);
                _boundToOriginal[m] = !LateImportersSeeRebinding && Libraries.All[m].Import is var p and >= 0 && _rebound.ContainsKey(Libraries.All[p].Function);
            }

            outcome = _handle[lib] == Handle.None ? "first" : "new";
        }

        if (_loaded[lib])
        {
            _count[lib]++;
            _handle[lib] = Handle.Live;
            // RTLD_GLOBAL on a loaded library promotes that library (not its dependencies), as OpenMode documents.
            _global[lib] |= (mode & OpenMode.Global) != 0;
            _noDelete[lib] |= (mode & OpenMode.NoDelete) != 0;
        }

        Record($"open {name} {mode}", outcome);
    }

    public void Close(int lib)
    {
        string outcome;
        if (_handle[lib] == Handle.None)
        {
            outcome = "no handle";
        }
        else if (_handle[lib] == Handle.Stale)
        {
            outcome = nameof(ArgumentException);
        }
        else
        {
            _count[lib] = Math.Max(0, _count[lib] - 1);
            TryUnload(lib);
            outcome = "ok";
        }

        Record($"close {Libraries.All[lib].Name}", outcome);
    }

    /// <summary>Symbol(handle, name), then a call through the pointer: the function as it is bound now.</summary>
    public void Symbol(int lib, int symbol)
    {
        Record($"symbol {HandleName(lib)} {Libraries.SymbolName(symbol)}", Lookup(lib, symbol, out var f) switch
        {
            { } failure => [failure],
            _ when f < 0 => ["data"],
            _ when CallsAreDirect => Values(f),
            _ => [Current(f).ToString(CultureInfo.InvariantCulture)],
        });
    }

    /// <summary>GetFunction(handle, name).Invoke(): the function's own export, which a rebind may or may not reach.</summary>
    public void Invoke(int lib, int symbol) =>
        Record($"invoke {HandleName(lib)} {Libraries.SymbolName(symbol)}", Lookup(lib, symbol, out var f) switch
        {
            { } failure => [failure],
            _ when f < 0 => [nameof(SymbolNotFoundException)],
            _ => Values(f),
        });

    public void Rebind(int f, int? target, int value)
    {
        var outcome = "ok";
        if (!Visible(f))
        {
            outcome = nameof(SymbolNotFoundException);
        }
        else
        {
            _rebound[Libraries.All[f].Function] = target is { } t ? ModelLibraries.RebindTargets[t].Value : value;
            Redirected(f);
        }

        Record($"rebind {Libraries.All[f].Function} to {(target is { } i ? ModelLibraries.RebindTargets[i].Name : value.ToString(CultureInfo.InvariantCulture))}", outcome);
    }

    public void Restore(int f)
    {
        var outcome = "ok";
        if (!Visible(f))
        {
            outcome = nameof(SymbolNotFoundException);
        }
        else if (_rebound.Remove(Libraries.All[f].Function))
        {
            Redirected(f);
        }

        Record($"restore {Libraries.All[f].Function}", outcome);
    }

    /// <summary>Reload(libr, version): a fresh copy takes libr's place, its references and its name; nothing is rebound in it.</summary>
    public void Reload(int version)
    {
        string outcome;
        if (_handle[ModelLibraries.R] == Handle.None)
        {
            outcome = "no handle";
        }
        else if (_handle[ModelLibraries.R] == Handle.Stale)
        {
            outcome = nameof(ArgumentException);
        }
        else
        {
            _version = version;
            _rebound.Remove(Libraries.All[ModelLibraries.R].Function);
            outcome = "ok old-loaded=False";
        }

        Record($"reload {Libraries.All[ModelLibraries.R].Name} v{version}", outcome);
    }

    /// <summary>Describe(Symbol(default, name)): the library and the symbol itself.</summary>
    public void Describe(int symbol)
    {
        var lib = symbol < Libraries.All.Count ? symbol : ModelLibraries.E;
        Record($"describe {Libraries.SymbolName(symbol)}",
            Visible(lib) ? $"{Libraries.All[lib].Name} {Libraries.SymbolName(symbol)} exact" : nameof(SymbolNotFoundException));
    }

    /// <summary>What the linker should show now, probe by probe (see <see cref="LinkerHarness.Snapshot"/>).</summary>
    public IEnumerable<string[]> Snapshot()
    {
        for (var i = 0; i < Libraries.All.Count; i++)
        {
            var name = Libraries.All[i].Name;
            yield return [$"{name} isloaded={(_handle[i] == Handle.None ? "no handle" : (_handle[i] == Handle.Live).ToString())}"];
            yield return [$"{name} noload={(_loaded[i] ? "present" : nameof(LibraryNotLoadedException))}"];
        }

        for (var f = 0; f < Libraries.All.Count; f++)
        {
            var function = Libraries.All[f].Function;
            yield return Visible(f)
                ? [.. (CallsAreDirect ? Values(f) : [Current(f).ToString(CultureInfo.InvariantCulture)]).Select(v => $"{function}={v}")]
                : [$"{function}={nameof(SymbolNotFoundException)}"];
        }

        yield return [$"{Libraries.DataSymbol}={(Visible(ModelLibraries.E) ? "data" : nameof(SymbolNotFoundException))}"];
    }

    public override string ToString() => string.Join(" ", Enumerable.Range(0, Libraries.All.Count).Select(i =>
        $"{Libraries.All[i].Name}:{(_loaded[i] ? (_global[i] ? "G" : "L") : "-")}{_count[i]}{(_noDelete[i] ? "!" : "")}"))
        + $" v{_version} rebound[{string.Join(",", _rebound.Select(r => $"{r.Key}={r.Value}"))}]";

    private void Record(string operation, params string[] outcomes)
    {
        if (!Logging)
        {
            return;
        }

        Log.Add([.. outcomes.Distinct().Select(o => $"{operation}: {o}")]);
        Log.AddRange(Snapshot());
    }

    private string HandleName(int lib) => lib < 0 ? "default" : Libraries.All[lib].Name;

    /// <summary>dlsym's lookup: null when found (with <paramref name="f"/> the function index, -1 for the data symbol).</summary>
    private string? Lookup(int lib, int symbol, out int f)
    {
        f = symbol < Libraries.All.Count ? symbol : -1;
        var definedBy = symbol < Libraries.All.Count ? symbol : ModelLibraries.E;
        if (lib < 0)
        {
            return Visible(definedBy) ? null : nameof(SymbolNotFoundException);
        }

        if (_handle[lib] == Handle.None)
        {
            return "no handle";
        }

        // A handle sees its library and what it NEEDs (transitively), not the providers of imports it did not NEED.
        return _handle[lib] == Handle.Stale ? nameof(ArgumentException) : Closure(lib).Contains(definedBy) ? null : nameof(SymbolNotFoundException);
    }

    private bool Visible(int lib) => _loaded[lib] && _global[lib];

    /// <summary>The function's value through its table slot and every forwarder: its replacement, or what its code computes.</summary>
    private int Current(int f) => _rebound.TryGetValue(Libraries.All[f].Function, out var value) ? value : Own(f);

    /// <summary>What the function's own code returns, calling its import as bound now.</summary>
    private int Own(int f) => f switch
    {
        ModelLibraries.A => 1,
        ModelLibraries.B => ThroughImport(f) + 10,
        ModelLibraries.C => ThroughImport(f) + 100,
        ModelLibraries.D => ThroughImport(f) + 1000,
        ModelLibraries.E => 5,
        ModelLibraries.R => 500 + _version,
        _ => throw new UnreachableException(),
    };

    /// <summary>What the library's call to its import returns.</summary>
    private int ThroughImport(int importer) =>
        _boundToOriginal[importer] ? Own(Libraries.All[importer].Import) : Current(Libraries.All[importer].Import);

    /// <summary>A Rebind or Restore writes every forwarding slot of the function, late importers' included.</summary>
    private void Redirected(int f)
    {
        for (var m = 0; m < Libraries.All.Count; m++)
        {
            _boundToOriginal[m] &= Libraries.All[m].Import != f;
        }
    }

    /// <summary>A call to the function's export from C#: whether a rebind reaches it is not promised, so either value is right.</summary>
    private string[] Values(int f) => [.. new[] { Own(f), Current(f) }.Distinct().Select(v => v.ToString(CultureInfo.InvariantCulture))];

    /// <summary>The library and its NEEDED entries, breadth-first.</summary>
    private List<int> Closure(int lib)
    {
        var order = new List<int> { lib };
        for (var i = 0; i < order.Count; i++)
        {
            order.AddRange(Libraries.All[order[i]].Needed.Where(n => !order.Contains(n)));
        }

        return order;
    }

    private bool IsUsedByOthers(int lib) => Enumerable.Range(0, Libraries.All.Count)
        .Any(m => m != lib && _loaded[m] && (Libraries.All[m].Needed.Contains(lib) || Libraries.All[m].Import == lib));

    private void TryUnload(int lib)
    {
        if (!_loaded[lib] || _noDelete[lib] || _count[lib] > 0 || IsUsedByOthers(lib))
        {
            return;
        }

        (_loaded[lib], _global[lib], _boundToOriginal[lib]) = (false, false, false);
        _rebound.Remove(Libraries.All[lib].Function);
        if (_handle[lib] == Handle.Live)
        {
            _handle[lib] = Handle.Stale;
        }

        if (lib == ModelLibraries.R)
        {
            _version = 0; // a reloaded version came from bytes: opened again, libr comes from its file
        }
        foreach (var dependency in Libraries.All[lib].Needed.Append(Libraries.All[lib].Import).Where(d => d >= 0).Distinct())
        {
            TryUnload(dependency);
        }
    }
}
