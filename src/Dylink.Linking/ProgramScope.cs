using System.Collections.Immutable;

namespace Dylink.Linking;

/// <summary>
/// What a running program has loaded: every module (by stable index; unloaded ones stay as tombstones so indices never
/// move), which are live and which are global, the global lookup scope, and the table slot each function got. The
/// runtime owns it, updates it only after a load succeeded (or an unload finished), and passes it to
/// <see cref="LinkPlanner.PlanOpen"/> to plan the next <c>dlopen</c>.
/// </summary>
public sealed class ProgramScope
{
    private readonly List<PlannedModule> _modules = [];
    private readonly List<bool> _live = [];
    private readonly List<bool> _global = [];
    private readonly Dictionary<(int, string), uint> _slots = [];
    private readonly List<HashSet<int>> _uses = [];
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

    // A copy of another scope: the per-module dependency sets are never changed once made, so they are shared.
    private ProgramScope(ProgramScope other)
    {
        Initial = other.Initial;
        Global = other.Global.Clone();
        _modules = [.. other._modules];
        _live = [.. other._live];
        _global = [.. other._global];
        _slots = new(other._slots);
        _uses = [.. other._uses];
    }

    /// <summary>
    /// An independent copy, for another store that executed the same start-up plan and so gave every slot the same
    /// table index (a prepared program's tenants): copying is much cheaper than building the scope again.
    /// </summary>
    public ProgramScope Clone() => new(this);

    /// <summary>The start-up plan (main kind, memory layout).</summary>
    public LinkPlan Initial { get; }

    /// <summary>Every module ever loaded, by index.</summary>
    public IReadOnlyList<PlannedModule> Modules => _modules;

    /// <summary>The global lookup scope: definitions of live global modules in load order.</summary>
    public SymbolTable Global { get; private set; }

    /// <summary>True while the module at <paramref name="index"/> is loaded.</summary>
    public bool IsLive(int index) => _live[index];

    /// <summary>True when the module's symbols are in the global scope (start-up modules, <c>RTLD_GLOBAL</c>).</summary>
    public bool IsGlobal(int index) => _global[index];

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
        Add(plan, global);
        _loaderTags.UnionWith(plan.NewModules.SelectMany(m => m.Imports).OfType<LoaderTagBinding>().Select(b => b.Import.Name));
        for (var i = 0; i < plan.Slots.Length; i++)
        {
            _slots.TryAdd((plan.Slots[i].Provider, plan.Slots[i].ExportName), slotIndex[i]);
        }
    }

    /// <summary>Makes an already loaded module global (<c>dlopen</c> with <c>RTLD_GLOBAL</c> of a local library).</summary>
    public void Promote(int index)
    {
        if (!_global[index])
        {
            _global[index] = true;
            RebuildGlobalScope();
        }
    }

    /// <summary>Records a slot given to a function outside a plan (<c>dlsym</c> of a function that had none).</summary>
    public void AddSlot(int provider, string export, uint slot) => _slots.TryAdd((provider, export), slot);

    /// <summary>The function at a table index, if the program gave it that slot.</summary>
    public bool TryGetFunctionAt(uint slot, out int provider, out string export)
    {
        foreach (var ((p, e), s) in _slots)
        {
            if (s == slot)
            {
                (provider, export) = (p, e);
                return true;
            }
        }

        (provider, export) = (-1, "");
        return false;
    }

    /// <summary>Removes an unloaded module: it leaves the scope and its slots are forgotten. Returns the slots it had.</summary>
    public ImmutableArray<(string Export, uint Slot)> Remove(int index)
    {
        _live[index] = false;
        var slots = _slots.Where(s => s.Key.Item1 == index).ToList();
        foreach (var slot in slots)
        {
            _slots.Remove(slot.Key);
        }

        RebuildGlobalScope();
        return [.. slots.Select(s => (s.Key.Item2, s.Value))];
    }

    /// <summary>The modules <paramref name="index"/> depends on: its NEEDED entries and every provider its imports are bound to.</summary>
    public IEnumerable<int> DependenciesOf(int index) => _modules[index].Needed.Union(_uses[index]).Where(d => d != index);

    /// <summary>True while another live module needs <paramref name="index"/>: it lists it in NEEDED, or one of its
    /// imports is bound to it (a function, a global, a data address, a function's slot).</summary>
    public bool IsUsedByOthers(int index) =>
        Enumerable.Range(0, _modules.Count).Any(i => i != index && _live[i] && (_modules[i].Needed.Contains(index) || _uses[i].Contains(index)));

    private void Add(LinkPlan plan, bool global)
    {
        foreach (var module in plan.Modules.Skip(_modules.Count))
        {
            _modules.Add(module);
            _live.Add(true);
            _global.Add(global);
            _uses.Add([.. module.Imports.Select(plan.ProviderOf).OfType<int>()]);
            if (global)
            {
                Global.AddModule(module.Index, module.Name, ModuleSymbols.Of(module.Module), i => _modules[i].Name);
            }
        }
    }

    // Shadowed definitions come back when the one that hid them goes: rebuild rather than patch.
    private void RebuildGlobalScope()
    {
        Global = new SymbolTable();
        for (var i = 0; i < _modules.Count; i++)
        {
            if (_live[i] && _global[i])
            {
                Global.AddModule(i, _modules[i].Name, ModuleSymbols.Of(_modules[i].Module), j => _modules[j].Name);
            }
        }
    }
}
