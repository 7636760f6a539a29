using Dylink.Format;
using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// One load, start-up or <c>dlopen</c>, executed in the order every load follows: <see cref="Prepare"/> (compile,
/// place the table and memory blocks, instantiate, publish functions into their slots, TLS and data relocations),
/// then the caller commits the load to the scope, then <see cref="Construct"/> runs the constructors, dependencies
/// first. Whatever fails during <see cref="Prepare"/> is undone here, in one place (<see cref="Rollback"/>): slots
/// emptied, blocks and GOT entries given back, the new modules' records dropped. A failure in a constructor comes
/// after the commit: the caller unloads the new modules as <c>dlclose</c> would.
/// </summary>
internal sealed class LoadTransaction(LinkPlan plan, ProgramState state, Engine engine, Store store, Linker hostModules,
    IReadOnlyDictionary<string, Function> hostFunctions, Func<ModuleRecord, string, Function?> moduleFunction, ModuleCache cache,
    Action<string>? trace, Action<CompileProgress>? progress, Func<ModuleRecord, LazyFunctionBinding, uint, Function>? lazyResolver = null)
{
    private readonly Dictionary<int, Module> _compiled = [];
    private readonly List<(Table Table, uint Slot)> _slotsSet = [];
    private readonly List<(List<CallSite> Callers, CallSite Site)> _callersAdded = [];
    // Call table entries bound to each forwarder, written when the forwarder's provider publishes the function.
    private readonly Dictionary<int, List<CallTableEntry>> _forwardedEntries = [];
    private readonly Dictionary<int, Function> _published = [];
    private readonly Dictionary<int, CallTableModule?> _callTables = [];
    // Slots and forwarders grouped by provider once, so publishing each module's functions does not scan them all
    // (that made a load quadratic in the number of modules).
    private readonly ILookup<int, int> _blockSlotsByProvider = Enumerable.Range(0, plan.Slots.Length)
        .Where(s => plan.Slots[s].Location == SlotLocation.Block).ToLookup(s => plan.Slots[s].Provider);
    private readonly ILookup<int, int> _forwardersByProvider = Enumerable.Range(0, plan.Forwarders.Length).ToLookup(f => plan.Forwarders[f].Provider);
    private ImportResolver? _importResolver;
    private uint _tableBlockBase;
    private uint _blockBase;
    private MemoryBlock? _block;
    private bool _tableBlockPlaced;

    // Made on first use: it needs SlotIndex, which reads this transaction's table block.
    private ImportResolver Imports => _importResolver ??= new ImportResolver(plan, state, engine, store, cache, hostModules, hostFunctions, moduleFunction, trace, lazyResolver)
    {
        SlotIndex = SlotIndex,
        CallTablesOf = CallTablesOf,
    };

    /// <summary>The call tables <paramref name="m"/> was compiled with: none when they are off, when it calls no import,
    /// or when the engine refused its rewritten form (<see cref="ModuleCache.Compile"/> then compiled it as it is).</summary>
    private CallTableModule? CallTablesOf(PlannedModule m)
    {
        if (!_callTables.TryGetValue(m.Index, out var calls))
        {
            calls = CallTables && ModuleCache.FormOf(m, rewriteCalls: true).Calls is { } rewritten
                && _compiled[m.Index].Exports.Any(e => e.Name == rewritten.Slots[0].Setter) ? rewritten : null;
            _callTables[m.Index] = calls;
        }

        return calls;
    }

    /// <summary>Rewrite each module's calls of <c>env</c> imports through its call tables (<see cref="DynamicLinkerOptions.CallTables"/>).</summary>
    public bool CallTables { get; init; } = true;

    /// <summary>Where <c>DYLINK_DEBUG=timing</c> records this load's compile and instantiate times, if on.</summary>
    public StepTimer? Timer { get; init; }

    /// <summary>The records of the modules this load adds.</summary>
    public IEnumerable<ModuleRecord> NewModules => plan.NewModules.Select(m => state.Modules[m.Index]);

    private Memory Memory => state.Memory;

    private Table Table => state.Table;

    public uint SlotIndex(FunctionSlot slot) => slot.Location switch
    {
        SlotLocation.Block => _tableBlockBase + plan.SlotBlockOffset + slot.Offset,
        SlotLocation.ProviderTable => state.Modules[slot.Provider].TableBase + slot.Offset,
        _ => slot.Offset,
    };

    /// <summary>The absolute table index of each of the plan's slots (valid after <see cref="Prepare"/>).</summary>
    public IReadOnlyList<uint> SlotIndices => [.. plan.Slots.Select(SlotIndex)];

    /// <summary>Everything up to the commit: the new modules end <see cref="ModuleState.Relocated"/>. On failure nothing
    /// of the load remains (a start-up load leaves a program the caller discards).</summary>
    public void Prepare()
    {
        state.AddRecords(plan);
        try
        {
            var modules = plan.NewModules.ToList();
            var compiled = cache.CompileAll(engine, modules, progress, CallTables);
            for (var i = 0; i < modules.Count; i++)
            {
                _compiled[modules[i].Index] = compiled[i];
            }

            Timer?.Lap("compile");

            GrowForwarding();
            if (plan.Root is null)
            {
                StartProgram();
            }
            else
            {
                PlaceTableBlock();
                PlaceMemoryBlock();
            }

            LoadModules();
            Timer?.Lap("instantiate");
        }
        catch
        {
            Rollback();
            throw;
        }
    }

    /// <summary>Start-up: create or adopt memory, table and stack pointer, then place the first blocks.</summary>
    private void StartProgram()
    {
        if (plan.Memory.CreatesMemory)
        {
            state.Memory = Create("memory", () => new Memory(store, plan.Memory.InitialPages, (long?)plan.Memory.MaximumPages, plan.Memory.Is64));
        }

        if (plan.Kind == MainKind.Fixed)
        {
            var main = plan.InstantiationOrder[0];
            AdoptMainTableBase(main);
            Instantiate(main);
            AdoptMainExports(main);
            PublishFunctions(main);
        }
        else
        {
            state.Table = NewTable(1 + plan.TableBlockSize);
            _tableBlockBase = 1; // slot 0 stays null, so a null function pointer never calls anything
            state.StackPointer = Imports.AddressGlobal(plan.Memory.StackPointer!.Value, Mutability.Mutable);
        }

        PlaceMemoryBlock();
    }

    private void LoadModules()
    {
        ComputeBases();
        Imports.FillGot();
        foreach (var index in plan.InstantiationOrder.Where(i => !state.Modules[i].HasInstance))
        {
            Instantiate(index);
            PublishFunctions(index);
        }

        // Functions of modules loaded earlier that got their first slot, or a forwarder, in this plan.
        foreach (var slot in plan.Slots.Where(s => s.Provider < plan.FirstNewModule && s.Location == SlotLocation.Block))
        {
            SetSlot(Table, SlotIndex(slot), ProviderFunction(slot.Provider, slot.ExportName));
        }

        for (var f = 0; f < plan.Forwarders.Length; f++)
        {
            if (plan.Forwarders[f].Provider < plan.FirstNewModule)
            {
                PublishForwarder(f);
            }
        }

        Relocate();
    }

    // One forwarding slot per forwarder of the plan, then one per lazily bound import of its new modules.
    private void GrowForwarding()
    {
        var lazy = (uint)plan.NewModules.Sum(m => m.Imports.Count(b => b is LazyFunctionBinding));
        var count = (uint)plan.Forwarders.Length + lazy;
        if (count == 0)
        {
            return;
        }

        if (state.Forwarding is null)
        {
            state.Forwarding = Create("forwarding table", () => new Table(store, TableKind.FuncRef, null, count));
            Imports.ForwardBase = 0;
        }
        else
        {
            Imports.ForwardBase = (uint)state.Forwarding.Grow(count, null);
        }
    }

    /// <summary>A <c>dlopen</c>'s table block: a range freed by an unload if one fits, else the table grows once.</summary>
    private void PlaceTableBlock()
    {
        if (plan.TableBlockSize == 0)
        {
            return;
        }

        _tableBlockBase = state.FreeSlots.Take(plan.TableBlockSize, 1) ?? GrowTable();
        _tableBlockPlaced = true;
    }

    private uint GrowTable()
    {
        try
        {
            return (uint)Table.Grow(plan.TableBlockSize, null);
        }
        catch (WasmtimeException e)
        {
            var owner = plan.Modules[plan.Root ?? 0].Name;
            throw new LoadException(owner, $"{owner}: the function table cannot grow by {plan.TableBlockSize} slots", e);
        }
    }

    /// <summary>Undoes a failed load: its slots are emptied, its table and memory blocks and the GOT entries it created
    /// given back, and the new modules' records dropped (nothing refers to them: they were never committed). Instances
    /// made so far stay in the store (Wasmtime frees instances only with their store) but nothing refers to them.</summary>
    private void Rollback()
    {
        foreach (var (table, slot) in _slotsSet)
        {
            table.SetElement(slot, null);
        }

        if (_tableBlockPlaced)
        {
            state.FreeSlots.Free(_tableBlockBase, plan.TableBlockSize);
        }

        if (_block is not null && plan.Root is not null)
        {
            _block.LiveModules = 0;
            state.ReleaseBlock(_block, MainFree());
        }

        foreach (var (callers, site) in _callersAdded)
        {
            callers.Remove(site);
        }

        Imports.Rollback();
        state.DropRecords(plan.FirstNewModule);
    }

    private Function? MainFree() => plan.Main is { } main ? state.Modules[main.Index].Instance?.GetFunction("free") : null;

    private void SetSlot(Table table, uint slot, Function function)
    {
        table.SetElement(slot, function);
        _slotsSet.Add((table, slot));
    }

    private void AdoptMainTableBase(int main)
    {
        var module = plan.Modules[main].Module;
        _tableBlockBase = module.Tables.Length > 0 ? (uint)module.Tables[0].Limits.Minimum : 1;
        if (module.Tables.Length == 0)
        {
            state.Table = NewTable(1 + plan.TableBlockSize);
        }
    }

    /// <summary>A non-PIE main owns memory, table and stack pointer: take them from its exports.</summary>
    private void AdoptMainExports(int main)
    {
        var name = plan.Modules[main].Name;
        var instance = state.Modules[main].Instance!;
        var module = plan.Modules[main].Module;
        if (!plan.Memory.CreatesMemory)
        {
            var memoryExport = module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Memory);
            state.Memory = memoryExport is null ? Memory : instance.GetMemory(memoryExport.Name)!;
        }

        if (module.Tables.Length > 0 && module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Table) is { } tableExport)
        {
            state.Table = instance.GetTable(tableExport.Name)!;
            if (plan.TableBlockSize > 0)
            {
                Grow(Table, name);
            }
        }

        state.StackPointer = instance.GetGlobal(WellKnownSymbols.StackPointer) ?? new Global(store, ValueKind.Int32, 0, Mutability.Mutable);
    }

    private void Grow(Table table, string owner)
    {
        try
        {
            var old = (uint)table.Grow(plan.TableBlockSize, null);
            if (old != _tableBlockBase)
            {
                throw new LoadException(owner, $"{owner}: its function table has {old} slots before the libraries' block, expected {_tableBlockBase}");
            }
        }
        catch (WasmtimeException e)
        {
            throw new LoadException(owner, $"{owner}: its function table cannot grow by {plan.TableBlockSize} slots (link it with --growable-table)", e);
        }
    }

    private void PlaceMemoryBlock()
    {
        var layout = plan.Memory;
        var size = layout.BlockSize;
        var align = layout.BlockAlignment;
        long address;
        long freeAddress;
        switch (layout.Placement)
        {
            case MemoryPlacement.Fixed:
                _blockBase = layout.FixedBase ?? 0;
                RecordBlock(_blockBase, _blockBase, size, layout.Placement);
                return;
            case var _ when size == 0:
                _blockBase = 0;
                return;
            case MemoryPlacement.LoaderHeap:
                address = freeAddress = GrowMemory(size, align);
                break;
            default:
                (address, freeAddress) = Allocate(layout, size, align);
                break;
        }

        // Libraries' regions must start zeroed (they hold .bss); reused memory may hold anything.
        Memory.GetSpan(address, (int)size).Clear();
        _blockBase = (uint)address;
        RecordBlock(_blockBase, (uint)freeAddress, size, layout.Placement);
        trace?.Invoke($"memory block: {size} bytes at 0x{address:x} ({layout.Placement})");
    }

    private void RecordBlock(uint address, uint freeAddress, uint size, MemoryPlacement placement)
    {
        _block = new MemoryBlock(address, size, placement) { FreeAddress = freeAddress };
    }

    private (long Address, long FreeAddress) Allocate(MemoryLayout layout, uint size, uint align)
    {
        var main = plan.Main!;
        var what = align > 1 ? $"{size} bytes aligned to {align}" : $"{size} bytes";

        // malloc is given room to align in; aligned_alloc/memalign the alignment. Either must fit the allocator's
        // parameters (i32 in a wasm32 program): a request that does not is refused here, naming the real cause.
        var request = layout.Allocator == "malloc" ? (long)size + align - 1 : Math.Max(size, align);
        if (!plan.Memory.Is64 && request > int.MaxValue)
        {
            throw new LoadException(main.Name, $"{main.Name}: cannot allocate {what} for the libraries: more than a wasm32 allocator can be asked for");
        }

        var allocator = state.Modules[main.Index].Instance!.GetFunction(layout.Allocator!)!;
        var raw = layout.Allocator == "malloc" ? Call(allocator, main.Name, request) : Call(allocator, main.Name, align, size);
        if (raw == 0)
        {
            throw new LoadException(main.Name, $"{main.Name}: {layout.Allocator} could not allocate {what} for the libraries");
        }

        return (AlignUp(raw, align), raw);
    }

    /// <summary>The loader's heap: freed ranges, or the end of a memory the loader owns, grown as needed.</summary>
    private uint GrowMemory(uint size, uint align)
    {
        try
        {
            return state.AllocateHeap(size, align);
        }
        catch (WasmtimeException e)
        {
            var owner = plan.Modules[plan.Root ?? 0].Name;
            throw new LoadException(owner, $"{owner}: memory cannot grow for the library's {size} bytes", e);
        }
    }
    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

    private static long Call(Function f, string owner, params long[] args)
    {
        try
        {
            return Convert.ToInt64(f.Invoke(HostFunctions.IntegerArguments(f, args)), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (WasmtimeException e)
        {
            StoreGate.ThrowIfStopped(e, $"{owner}: allocating the libraries' memory");
            throw new LoadException(owner, $"{owner}: allocating the libraries' memory failed: {e.Message}", e);
        }
    }

    private void ComputeBases()
    {
        foreach (var m in plan.NewModules)
        {
            var record = state.Modules[m.Index];
            if (m.IsRelocatable)
            {
                record.MemoryBase = _blockBase + m.MemoryOffset;
                record.TableBase = _tableBlockBase + m.TableOffset;
                trace?.Invoke($"{m.Name}: memory base 0x{record.MemoryBase:x} ({m.MemorySize} bytes), table base {record.TableBase} ({m.TableSize} slots)");
            }

            if (m.TlsOffset is { } tls)
            {
                record.TlsBase = _blockBase + tls;
            }

            if (_block is not null)
            {
                record.Block = _block;
                _block.LiveModules++;
            }
        }
    }

    /// <summary>The program's table: 32-bit from the .NET API, 64-bit (table64) from a generated module.</summary>
    private Table NewTable(uint initial) => Create("function table", () =>
        plan.Memory.Table64
            ? new Instance(store, cache.Get(engine, "table64", ThunkModule.Table64(initial)), []).GetTable(ThunkModule.Table64Export)!
            : new Table(store, TableKind.FuncRef, null, initial));

    /// <summary>Creates one of the program's own objects (memory, tables); the store's limits (<c>--max-memory</c>,
    /// <c>--max-table</c>) refuse it with a load failure that names the program, not an engine error.</summary>
    private T Create<T>(string what, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (WasmtimeException e)
        {
            var owner = plan.Root is { } root ? plan.Modules[root].Name : plan.Main?.Name ?? "program";
            throw new LoadException(owner, $"{owner}: the {what} cannot be created: {e.Message}", e);
        }
    }

    private void Instantiate(int index)
    {
        var m = plan.Modules[index];
        var imports = Imports.Imports(m);
        try
        {
            state.Modules[index].Instance = m.Imports.Any(b => b.Import.Kind == ExternalKind.Tag)
                ? InstantiateWithTags(m, imports)
                : new Instance(store, _compiled[index], imports);
        }
        catch (WasmtimeException e)
        {
            StoreGate.ThrowIfStopped(e, $"{m.Name}: instantiation (start function)");
            throw new LoadException(m.Name, $"{m.Name}: instantiation failed: {e.Message}", e);
        }

        state.Modules[index].State = ModuleState.Instantiated;
        trace?.Invoke($"instantiated {m.Name}");
        BindCallEntries(m);
    }

    /// <summary>
    /// Records the entries of a new module's call tables (each holds its import until written): an import bound directly
    /// is a caller of its provider's function (reached by a rebind, and bound to the replacement at once if the function
    /// is rebound already); a forwarded one is written when its provider publishes the function; a lazy one at its first
    /// call (<c>DynamicLinker.LazyResolver</c>).
    /// </summary>
    private void BindCallEntries(PlannedModule m)
    {
        if (CallTablesOf(m) is not { } calls)
        {
            return;
        }

        var record = state.Modules[m.Index];
        var setters = new Dictionary<string, Function>(StringComparer.Ordinal);
        foreach (var binding in m.Imports)
        {
            if (binding.Import.Kind != ExternalKind.Function || calls.SlotOf(binding.Import.Index) is not { } slot)
            {
                continue;
            }

            if (!setters.TryGetValue(slot.Setter, out var setter))
            {
                setters[slot.Setter] = setter = record.Instance!.GetFunction(slot.Setter)!;
            }

            var entry = new CallTableEntry(record, setter, slot.Index);
            record.CallEntries[binding.Import.Index] = entry;
            switch (binding)
            {
                case FunctionBinding { Forwarder: null } f when state.Modules[f.Provider].HasInstance:
                    AddCaller(f.Provider, f.ExportName, entry);
                    if (state.Modules[f.Provider].Rebound.TryGetValue(f.ExportName, out var rebinding))
                    {
                        entry.Write(rebinding.Current);
                    }

                    break;
                case FunctionBinding { Forwarder: { } forwarder } f:
                    if (!_forwardedEntries.TryGetValue(forwarder, out var entries))
                    {
                        _forwardedEntries[forwarder] = entries = [];
                    }

                    entries.Add(entry);
                    if (_published.TryGetValue(forwarder, out var target))
                    {
                        entry.Write(target);
                        AddCaller(f.Provider, f.ExportName, entry);
                    }

                    break;
            }
        }
    }

    private void AddCaller(int provider, string export, CallSite site)
    {
        var callers = state.Modules[provider].Callers;
        if (!callers.TryGetValue(export, out var sites))
        {
            callers[export] = sites = [];
        }

        // Entries of unloaded callers go as new ones come, so that libraries opened and closed again and again do not
        // grow their providers' lists (and every rebind of them).
        sites.RemoveAll(s => s.IsStale);
        sites.Add(site);
        _callersAdded.Add((sites, site));
    }

    /// <summary>
    /// Instantiates a module that imports tags through a Wasmtime <see cref="Linker"/>, the only way a tag reaches an
    /// import: each tag comes from a one-tag instance defined under the import's module name, then every other import
    /// is defined explicitly on top (shadowing whatever else those instances export).
    /// </summary>
    private Instance InstantiateWithTags(PlannedModule m, object[] imports)
    {
        using var linker = new Linker(engine) { AllowShadowing = true };
        for (var i = 0; i < imports.Length; i++)
        {
            var import = m.Imports[i].Import;
            switch (imports[i])
            {
                case Instance tagHolder:
                    linker.DefineInstance(store, import.Module, tagHolder);
                    break;
                case Function f:
                    linker.Define(import.Module, import.Name, f);
                    break;
                case Global g:
                    linker.Define(import.Module, import.Name, g);
                    break;
                case Memory memory:
                    linker.Define(import.Module, import.Name, memory);
                    break;
                case Table table:
                    linker.Define(import.Module, import.Name, table);
                    break;
                default:
                    throw new InvalidOperationException($"unhandled import object {imports[i].GetType().Name}");
            }
        }

        return linker.Instantiate(store, _compiled[m.Index]);
    }

    /// <summary>Puts a newly instantiated module's functions into their table and forwarding slots.</summary>
    private void PublishFunctions(int index)
    {
        foreach (var s in _blockSlotsByProvider[index])
        {
            var slot = plan.Slots[s];
            SetSlot(Table, SlotIndex(slot), ProviderFunction(slot.Provider, slot.ExportName));
        }

        foreach (var f in _forwardersByProvider[index])
        {
            PublishForwarder(f);
        }
    }

    private void PublishForwarder(int f)
    {
        var (provider, export) = (plan.Forwarders[f].Provider, plan.Forwarders[f].ExportName);
        var slot = Imports.ForwardBase + (uint)f;
        // A function rebound before this load: its new callers reach the replacement, as its earlier callers do.
        var target = state.Modules[provider].Rebound.TryGetValue(export, out var rebinding) ? rebinding.Current : ProviderFunction(provider, export);
        SetSlot(state.Forwarding!, slot, target);
        AddCaller(provider, export, new ForwardingSlot(state.Forwarding!, slot));

        // Callers whose call tables call this function skip the thunk and its forwarding slot from now on.
        _published[f] = target;
        foreach (var entry in _forwardedEntries.GetValueOrDefault(f) ?? [])
        {
            entry.Write(target);
            AddCaller(provider, export, entry);
        }
    }

    private Function ProviderFunction(int provider, string export) =>
        state.Modules[provider].Instance!.GetFunction(export)
        ?? throw new LoadException(plan.Modules[provider].Name, $"{plan.Modules[provider].Name}: export {export} is not a function");

    /// <summary>TLS blocks, then data relocations: what must be done before any module's code may be called from outside.</summary>
    private void Relocate()
    {
        // One thread: each module's TLS block is initialised once, in place (this also applies its TLS relocations).
        foreach (var m in plan.NewModules.Where(m => m.TlsOffset is not null))
        {
            CallIfExported(m.Index, WellKnownSymbols.InitTls, "TLS initialisation", state.Modules[m.Index].TlsBase);
        }

        foreach (var index in plan.ConstructorOrder)
        {
            CallIfExported(index, WellKnownSymbols.ApplyDataRelocs, "data relocations");
            var name = plan.Modules[index].Name;
            var exports = plan.Modules[index].Module.Exports;
            if (exports.Any(e => e.Name == WellKnownSymbols.CallCtors) && exports.Any(e => e.Name == WellKnownSymbols.Initialize))
            {
                throw new LoadException(name, $"{name}: exports both __wasm_call_ctors and _initialize; a module may have only one initialiser");
            }
        }

        foreach (var record in NewModules)
        {
            record.State = ModuleState.Relocated;
        }
    }

    /// <summary>
    /// Runs the constructors (<c>__wasm_call_ctors</c> or <c>_initialize</c>), dependencies first, after the commit: a
    /// constructor may <c>dlopen</c>, <c>dlsym</c> and <c>dlclose</c>, and sees this load's modules. Each module is
    /// <see cref="ModuleState.Live"/> once its own constructor returned; <paramref name="constructing"/> hears of each
    /// module before its constructor runs (or, for a command main, before <c>_start</c> will run it), and
    /// <paramref name="constructed"/> of each library after (the order destructors run in reverse).
    /// </summary>
    /// <exception cref="LoadException">A constructor trapped; the modules constructed before it are live.</exception>
    public void Construct(Action<ModuleRecord> constructing, Action<ModuleRecord> constructed)
    {
        foreach (var record in NewModules)
        {
            record.State = ModuleState.Constructing;
        }

        foreach (var index in plan.ConstructorOrder)
        {
            var record = state.Modules[index];
            constructing(record);
            if (!(record.Planned.IsMain && plan.MainRunsOwnConstructors))
            {
                var hasCtors = record.Planned.Module.Exports.Any(e => e.Name == WellKnownSymbols.CallCtors);
                CallIfExported(index, hasCtors ? WellKnownSymbols.CallCtors : WellKnownSymbols.Initialize, "constructor");
            }

            record.State = ModuleState.Live;
            if (!record.Planned.IsMain)
            {
                constructed(record);
            }
        }

        foreach (var record in NewModules)
        {
            record.State = ModuleState.Live;
        }
    }

    private void CallIfExported(int index, string export, string what, params long[] args)
    {
        var name = plan.Modules[index].Name;
        if (state.Modules[index].Instance!.GetFunction(export) is not { } function)
        {
            return;
        }

        try
        {
            trace?.Invoke($"{name}: calling {export}");
            function.Invoke(HostFunctions.IntegerArguments(function, args));
        }
        catch (WasmtimeException e)
        {
            StoreGate.ThrowIfStopped(e, $"{name}: {what} ({export})");
            throw new LoadException(name, $"{name}: {what} ({export}) failed: {e.Message}", e);
        }
    }
}
