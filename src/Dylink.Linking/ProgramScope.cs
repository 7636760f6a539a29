using System.Collections.Immutable;
using Dylink.Format;

namespace Dylink.Linking;

/// <summary>
/// What a running program has loaded: every module (by stable index; unloaded ones stay as tombstones so indices never
/// move nor get reused), which are live and which are global, the global lookup scope, the table slot each function
/// got, and every run-time lookup rule (<c>dlsym</c> with <c>RTLD_DEFAULT</c>, a handle or <c>RTLD_NEXT</c>; a loaded
/// library by name; the function at a table slot; the data symbol at an address). The runtime owns it, updates it
/// only after a load succeeded (or an unload finished), and passes it to <see cref="LinkPlanner.PlanOpen"/> to plan the
/// next <c>dlopen</c>.
/// </summary>
/// <remarks>
/// Every operation costs in proportion to live modules, never to every module ever loaded: a program that opens and
/// closes libraries for ever keeps a tombstone per unloaded module (its name, path and NEEDED, without the parsed
/// module) and nothing walks them.
/// </remarks>
public sealed class ProgramScope
{
    // A tombstone keeps no parsed module (the module holds its file's bytes): it stands in as an empty one.
    private static readonly WasmModule Unloaded = WasmModule.Parse(new byte[] { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 }, "(unloaded)");

    private readonly List<PlannedModule> _modules = [];
    private readonly List<ScopeEntry> _entries = [];
    private readonly SortedSet<int> _live = [];
    // Every visible definition of the live global modules, per name in load order: the global table holds each name's
    // winner, recomputed for one name when a module enters or leaves, so that a shadowed definition comes back.
    private readonly Dictionary<string, List<Definition>> _candidates = new(StringComparer.Ordinal);
    private readonly Dictionary<(int Provider, string Export), uint> _slots = [];
    private readonly Dictionary<uint, (int Provider, string Export)> _functionAt = [];
    private readonly Dictionary<string, List<int>> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<int, HandleScope> _handleScopes = [];
    private readonly HashSet<string> _loaderTags = new(StringComparer.Ordinal);

    /// <summary>Starts from the program loaded at start-up: all of its modules are global.</summary>
    /// <param name="initial">The start-up plan.</param>
    /// <param name="slotIndex">The absolute table index the runtime gave each of its slots.</param>
    public ProgramScope(LinkPlan initial, IReadOnlyList<uint> slotIndex)
    {
        ArgumentNullException.ThrowIfNull(initial);
        Initial = initial;
        Global = new SymbolTable();
        Commit(initial, global: true, slotIndex);
    }

    // A copy of another scope. Handle scopes are not copied: they are rebuilt on first use.
    private ProgramScope(ProgramScope other)
    {
        Initial = other.Initial;
        Global = other.Global.Clone();
        _modules = [.. other._modules];
        _entries = [.. other._entries.Select(e => e.Clone())];
        _live = [.. other._live];
        _candidates = other._candidates.ToDictionary(c => c.Key, c => new List<Definition>(c.Value), StringComparer.Ordinal);
        _slots = new(other._slots);
        _functionAt = new(other._functionAt);
        _byName = other._byName.ToDictionary(n => n.Key, n => new List<int>(n.Value), StringComparer.Ordinal);
        _byPath = other._byPath.ToDictionary(n => n.Key, n => new List<int>(n.Value), StringComparer.Ordinal);
        _loaderTags = new(other._loaderTags, StringComparer.Ordinal);
    }

    /// <summary>
    /// An independent copy, for another store that executed the same start-up plan and so gave every slot the same
    /// table index (a prepared program's tenants): copying is much cheaper than building the scope again.
    /// </summary>
    public ProgramScope Clone() => new(this);

    /// <summary>The start-up plan (main kind, memory layout).</summary>
    public LinkPlan Initial { get; }

    /// <summary>Every module ever loaded, by index. An unloaded module keeps its index, name, path and NEEDED list; its
    /// parsed module is dropped (an empty module stands in) and so are its bindings.</summary>
    public IReadOnlyList<PlannedModule> Modules => _modules;

    /// <summary>The live modules in load order.</summary>
    public IEnumerable<PlannedModule> LiveModules => _live.Select(i => _modules[i]);

    /// <summary>How many modules are live: what <see cref="LinkOptions.MaxModules"/> limits.</summary>
    public int LiveCount => _live.Count;

    /// <summary>The global lookup scope: definitions of live global modules in load order.</summary>
    public SymbolTable Global { get; }

