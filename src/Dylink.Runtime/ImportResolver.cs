using Dylink.Format;
using Dylink.Linking;
using Wasmtime;
using Import = Dylink.Format.Import;

namespace Dylink.Runtime;

/// <summary>Turning each planned binding into the Wasmtime object the import array needs.</summary>
/// <summary>
/// The objects one load's imports are bound to (<see cref="ImportBinding"/> by kind): the program's memory, table and
/// stack pointer, the module's bases, provider exports or forwarding thunks, GOT entries (shared by every importer of
/// the same target, created with their value once the bases are known), tags, weak stubs and host functions. Remembers
/// the shared GOT entries it created, so a failed load can take them back.
/// </summary>
internal sealed class ImportResolver(LinkPlan plan, ProgramState state, Engine engine, Store store, ModuleCache cache,
    Linker hostModules, IReadOnlyDictionary<string, Function> hostFunctions, Func<ModuleRecord, string, Function?> moduleFunction,
    Action<string>? trace, Func<ModuleRecord, LazyFunctionBinding, uint, Function>? lazyResolver)
{
    // Forwarding slots of lazily bound imports, given in the order modules are instantiated (after the plan's forwarders).
    private readonly List<uint> _lazySlots = [];
    private readonly List<(Global Global, Func<long> Value)> _pendingGot = [];
    private readonly List<(Dictionary<string, Global> Owner, string Key)> _gotCreated = [];
    private bool _basesKnown;

    /// <summary>The first forwarding slot of this load.</summary>
    public uint ForwardBase { get; set; }

    /// <summary>The absolute table index of one of the plan's slots (set once the table block is placed).</summary>
    public required Func<FunctionSlot, uint> SlotIndex { get; init; }

    /// <summary>The call tables a module was compiled with (null: its calls are not rewritten).</summary>
    public required Func<PlannedModule, CallTableModule?> CallTablesOf { get; init; }

    /// <summary>Sets the GOT entries created before the bases were known (a non-PIE main's); later ones get their value at once.</summary>
    public void FillGot()
    {
        _basesKnown = true;
        foreach (var (global, value) in _pendingGot)
        {
            SetAddress(global, value());
        }
    }

    /// <summary>Forgets the shared GOT entries this load created and empties its lazy slots (a failed load).</summary>
    public void Rollback()
    {
        foreach (var slot in _lazySlots)
        {
            state.Forwarding!.SetElement(slot, null);
        }

        foreach (var (owner, key) in _gotCreated)
        {
            owner.Remove(key);
        }
    }

    /// <summary>The import objects of <paramref name="m"/>, in import order.</summary>
    public object[] Imports(PlannedModule m)
    {
        var thunked = ThroughThunks(m);
        var thunks = Thunks(m, thunked);
        var imports = new object[m.Imports.Length];
        for (var i = 0; i < imports.Length; i++)
        {
            imports[i] = Resolve(m, m.Imports[i], thunked, thunks);
        }

        return imports;
    }

    /// <summary>A global holding an address: i64 in a wasm64 program (the planner checked every import agrees).</summary>
    public Global AddressGlobal(long value, Mutability mutability) =>
        plan.Memory.Is64
            ? new Global(store, ValueKind.Int64, value, mutability)
            : new Global(store, ValueKind.Int32, (int)value, mutability);

    private static void SetAddress(Global global, long value)
    {
        if (global.Kind == ValueKind.Int64)
        {
            global.SetValue(value);
        }
        else
        {
            global.SetValue((int)value);
        }
    }

    private Function ProviderFunction(int provider, string export) =>
        state.Modules[provider].Instance!.GetFunction(export)
        ?? throw new LoadException(plan.Modules[provider].Name, $"{plan.Modules[provider].Name}: export {export} is not a function");

    // The imports a module calls through its thunk module, in import order: lazily bound ones (whose forwarding slot
    // holds the lazy resolver until the first call binds it), and forwarded ones, unless only their calls refer to
    // them and those go through the module's call table (written when the provider exists).
    private List<ImportBinding> ThroughThunks(PlannedModule m)
    {
        var calls = CallTablesOf(m);
        return [.. m.Imports.Where(b => b is LazyFunctionBinding
            || (b is FunctionBinding { Forwarder: not null } && calls?.SlotOf(b.Import.Index) is not { OnlyCalled: true }))];
    }

    private Instance? Thunks(PlannedModule m, List<ImportBinding> thunked)
    {
        if (thunked.Count == 0)
        {
            return null;
        }

        var calls = new List<(Format.FuncType Signature, uint Slot)>();
        foreach (var binding in thunked)
        {
            if (binding is FunctionBinding f)
            {
                calls.Add((plan.Forwarders[f.Forwarder!.Value].Signature, ForwardBase + (uint)f.Forwarder!.Value));
                continue;
            }

            var lazy = (LazyFunctionBinding)binding;
            var slot = ForwardBase + (uint)plan.Forwarders.Length + (uint)_lazySlots.Count;
            _lazySlots.Add(slot);
            state.Forwarding!.SetElement(slot, lazyResolver?.Invoke(state.Modules[m.Index], lazy, slot)
                ?? throw new LoadException(m.Name, $"{m.Name}: {lazy.Import.Name}: lazy binding is not available for this load"));
            calls.Add((lazy.Signature, slot));
        }

        var bytes = ThunkModule.Build([.. calls]);
        return new Instance(store, cache.Get(engine, m.Name + ".thunks", bytes), state.Forwarding!);
    }

    private object Resolve(PlannedModule m, ImportBinding binding, List<ImportBinding> thunked, Instance? thunks)
    {
        var import = binding.Import;
        trace?.Invoke($"{m.Name}: {import.Module}.{import.Name} <- {Describe(binding)}");
        switch (binding)
        {
            case MemoryBinding:
                return state.Memory ?? throw new LoadException(m.Name, $"{m.Name}: imports env.memory but the program has no memory yet");
            case TableBinding:
                return state.Table;
            case StackPointerBinding:
                return state.StackPointer;
            case MemoryBaseBinding:
                return AddressGlobal(state.Modules[m.Index].MemoryBase, Mutability.Immutable);
            case TableBaseBinding:
                return AddressGlobal(state.Modules[m.Index].TableBase, Mutability.Immutable);
            case FunctionBinding { Forwarder: null } f:
                return ProviderFunction(f.Provider, f.ExportName);
            case FunctionBinding or LazyFunctionBinding when thunked.IndexOf(binding) is var thunk && thunk >= 0:
                return thunks!.GetFunction(ThunkModule.ExportName(thunk))!;
            case FunctionBinding f:
                return NotYetBound(m, import, plan.Modules[f.Provider].Name);
            case GlobalBinding g:
                return state.Modules[g.Provider].Instance!.GetGlobal(g.ExportName)!;
            case DataAddressBinding d:
                return Got(import, state.Modules[d.Provider].GotEntries, $"mem {d.ExportName}", () => d.IsTls ? state.Modules[d.Provider].TlsBase + d.Offset : DataAddress(d.Provider, d.Offset));
            case FunctionAddressBinding a:
                return Got(import, state.Modules[plan.Slots[a.Slot].Provider].GotEntries, $"func {plan.Slots[a.Slot].ExportName}", () => SlotIndex(plan.Slots[a.Slot]));
            case LayoutBinding l:
                return Got(import, state.LayoutGot, import.Name, () => l.Value);
            case TagBinding t:
                return TagHolder($"{t.Provider} {t.ExportName}", TagModule.Reexport(t.ExportName, TagType(m, import)), state.Modules[t.Provider].Instance);
            case LoaderTagBinding:
                return LoaderTag(import.Name, TagType(m, import));
            case WeakUndefinedBinding when import.Kind == ExternalKind.Tag:
                // Nobody throws it across modules: a tag of the module's own is as good as any.
                return TagHolder($"weak {m.Index} {import.Name}", TagModule.Define(import.Name, TagType(m, import)), null);
            case WeakUndefinedBinding:
                return WeakUndefined(m, import);
            case HostBinding:
                return HostFunction(m, import);
            default:
                throw new InvalidOperationException($"unhandled binding {binding.GetType().Name}");
        }
    }

    private static FuncType TagType(PlannedModule m, Import import) => m.Module.Types[(int)import.TypeIndex];

    /// <summary>A one-tag instance (see <see cref="TagModule"/>): a definition, or a re-export of <paramref name="provider"/>'s tag.</summary>
    private Instance TagHolder(string key, byte[] bytes, Instance? provider)
    {
        var module = cache.Get(engine, $"tag {key}", bytes);
        if (provider is null)
        {
            return new Instance(store, module);
        }

        using var linker = new Linker(engine);
        linker.DefineInstance(store, TagModule.ImportModule, provider);
        return linker.Instantiate(store, module);
    }

    private Instance LoaderTag(string name, FuncType type)
    {
        if (!state.LoaderTags.TryGetValue(name, out var holder))
        {
            holder = TagHolder($"loader {name}", TagModule.Define(name, type), null);
            state.LoaderTags.Add(name, holder);
        }

        return holder;
    }

    private long DataAddress(int provider, long offset) =>
        plan.Modules[provider].IsRelocatable ? state.Modules[provider].MemoryBase + offset : offset;

    /// <summary>GOT entries are mutable globals shared by every importer of the same name; immutable ones are created with their value.</summary>
    private Global Got(Import import, Dictionary<string, Global> owner, string target, Func<long> value)
    {
        var type = import.Global!;
        if (!type.Mutable)
        {
            return AddressGlobal(value(), Mutability.Immutable);
        }

        if (!owner.TryGetValue(target, out var global))
        {
            // Once the bases are known the entry is created with its value: one call into Wasmtime instead of two.
            global = AddressGlobal(_basesKnown ? value() : 0, Mutability.Mutable);
            owner.Add(target, global);
            _gotCreated.Add((owner, target));
            if (!_basesKnown)
            {
                _pendingGot.Add((global, value));
            }
        }

        return global;
    }

    /// <summary>What a late-bound import called only through the module's call table is bound to: the table's entry holds
    /// it until the provider exists, so only a call made before then (a start function's) reaches it.</summary>
    private Function NotYetBound(PlannedModule m, Import import, string provider)
    {
        var type = m.Module.Types[(int)import.TypeIndex];
        return HostFunctions.Trap(store, m.Name, $"{m.Name}: {import.Name} was called before {provider} was instantiated",
            [.. type.Parameters.Select(HostFunctions.KindOf)], [.. type.Results.Select(HostFunctions.KindOf)]);
    }

    private object WeakUndefined(PlannedModule m, Import import)
    {
        if (import.Kind == ExternalKind.Function)
        {
            var type = m.Module.Types[(int)import.TypeIndex];
            return HostFunctions.Trap(store, m.Name, $"{m.Name}: called weak undefined function {import.Name}",
                [.. type.Parameters.Select(HostFunctions.KindOf)], [.. type.Results.Select(HostFunctions.KindOf)]);
        }

        var global = import.Global!;
        object zero = global.ValueType switch
        {
            Format.ValueType.I64 => 0L,
            Format.ValueType.F32 => 0f,
            Format.ValueType.F64 => 0d,
            _ => 0,
        };
        return new Global(store, HostFunctions.KindOf(global.ValueType), zero, global.Mutable ? Mutability.Mutable : Mutability.Immutable);
    }

    private Function HostFunction(PlannedModule m, Import import)
    {
        var function = import.Module == ModuleSymbols.Env
            ? moduleFunction(state.Modules[m.Index], import.Name) ?? hostFunctions.GetValueOrDefault(import.Name)
            : hostModules.GetFunction(store, import.Module, import.Name);
        return function ?? throw new LoadException(m.Name, $"{m.Name}: the host does not provide {import.Module}.{import.Name}");
    }


    private string Describe(ImportBinding binding) => binding switch
    {
        FunctionBinding { Forwarder: null } f => $"{plan.Modules[f.Provider].Name}:{f.ExportName}",
        FunctionBinding f => $"{plan.Modules[f.Provider].Name}:{f.ExportName} (forwarded)",
        LazyFunctionBinding => "lazy (bound at the first call)",
        GlobalBinding g => $"{plan.Modules[g.Provider].Name}:{g.ExportName}",
        DataAddressBinding d => $"{plan.Modules[d.Provider].Name}:{d.ExportName}+0x{d.Offset:x}",
        FunctionAddressBinding a => $"slot of {plan.Modules[plan.Slots[a.Slot].Provider].Name}:{plan.Slots[a.Slot].ExportName}",
        LayoutBinding l => $"loader layout 0x{l.Value:x}",
        WeakUndefinedBinding => "weak undefined",
        TagBinding t => $"{plan.Modules[t.Provider].Name}:{t.ExportName} (tag)",
        LoaderTagBinding => "loader tag",
        HostBinding => "host",
        _ => binding.GetType().Name.Replace("Binding", "", StringComparison.Ordinal).ToLowerInvariant(),
    };
}
