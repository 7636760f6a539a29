using Dylink.Format;

namespace Dylink.Linking;

/// <summary>A module read and parsed for linking, before layout and binding.</summary>
/// <param name="Name">The name it was asked for by (NEEDED entry, <c>-l</c> argument, or file name).</param>
/// <param name="Path">Where it was found; null for a module given as bytes.</param>
/// <param name="Module">The parsed module.</param>
/// <param name="NeededBy">The module whose NEEDED list first named it.</param>
internal sealed record LoadedModule(string Name, string? Path, WasmModule Module, string? NeededBy)
{
    public List<int> Needed { get; } = [];

    /// <summary>Who asked for it when that was not a NEEDED entry (<c>-l</c>, <c>--preload</c>, <c>Open</c>, <c>dlopen</c>,
    /// <c>Reload</c>): messages about it blame the request, not the main its search started from.</summary>
    public string? RequestedBy { get; init; }

    /// <summary>" (requested by -l)", " (needed by main.wasm)", or "" for the main: the end of every message about it.</summary>
    public string Blame => LibraryLoader.Blame(RequestedBy, NeededBy);
}

/// <summary>
/// The modules one planning run sees, by index: those a running program loaded earlier (read from its scope only when
/// asked for, so that planning a <c>dlopen</c> never walks every module ever loaded) followed by the ones this run loads.
/// </summary>
internal sealed class ModuleList(ProgramScope? scope)
{
    private readonly Dictionary<int, LoadedModule> _earlier = [];
    private readonly List<LoadedModule> _new = [];

    /// <summary>The index of the first module this run loads.</summary>
    public int First { get; } = scope?.Modules.Count ?? 0;

    public int Count => First + _new.Count;

    /// <summary>The modules this run loads, from <see cref="First"/> on.</summary>
    public IReadOnlyList<LoadedModule> New => _new;

    public LoadedModule this[int index] => index >= First ? _new[index - First] : Earlier(index);

    public int Add(LoadedModule module)
    {
        _new.Add(module);
        return Count - 1;
    }

    private LoadedModule Earlier(int index)
    {
        if (!_earlier.TryGetValue(index, out var loaded))
        {
            var m = scope!.Modules[index];
            loaded = new LoadedModule(m.Name, m.Path, m.Module, m.NeededBy);
            loaded.Needed.AddRange(m.Needed);
            _earlier.Add(index, loaded);
        }

        return loaded;
    }
}

/// <summary>
/// Finds and reads every module of a program: preloads, the main, then NEEDED entries breadth-first, each library once
/// (by resolved path and by name), cycles allowed. Collects every error instead of stopping at the first. With a
/// running program's <paramref name="scope"/>, its live modules are found there rather than loaded again.
/// </summary>
internal sealed class LibraryLoader(LinkOptions options, List<string> errors, ProgramScope? scope = null)
{
    // Modules this run loaded (and names it found an earlier module under); earlier modules are asked of the scope.
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byPath = new(StringComparer.Ordinal);
    // Names and paths whose loaded module a reload must not reuse.
    private readonly HashSet<string> _masked = new(StringComparer.Ordinal);

    public ModuleList Modules { get; } = new(scope);

    /// <summary>Every library this run could not load, in the order tried.</summary>
    public List<MissingLibrary> Missing { get; } = [];

    /// <summary>Loads the whole program breadth-first. Returns the main's index, or -1 without a wasm main.</summary>
    public int LoadProgram(LoadedModule? main)
    {
        foreach (var preload in options.Preload)
        {
            Load(preload, null, "--preload");
        }

        var mainIndex = main is null ? -1 : Add(main);
        if (main is null)
        {
            // Without a wasm main, -l libraries are the program's top level.
            foreach (var library in options.Libraries)
            {
                Load(library, null, "-l");
            }
        }

        // Modules doubles as the breadth-first queue: every newly loaded module is appended and visited in turn.
        for (var i = 0; i < Modules.Count; i++)
        {
            var needed = (Modules[i].Module.Dylink?.Needed ?? []).Select(name => (name, (string?)null));
            // -l libraries are searched from the main, but they are the command line's request, not the main's.
            foreach (var (name, requester) in i == mainIndex ? needed.Concat(options.Libraries.Select(l => (l, (string?)"-l"))) : needed)
            {
                if (Load(name, i, requester) is { } dependency && !Modules[i].Needed.Contains(dependency))
                {
                    Modules[i].Needed.Add(dependency);
                }
            }
        }

        return mainIndex;
    }

    /// <summary>Loads <paramref name="name"/> (searched as if the main needed it) and, breadth-first, whatever it needs
    /// that is not loaded yet. Returns the root's index, or null after recording why it could not be loaded.</summary>
    /// <param name="name">The library name or path.</param>
    /// <param name="searchFrom">The module whose search rules apply (the main).</param>
    /// <param name="fresh">Load the root again even if a module of that name or path is loaded (a reload); its
    /// dependencies are still shared.</param>
    public int? LoadRoot(string name, int? searchFrom, bool fresh = false)
    {
        var first = Modules.Count;
        var requester = fresh ? "Reload" : options.Requester == LibraryRequester.Dlopen ? "dlopen" : "Open";
        if (string.IsNullOrEmpty(name))
        {
            errors.Add($"{requester}: the library name is empty");
            return null;
        }

        if (fresh)
        {
            _masked.Add(name);
            _masked.Add(Path.GetFullPath(name));
            if (Find(name, searchFrom is { } s ? Modules[s] : null) is { } found)
            {
                _masked.Add(Path.GetFullPath(found));
            }
        }

        var root = Load(name, searchFrom, requester);
        for (var i = first; i < Modules.Count; i++)
        {
            foreach (var needed in Modules[i].Module.Dylink?.Needed ?? [])
            {
                if (Load(needed, i) is { } dependency && !Modules[i].Needed.Contains(dependency))
                {
                    Modules[i].Needed.Add(dependency);
                }
            }
        }

        return root;
    }