    /// <summary>True while the module at <paramref name="index"/> is loaded.</summary>
    public bool IsLive(int index) => _entries[index].Live;

    /// <summary>True when the module's symbols are in the global scope (start-up modules, <c>RTLD_GLOBAL</c>).</summary>
    public bool IsGlobal(int index) => _entries[index].Global;

    /// <summary>True when the loader created the ABI tag <paramref name="name"/> for an earlier load: it stays the
    /// program's definition, ahead of any library loaded later that defines the tag itself.</summary>
    public bool HasLoaderTag(string name) => _loaderTags.Contains(name);

    /// <summary>The table index of a function that has one.</summary>
    public bool TryGetSlot(int provider, string export, out uint slot) => _slots.TryGetValue((provider, export), out slot);

    /// <summary>Records a successful load: its modules become live (and global if asked), its slots known.</summary>
    /// <param name="plan">The executed plan.</param>
    /// <param name="global">Whether the new modules join the global scope.</param>
    /// <param name="slotIndex">The absolute table index the runtime gave each of the plan's slots.</param>
    public void Commit(LinkPlan plan, bool global, IReadOnlyList<uint> slotIndex)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(slotIndex);
        var first = _modules.Count;
        foreach (var module in plan.Modules.Skip(first))
        {
            Add(plan, module, global);
        }

        // Counted once every new module has its entry: modules of one load may need each other (a cycle).
        for (var i = first; i < _entries.Count; i++)
        {
            foreach (var dependency in _entries[i].Dependencies)
            {
                _entries[dependency].Dependents++;
            }
        }

