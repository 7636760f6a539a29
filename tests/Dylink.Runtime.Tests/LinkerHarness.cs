using System.Globalization;
using Dylink.Linking;
using Dylink.Linking.Tests;

namespace Dylink.Runtime.Tests;

/// <summary>
/// The real side of the model tests: one <see cref="ModelLibraries"/> set driven through a <see cref="DynamicLinker"/>
/// (its own, or one shared with other threads), recording each operation's outcome and then a snapshot of what the
/// linker shows, in the same form as <see cref="LinkerModel"/> so that the two logs are compared entry by entry.
/// </summary>
internal sealed class LinkerHarness : IDisposable
{
    private readonly LibraryHandle?[] _handles;
    private readonly bool _ownsLinker;
    private readonly Lazy<DynamicLinker> _linker;

    /// <param name="libraries">The set this harness drives.</param>
    /// <param name="linker">The linker (from <see cref="Start"/>, with the set in its source).</param>
    /// <param name="ownsLinker">Whether <see cref="Dispose"/> disposes it (false when threads share it).</param>
    public LinkerHarness(ModelLibraries libraries, DynamicLinker linker, bool ownsLinker)
        : this(libraries, () => linker, ownsLinker)
    {
    }

    /// <summary>A harness whose linker is made on first use: CsCheck's SampleParallel generates initial states that only
    /// its model replays use, and those need no linker.</summary>
    public LinkerHarness(ModelLibraries libraries, Func<DynamicLinker> linker, bool ownsLinker)
    {
        Libraries = libraries;
        _handles = new LibraryHandle?[libraries.All.Count];
        _ownsLinker = ownsLinker;
        _linker = new Lazy<DynamicLinker>(linker);
    }

    public ModelLibraries Libraries { get; }

    public DynamicLinker Linker => _linker.Value;

    public List<string> Log { get; } = [];

    /// <summary>Where the log first differed from the model's, set by <see cref="ModelTests.Agrees"/> for the report.</summary>
    public string? Mismatch { get; set; }

    /// <summary>What the last operation threw, if anything (its type is in the log; this is for the report).</summary>
    public Exception? OperationException { get; private set; }

    /// <inheritdoc cref="LinkerModel.Logging"/>
    public bool Logging { get; init; } = true;

    /// <inheritdoc cref="LinkerModel.CallsAreDirect"/>
    public bool CallsAreDirect { get; init; }