    private int Add(LoadedModule module)
    {
        var index = Modules.Add(module);
        _byName.TryAdd(module.Name, index);
        if (module.Path is not null)
        {
            _byPath.TryAdd(Path.GetFullPath(module.Path), index);
        }

        return index;
    }

    /// <param name="name">The library name or path.</param>
    /// <param name="neededBy">The module whose search rules apply (and who needs it, unless <paramref name="requester"/> says otherwise).</param>
    /// <param name="requester">Who asked, when that was not <paramref name="neededBy"/>'s NEEDED list.</param>
    private int? Load(string name, int? neededBy, string? requester = null)
    {
        if (Known(_byName, name, scope is null ? null : scope.LatestLiveNamed) is { } known)
        {
            return known;
        }

        var parent = neededBy is { } p ? Modules[p] : null;
        var blame = Blame(requester, parent?.Name);
        if (Find(name, parent) is not { } path)
        {
            // Past the reported limit only the count matters: do not format a search list per missing name.
            return Fail(name, requester ?? parent?.Name, true,
                errors.Count < LinkPlanner.ErrorLimit && !options.ConcealRefusals ? NotFound(name, parent, blame) : $"{name}: library not found{blame}");
        }

        var full = Path.GetFullPath(path);
        if (Known(_byPath, full, scope is null ? null : scope.LatestLiveAt) is { } atPath)
        {
            _byName.TryAdd(name, atPath);
            return atPath;
        }

        // Live modules count, unloaded ones do not: a program may open and close libraries for ever.
        if ((scope?.LiveCount ?? 0) + Modules.New.Count >= options.MaxModules)
        {
            return Fail(name, requester ?? parent?.Name, false, $"{name}: too many modules: the limit is {options.MaxModules}{blame}");
        }

        byte[] bytes;
        try
        {
            // One read that checks the sandbox, the file's type and its size on what it reads (FileModuleSource: the
            // opened handle), so that nothing can be switched between a check and the read.
            bytes = options.Source.Read(path, options);
        }
        catch (Exception e) when (options.ConcealRefusals && e is IOException or UnauthorizedAccessException)
        {
            // What a guest may not reach, it may not learn about either.
            return Fail(name, requester ?? parent?.Name, true, $"{name}: library not found{blame}");
        }
        catch (ModuleRefusedException e)
        {
            return Fail(name, requester ?? parent?.Name, false, $"{name}: {e.Message}{blame}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(name, requester ?? parent?.Name, false, $"{name}: cannot read {path}{blame}: {e.Message}");
        }

        try
        {
            return Add(new LoadedModule(name, path, WasmModule.Parse(bytes, path), parent?.Name) { RequestedBy = requester });
        }
        catch (WasmFormatException e)
        {
            return Fail(name, requester ?? parent?.Name, false, e.Message + blame);
        }
    }

    private int? Fail(string name, string? requestedBy, bool notFound, string message)
    {
        errors.Add(message);
        Missing.Add(new MissingLibrary(name, requestedBy, notFound, message));
        return null;
    }

    private int? Known(Dictionary<string, int> loadedNow, string key, Func<string, int?>? loadedEarlier) =>
        loadedNow.TryGetValue(key, out var index) ? index
        : _masked.Contains(key) ? null
        : loadedEarlier?.Invoke(key);

    /// <summary>The search order: a name with a slash is a path; otherwise -L dirs, the library path, the needing
    /// module's RUNTIME_PATH (with <c>$ORIGIN</c>), then the needing module's own directory.</summary>
    private string? Find(string name, LoadedModule? parent) =>
        name.Contains('/', StringComparison.Ordinal)
            ? (options.Source.Exists(name) ? name : null)
            : SearchDirectories(parent).Select(dir => Path.Combine(dir, name)).FirstOrDefault(options.Source.Exists);

    private IEnumerable<string> SearchDirectories(LoadedModule? parent)
    {
        // A module given as bytes has no directory: its RUNTIME_PATH's $ORIGIN and the directory fallback do not apply.
        var origin = parent?.Path is { } p ? Path.GetDirectoryName(Path.GetFullPath(p)) : null;
        var runPath = origin is null ? [] : (parent?.Module.Dylink?.RuntimePath ?? []).Select(entry =>
            entry.Replace("${ORIGIN}", origin, StringComparison.Ordinal).Replace("$ORIGIN", origin, StringComparison.Ordinal));
        var dirs = options.SearchPaths.Concat(options.LibraryPath).Concat(runPath);
        return (origin is null ? dirs : dirs.Append(origin)).Concat(options.DefaultLibraryPath).Distinct(StringComparer.Ordinal);
    }

    private string NotFound(string name, LoadedModule? parent, string blame) =>
        $"{name}: library not found{blame}; searched: {string.Join(", ", name.Contains('/', StringComparison.Ordinal) ? [name] : SearchDirectories(parent))}";

    /// <summary>The end of a message about a library: who asked for it. A request that did not come from a NEEDED list
    /// (<c>-l</c>, <c>Open</c>, …) is named as such, since the module its search starts from did not ask for anything.</summary>
    internal static string Blame(string? requester, string? neededBy) =>
        requester is not null ? $" (requested by {requester})" : neededBy is not null ? $" (needed by {neededBy})" : "";
}