        _loaderTags.UnionWith(plan.NewModules.SelectMany(m => m.Imports).OfType<LoaderTagBinding>().Select(b => b.Import.Name));
        for (var i = 0; i < plan.Slots.Length; i++)
        {
            AddSlot(plan.Slots[i].Provider, plan.Slots[i].ExportName, slotIndex[i]);
        }
    }

    /// <summary>Makes an already loaded module global (<c>dlopen</c> with <c>RTLD_GLOBAL</c> of a local library): its
    /// definitions take their place in load order, so they win over those of modules loaded after it.</summary>
    public void Promote(int index)
    {
        var entry = _entries[index];
        if (entry.Live && !entry.Global)
        {
            entry.Global = true;
            EnterGlobalScope(index);
        }
    }

    /// <summary>Records a slot given to a function outside a plan (<c>dlsym</c> of a function that had none).</summary>
    public void AddSlot(int provider, string export, uint slot)
    {
        if (_slots.TryAdd((provider, export), slot))
        {
            _entries[provider].Slots.Add((export, slot));
            _functionAt.TryAdd(slot, (provider, export));
        }
    }

    /// <summary>The function at a table index, if the program gave it that slot.</summary>
    public bool TryGetFunctionAt(uint slot, out int provider, out string export)
    {
        var found = _functionAt.TryGetValue(slot, out var function);
        (provider, export) = found ? function : (-1, "");
        return found;
    }

    /// <summary>Removes an unloaded module: it leaves every scope, its slots are forgotten, and it becomes a tombstone.
    /// Returns the slots it had (none when it was not live).</summary>
    public ImmutableArray<(string Export, uint Slot)> Remove(int index)
    {
        var entry = _entries[index];
        if (!entry.Live)
        {
            return [];
        }

        var module = _modules[index];
        if (entry.Global)
        {
            LeaveGlobalScope(index);
        }

        entry.Live = false;
        _live.Remove(index);
        foreach (var dependency in entry.Dependencies)
        {
            _entries[dependency].Dependents--;
        }

        Forget(_byName, module.Name, index);
        if (module.Path is not null)
        {
            Forget(_byPath, Path.GetFullPath(module.Path), index);
        }

        // A handle whose scope held the module must see the definitions it shadowed.
        foreach (var root in _handleScopes.Where(h => h.Value.Members.Contains(index)).Select(h => h.Key).ToList())
        {
            _handleScopes.Remove(root);
        }

        var slots = entry.Slots.ToImmutableArray();
        foreach (var (export, slot) in slots)
        {
            _slots.Remove((index, export));
            if (_functionAt.TryGetValue(slot, out var function) && function == (index, export))
            {
                _functionAt.Remove(slot);
            }
        }

        entry.Slots.Clear();
        entry.DataSymbols = null;
        _modules[index] = module with { Module = Unloaded, Imports = [] };
        return slots;
    }

    /// <summary>
    /// Records that <paramref name="index"/> now depends on <paramref name="dependency"/>: a lazily bound function
    /// (<see cref="LazyFunctionBinding"/>) was resolved to it at its first call, so it may not be unloaded while
    /// <paramref name="index"/> is loaded (glibc records the same for lazy bindings).
    /// </summary>
    public void AddDependency(int index, int dependency)
    {
        var entry = _entries[index];
        if (index == dependency || !entry.Live || !IsLive(dependency) || entry.Dependencies.Contains(dependency))
        {
            return;
        }

        entry.Dependencies = [.. entry.Dependencies, dependency];
        _entries[dependency].Dependents++;
    }

    /// <summary>The modules <paramref name="index"/> depends on: its NEEDED entries and every provider its imports are bound to.</summary>
    public IEnumerable<int> DependenciesOf(int index) => _entries[index].Dependencies;

    /// <summary>True while another live module needs <paramref name="index"/>: it lists it in NEEDED, or one of its
    /// imports is bound to it (a function, a global, a data address, a function's slot).</summary>
    public bool IsUsedByOthers(int index) => _entries[index].Dependents > 0;

    /// <summary>
    /// What closing the last reference to <paramref name="closed"/> unloads, as glibc's <c>dlclose</c> decides it: the
    /// module and every live module it depends on, directly or not, except those still reachable from something that
    /// keeps them — a <paramref name="pinned"/> module (open references, NODELETE, loaded at start-up, a load or unload
    /// in progress), or a live module outside that set bound to them. Dependency cycles are collected too (reference
    /// counts alone would keep them forever). The order is not meaningful: the runtime runs destructors in
    /// <see cref="DestructionOrder"/>.
    /// </summary>
    /// <param name="closed">The module whose last reference was dropped.</param>
    /// <param name="pinned">True for a module that must stay for reasons the scope does not know.</param>
    public IReadOnlyList<int> CollectUnused(int closed, Func<int, bool> pinned)
    {
        ArgumentNullException.ThrowIfNull(pinned);
        if (!IsLive(closed))
        {
            return [];
        }

        var candidates = new List<int> { closed };
        var inSet = new HashSet<int> { closed };
        for (var i = 0; i < candidates.Count; i++)
        {
            foreach (var dependency in DependenciesOf(candidates[i]))
            {
                if (IsLive(dependency) && inSet.Add(dependency))
                {
                    candidates.Add(dependency);
                }
            }
        }

        // A candidate with more live dependents than the candidates account for is used from outside the set.
        var insideDependents = candidates.SelectMany(DependenciesOf).Where(inSet.Contains).GroupBy(d => d).ToDictionary(g => g.Key, g => g.Count());
        var kept = new Queue<int>(candidates.Where(c => pinned(c) || _entries[c].Dependents > insideDependents.GetValueOrDefault(c)));
        var keep = kept.ToHashSet();
        while (kept.TryDequeue(out var k))
        {
            foreach (var dependency in DependenciesOf(k).Where(d => inSet.Contains(d) && keep.Add(d)))
            {
                kept.Enqueue(dependency);
            }
        }

        return [.. candidates.Where(c => !keep.Contains(c))];
    }

    /// <summary>
    /// The order in which <paramref name="modules"/>, given in reverse constructor order, run their destructors: every
    /// module before the modules it depends on, otherwise as given (glibc's <c>_dl_sort_maps</c> for <c>_dl_fini</c>).
    /// Reverse constructor order already puts a module before its providers when they were loaded together; a
    /// dependency recorded later — a lazily bound function resolved to a library opened after its importer — does not,
    /// and the importer's destructors may still call the provider. Each step takes the first module, in the given order,
    /// that no remaining module depends on; when every remaining one is in a dependency cycle, the first of them.
    /// </summary>
    public IReadOnlyList<int> DestructionOrder(IReadOnlyList<int> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var remaining = modules.Distinct().ToList();
        var pending = remaining.ToHashSet();
        var dependents = remaining.ToDictionary(m => m, _ => new List<int>());
        foreach (var module in remaining)
        {
            foreach (var dependency in DependenciesOf(module).Where(d => d != module && pending.Contains(d)))
            {
                dependents[dependency].Add(module);
            }
        }

        var order = new List<int>(remaining.Count);
        while (remaining.Count > 0)
        {
            var next = remaining.FindIndex(m => !dependents[m].Any(pending.Contains));
            next = Math.Max(next, 0); // all in cycles: cut at the first
            order.Add(remaining[next]);
            pending.Remove(remaining[next]);
            remaining.RemoveAt(next);
        }

        return order;
    }

    /// <summary>
    /// <c>dlsym(RTLD_DEFAULT, name)</c> and what every import binds to: the global scope (the start-up program, then
    /// libraries opened <c>RTLD_GLOBAL</c>, in load order; <see cref="SymbolTable.ShouldReplace"/> decides).
    /// </summary>
    /// <returns>The definition; null when no live global module defines the symbol visibly.</returns>
    public Definition? LookupDefault(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Global.TryLookup(name, out var definition) ? definition : null;
    }

    /// <summary>
    /// <c>dlsym(handle, name)</c>: the library <paramref name="root"/>, then its NEEDED dependencies breadth-first (live
    /// ones, each once), with the same rules as the global scope (musl's and glibc's handle scope). The main's handle is
    /// the program's, whose scope is the global one. Each library's scope is hashed once and kept until a module in it
    /// is unloaded.
    /// </summary>
    /// <returns>The definition; null when the handle's scope has none.</returns>
    /// <exception cref="ArgumentException"><paramref name="root"/> is not a loaded module.</exception>
    public Definition? LookupFrom(int root, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (root < 0 || root >= _entries.Count || !_entries[root].Live)
        {
            throw new ArgumentException($"module {root} is not loaded", nameof(root));
        }

        if (Initial.Main is { } main && root == main.Index)
        {
            return LookupDefault(name);
        }

        if (!_handleScopes.TryGetValue(root, out var scope))
        {
            scope = BuildHandleScope(root);
            _handleScopes.Add(root, scope);
        }

        return scope.Table.TryLookup(name, out var definition) ? definition : null;
    }

    /// <summary>
    /// <c>dlsym(RTLD_NEXT, name)</c>: the first definition in a live global module loaded after the main. The loader
    /// cannot see which module called, so "next" is taken from the main, the usual caller of an interposing wrapper.
    /// Load order decides alone: a weak definition found first is returned.
    /// </summary>
    /// <returns>The definition; null when there is none.</returns>
    public Definition? LookupNext(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var after = Initial.Main?.Index ?? -1;
        return _candidates.TryGetValue(name, out var candidates) ? candidates.FirstOrDefault(d => d.Provider > after) : null;
    }

    /// <summary>The live module <c>dlopen(name, RTLD_NOLOAD)</c> finds: the one loaded under that name, or, for a name
    /// with a slash, at that path (compared as full paths). Two live modules share a name only while a reloaded
    /// library's old version is still kept (<c>Reload</c> gives the new version the old one's name): the newer wins.</summary>
    /// <returns>Its index; null when none is loaded.</returns>
    public int? FindLoaded(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var byName = LatestLiveNamed(name);
        var byPath = name.Contains('/', StringComparison.Ordinal) ? LatestLiveAt(Path.GetFullPath(name)) : null;
        return byName is { } n && byPath is { } p ? Math.Max(n, p) : byName ?? byPath;
    }

    /// <summary>The functions the module makes visible to others (<see cref="SymbolTable.IsVisible"/>), in export order:
    /// what a reload rebinds and what <c>dladdr</c> can name.</summary>
    public IEnumerable<ModuleSymbol> ExportedFunctions(int index) =>
        ModuleSymbols.Of(_modules[index].Module).Where(s => s.Kind == SymbolKind.Function && SymbolTable.IsVisible(s));

    /// <summary>
    /// For <c>dladdr</c>: the visible data symbol of module <paramref name="index"/> that starts nearest at or below
    /// <paramref name="offset"/> (an offset from its <c>__memory_base</c>); at equal offsets the first exported. The
    /// module's data symbols are sorted once, then each query is a binary search.
    /// </summary>
    /// <returns>The symbol; null when none starts at or below the offset, or the module is not loaded.</returns>
    public ModuleSymbol? NearestDataSymbol(int index, long offset)
    {
        var entry = _entries[index];
        if (!entry.Live)
        {
            return null;
        }

        var symbols = entry.DataSymbols ??= SortedDataSymbols(_modules[index].Module);
        int low = 0, high = symbols.Length; // find the first symbol that starts above the offset
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (symbols[middle].Value!.Value <= offset)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low == 0 ? null : symbols[low - 1];
    }

    /// <summary>The live module loaded under <paramref name="name"/> (the newest, after a reload), for the planner's
    /// "each library once".</summary>
    internal int? LatestLiveNamed(string name) => _byName.TryGetValue(name, out var list) ? list[^1] : null;

    /// <summary>The live module loaded from <paramref name="fullPath"/> (the newest, after a reload).</summary>
    internal int? LatestLiveAt(string fullPath) => _byPath.TryGetValue(fullPath, out var list) ? list[^1] : null;

    private void Add(LinkPlan plan, PlannedModule module, bool global)
    {
        var index = module.Index;
        var dependencies = module.Needed.Union(module.Imports.Select(plan.ProviderOf).OfType<int>()).Where(d => d != index).ToArray();
        _modules.Add(module);
        _entries.Add(new ScopeEntry(dependencies) { Live = true, Global = global });
        _live.Add(index);
        Remember(_byName, module.Name, index);
        if (module.Path is not null)
        {
            Remember(_byPath, Path.GetFullPath(module.Path), index);
        }

        if (global)
        {
            EnterGlobalScope(index);
        }
    }

    private void EnterGlobalScope(int index)
    {
        foreach (var symbol in ModuleSymbols.Of(_modules[index].Module).Where(SymbolTable.IsVisible))
        {
            if (!_candidates.TryGetValue(symbol.Name, out var candidates))
            {
                _candidates.Add(symbol.Name, candidates = []);
            }

            // Usually appended (a new module comes last); a promoted one goes back to its place in load order.
            var position = candidates.Count;
            while (position > 0 && candidates[position - 1].Provider > index)
            {
                position--;
            }

            candidates.Insert(position, new Definition(index, symbol));
            Global.Set(symbol.Name, SymbolTable.Winner(candidates));
        }
    }

    private void LeaveGlobalScope(int index)
    {
        foreach (var symbol in ModuleSymbols.Of(_modules[index].Module).Where(SymbolTable.IsVisible))
        {
            var candidates = _candidates[symbol.Name];
            candidates.RemoveAll(d => d.Provider == index);
            if (candidates.Count == 0)
            {
                _candidates.Remove(symbol.Name);
            }

            Global.Set(symbol.Name, SymbolTable.Winner(candidates));
        }
    }

    private HandleScope BuildHandleScope(int root)
    {
        var order = new List<int> { root };
        var members = new HashSet<int> { root };
        for (var i = 0; i < order.Count; i++)
        {
            foreach (var dependency in _modules[order[i]].Needed)
            {
                if (_entries[dependency].Live && members.Add(dependency))
                {
                    order.Add(dependency);
                }
            }
        }

        var table = new SymbolTable();
        foreach (var m in order)
        {
            table.AddModule(m, _modules[m].Name, ModuleSymbols.Of(_modules[m].Module), i => _modules[i].Name);
        }

        return new HandleScope(table, members);
    }

    private static ModuleSymbol[] SortedDataSymbols(WasmModule module) =>
        [.. ModuleSymbols.Of(module)
            .Where(s => s.Kind == SymbolKind.Data && s.Value is not null && SymbolTable.IsVisible(s))
            .DistinctBy(s => s.Value) // at one address dladdr names the first exported
            .OrderBy(s => s.Value)];

    private static void Remember(Dictionary<string, List<int>> map, string key, int index)
    {
        if (!map.TryGetValue(key, out var list))
        {
            map.Add(key, list = []);
        }

        list.Add(index); // indices only grow, so each list stays in load order
    }

    private static void Forget(Dictionary<string, List<int>> map, string key, int index)
    {
        if (map.TryGetValue(key, out var list) && list.Remove(index) && list.Count == 0)
        {
            map.Remove(key);
        }
    }

    /// <summary>A library's <c>dlsym</c> scope, hashed, and the modules in it (whose unloading makes it stale).</summary>
    private sealed record HandleScope(SymbolTable Table, HashSet<int> Members);

    /// <summary>What the scope knows of one module besides its plan.</summary>
    private sealed class ScopeEntry(int[] dependencies)
    {
        public bool Live { get; set; }

        public bool Global { get; set; }

        /// <summary>NEEDED and the providers of its imports, itself excluded; grows only when a lazily bound import
        /// is resolved (<see cref="ProgramScope.AddDependency"/>).</summary>
        public int[] Dependencies { get; set; } = dependencies;

        /// <summary>How many live modules have it among their <see cref="Dependencies"/>.</summary>
        public int Dependents { get; set; }

        public List<(string Export, uint Slot)> Slots { get; } = [];

        /// <summary>Visible data symbols by offset, made on the first <c>dladdr</c> into the module.</summary>
        public ModuleSymbol[]? DataSymbols { get; set; }

        public ScopeEntry Clone()
        {
            var copy = new ScopeEntry(Dependencies) { Live = Live, Global = Global, Dependents = Dependents, DataSymbols = DataSymbols };
            copy.Slots.AddRange(Slots);
            return copy;
        }
    }
}