    /// <summary>A linker with the permanent base library and every cross-module call rebindable.</summary>
    public static DynamicLinker Start(InMemorySource source, DynamicLinkerOptions? options = null)
    {
        var linker = new DynamicLinker(options);
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [InMemorySource.Dir], Libraries = [ModelLibraries.Base], Rebindable = true });
        return linker;
    }

    public void Open(int lib, OpenMode mode)
    {
        var name = Libraries.All[lib].Name;
        Record($"open {name} {mode}", () =>
        {
            var handle = Linker.Open(name, mode);
            var outcome = _handles[lib] is not { } previous ? "first" : previous == handle ? "same" : "new";
            _handles[lib] = handle;
            return outcome;
        });
    }

    public void Close(int lib) => Record($"close {Libraries.All[lib].Name}", () =>
    {
        if (_handles[lib] is not { } handle)
        {
            return "no handle";
        }

        Linker.Close(handle);
        return "ok";
    });

    public void Symbol(int lib, int symbol)
    {
        var name = Libraries.SymbolName(symbol);
        Record($"symbol {HandleName(lib)} {name}", () =>
        {
            if (Handle(lib) is not { } handle)
            {
                return "no handle";
            }

            var value = Linker.Symbol(handle, name);
            return symbol >= Libraries.All.Count ? "data" : Call(handle, name, value);
        });
    }

    public void Invoke(int lib, int symbol)
    {
        var name = Libraries.SymbolName(symbol);
        Record($"invoke {HandleName(lib)} {name}", () => Handle(lib) is not { } handle ? "no handle"
            : Result(Linker.GetFunction(handle, name).Invoke()));
    }

    public void Rebind(int f, int? target, int value)
    {
        var function = Libraries.All[f].Function;
        Record($"rebind {function} to {(target is { } i ? ModelLibraries.RebindTargets[i].Name : value.ToString(CultureInfo.InvariantCulture))}", () =>
        {
            if (target is { } t)
            {
                Linker.Rebind(function, ModelLibraries.RebindTargets[t].Name);
            }
            else
            {
                Linker.Rebind(function, (Func<int>)(() => value));
            }

            return "ok";
        });
    }

    public void Restore(int f) => Record($"restore {Libraries.All[f].Function}", () =>
    {
        Linker.Restore(Libraries.All[f].Function);
        return "ok";
    });

    public void Reload(int version) => Record($"reload {Libraries.All[ModelLibraries.R].Name} v{version}", () =>
    {
        if (_handles[ModelLibraries.R] is not { } old)
        {
            return "no handle";
        }

        var handle = Linker.Reload(old, Libraries.ReloadBytes[version]);
        _handles[ModelLibraries.R] = handle;
        return $"ok old-loaded={Linker.IsLoaded(old)}";
    });

    public void Describe(int symbol)
    {
        var name = Libraries.SymbolName(symbol);
        Record($"describe {name}", () =>
        {
            var address = Linker.Symbol(LibraryHandle.Default, name);
            return Linker.Describe(address) is not { } found ? "null"
                : $"{Path.GetFileName(found.Library)} {found.Symbol} {(found.SymbolAddress == address ? "exact" : $"at {found.SymbolAddress} for {address}")}";
        });
    }

    /// <summary>
    /// What the linker shows, probe by probe: IsLoaded of every handle it gave, Open(NoLoad) of every library (closed
    /// again at once, so the probe leaves the counts as they were), and each symbol in the global scope with what a call
    /// to it returns.
    /// </summary>
    public IEnumerable<string> Snapshot()
    {
        for (var i = 0; i < Libraries.All.Count; i++)
        {
            var name = Libraries.All[i].Name;
            yield return $"{name} isloaded={(_handles[i] is { } h ? Linker.IsLoaded(h).ToString() : "no handle")}";
            yield return $"{name} noload={Outcome(() =>
            {
                var probe = Linker.Open(name, OpenMode.Now | OpenMode.NoLoad);
                Linker.Close(probe);
                // A handle of an unloaded copy is stale for ever; a live one must be the handle NOLOAD finds.
                return _handles[i] is not { } known || known == probe || !Linker.IsLoaded(known) ? "present" : $"present as {probe.Value}, not {known.Value}";
            })}";
        }

        foreach (var function in Libraries.All.Select(l => l.Function))
        {
            yield return $"{function}={Outcome(() => Call(LibraryHandle.Default, function, Linker.Symbol(LibraryHandle.Default, function)))}";
        }

        yield return $"{Libraries.DataSymbol}={Outcome(() => Linker.Symbol(LibraryHandle.Default, Libraries.DataSymbol) > 0 ? "data" : "address 0")}";
    }

    public override string ToString() => string.Join(" ", _handles.Select((h, i) => $"{Libraries.All[i].Name}:{h?.Value.ToString(CultureInfo.InvariantCulture) ?? "-"}"));

    public void Dispose()
    {
        if (_ownsLinker && _linker.IsValueCreated)
        {
            Linker.Dispose();
        }
    }

    /// <summary>The exception behind the last outcome on this thread, for the report (the outcome keeps only its type).</summary>
    [ThreadStatic]
    private static Exception? _lastException;

    /// <summary>An exception's type stands for the outcome: the model says which one each failure must be.</summary>
    public static string Outcome(Func<string> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _lastException = e;
            return e.GetType().Name;
        }
    }

    private void Record(string operation, Func<string> action)
    {
        _lastException = null;
        var outcome = Outcome(action);
        OperationException = _lastException;
        if (Logging)
        {
            Log.Add($"{operation}: {outcome}");
            Log.AddRange(Snapshot());
        }
    }

    /// <summary>Calls the function whose pointer <paramref name="pointer"/> is: through its table slot, or, when several
    /// threads share the linker, through GetFunction (the table is outside the linker's lock).</summary>
    private string Call(LibraryHandle handle, string name, long pointer) => CallsAreDirect
        ? Result(Linker.GetFunction(handle, name).Invoke())
        : Result(((Wasmtime.Function)Linker.Table.GetElement((uint)pointer)!).Invoke());

    private static string Result(object? value) => value is int i ? i.ToString(CultureInfo.InvariantCulture) : $"unexpected {value ?? "null"}";

    private LibraryHandle? Handle(int lib) => lib < 0 ? LibraryHandle.Default : _handles[lib];

    private string HandleName(int lib) => lib < 0 ? "default" : Libraries.All[lib].Name;
}
