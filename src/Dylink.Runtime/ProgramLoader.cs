using Dylink.Format;
using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// Executes a <see cref="LinkPlan"/> in one Store: creates or adopts memory, table and stack pointer, places the
/// libraries' data and table blocks, instantiates every module from an explicit import array, fills the GOT and the
/// table, then runs relocations and constructors, dependencies first.
/// </summary>
/// <remarks><paramref name="moduleFunction"/> supplies host functions that must know which module imports them
/// (<c>__cxa_atexit</c>: a library's destructors belong to that library); null means "use the shared one".</remarks>
internal sealed partial class ProgramLoader(LinkPlan plan, ProgramState state, Engine engine, Store store, Linker hostModules,
    IReadOnlyDictionary<string, Function> hostFunctions, Func<int, string, Function?> moduleFunction, ModuleCache cache, Action<string>? trace, Action<CompileProgress>? progress = null)
{
    private readonly Dictionary<int, Module> _compiled = [];
    private readonly List<(Global Global, Func<long> Value)> _pendingGot = [];
    private readonly List<(Table Table, uint Slot)> _slotsSet = [];
    private readonly List<string> _gotCreated = [];
    // Slots and forwarders grouped by provider once, so publishing each module's functions does not scan them all
    // (that made a load quadratic in the number of modules).
    private readonly Lazy<ILookup<int, int>> _blockSlotsByProvider = new(() => Enumerable.Range(0, plan.Slots.Length)
        .Where(s => plan.Slots[s].Location == SlotLocation.Block).ToLookup(s => plan.Slots[s].Provider));
    private readonly Lazy<ILookup<int, int>> _forwardersByProvider = new(() => Enumerable.Range(0, plan.Forwarders.Length)
        .ToLookup(f => plan.Forwarders[f].Provider));
    private uint _tableBlockBase;
    private uint _blockBase;
    private int _block = -1;
    private uint _forwardBase;
    private bool _basesKnown;

    private Memory Memory => state.Memory;

    private Table Table => state.Table;

    public uint SlotIndex(FunctionSlot slot) => slot.Location switch
    {
        SlotLocation.Block => _tableBlockBase + plan.SlotBlockOffset + slot.Offset,
        SlotLocation.ProviderTable => state.TableBases[slot.Provider] + slot.Offset,
        _ => slot.Offset,
    };

    /// <summary>The absolute table index of each of the plan's slots (valid after <see cref="Execute"/>).</summary>
    public IReadOnlyList<uint> SlotIndices => [.. plan.Slots.Select(SlotIndex)];

    public void Execute()
    {
        state.EnsureModules(plan.Modules.Length);
        var modules = plan.NewModules.ToList();
        var compiled = cache.CompileAll(engine, modules, progress);
        for (var i = 0; i < modules.Count; i++)
        {
            _compiled[modules[i].Index] = compiled[i];
        }

        GrowForwarding();
        if (plan.Root is null)
        {
            StartProgram();
            LoadModules();
            return;
        }

        // A dlopen: whatever step fails, the program is left as it was.
        try
        {
            PlaceTableBlock();
            PlaceMemoryBlock();
            LoadModules();
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
            state.Memory = new Memory(store, plan.Memory.InitialPages, (long?)plan.Memory.MaximumPages, plan.Memory.Is64);
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
            state.StackPointer = AddressGlobal(plan.Memory.StackPointer!.Value, Mutability.Mutable);
        }

        PlaceMemoryBlock();
    }

    private void LoadModules()
    {
        ComputeBases();
        FillGot();
        foreach (var index in plan.InstantiationOrder.Where(i => state.Instances[i] is null))
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

        RunInitializers();
    }

    private void GrowForwarding()
    {
        if (plan.Forwarders.Length == 0)
        {
            return;
        }

        if (state.Forwarding is null)
        {
            state.Forwarding = new Table(store, TableKind.FuncRef, null, (uint)plan.Forwarders.Length);
            _forwardBase = 0;
        }
        else
        {
            _forwardBase = (uint)state.Forwarding.Grow((uint)plan.Forwarders.Length, null);
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

    /// <summary>Undoes a failed <c>dlopen</c>: its slots are emptied and its table and memory blocks given back. Instances
    /// made so far stay in the store (Wasmtime frees instances only with their store) but nothing refers to them.</summary>
    private void Rollback()
    {
        foreach (var (table, slot) in _slotsSet)
        {
            table.SetElement(slot, null);
        }

        if (plan.TableBlockSize > 0 && _tableBlockBase != 0)
        {
            state.FreeSlots.Free(_tableBlockBase, plan.TableBlockSize);
        }

        if (_block >= 0)
        {
            state.Blocks[_block].LiveModules = 0;
            state.ReleaseBlock(_block, plan.Main is { } main ? state.Instances[main.Index]?.GetFunction("free") : null);
        }

        foreach (var key in _gotCreated)
        {
            state.Got.Remove(key);
        }

        foreach (var m in plan.NewModules)
        {
            state.Instances[m.Index] = null;
        }
    }

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
        var instance = state.Instances[main]!;
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
                (address, freeAddress) = Allocate(layout, (int)size, (int)align);
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
        state.Blocks.Add(new MemoryBlock(address, size, placement) { FreeAddress = freeAddress });
        _block = state.Blocks.Count - 1;
    }

    private (long Address, long FreeAddress) Allocate(MemoryLayout layout, int size, int align)
    {
        var main = plan.Main!;
        var allocator = state.Instances[main.Index]!.GetFunction(layout.Allocator!)!;
        var raw = layout.Allocator == "malloc" ? Call(allocator, main.Name, size + align - 1) : Call(allocator, main.Name, align, size);
        if (raw == 0)
        {
            throw new LoadException(main.Name, $"{main.Name}: {layout.Allocator} could not allocate {size} bytes for the libraries");
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
            throw new LoadException(owner, $"{owner}: allocating the libraries' memory failed: {e.Message}", e);
        }
    }

    private void ComputeBases()
    {
        foreach (var m in plan.NewModules)
        {
            if (m.IsRelocatable)
            {
                state.MemoryBases[m.Index] = _blockBase + m.MemoryOffset;
                state.TableBases[m.Index] = _tableBlockBase + m.TableOffset;
                trace?.Invoke($"{m.Name}: memory base 0x{state.MemoryBases[m.Index]:x} ({m.MemorySize} bytes), table base {state.TableBases[m.Index]} ({m.TableSize} slots)");
            }

            if (m.TlsOffset is { } tls)
            {
                state.TlsBases[m.Index] = _blockBase + tls;
            }

            if (_block >= 0)
            {
                state.BlockOf[m.Index] = _block;
                state.Blocks[_block].LiveModules++;
            }
        }
    }

    /// <summary>Sets the GOT entries created before the bases were known (a non-PIE main's); later ones get their value at once.</summary>
    private void FillGot()
    {
        _basesKnown = true;
        foreach (var (global, value) in _pendingGot)
        {
            SetAddress(global, value());
        }
    }

    /// <summary>The program's table: 32-bit from the .NET API, 64-bit (table64) from a generated module.</summary>
    private Table NewTable(uint initial) =>
        plan.Memory.Table64
            ? new Instance(store, cache.Get(engine, "table64", ThunkModule.Table64(initial)), []).GetTable(ThunkModule.Table64Export)!
            : new Table(store, TableKind.FuncRef, null, initial);

    /// <summary>A global holding an address: i64 in a wasm64 program (the planner checked every import agrees).</summary>
    private Global AddressGlobal(long value, Mutability mutability) =>
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

    private void Instantiate(int index)
    {
        var m = plan.Modules[index];
        var thunks = Thunks(m);
        var imports = new object[m.Imports.Length];
        for (var i = 0; i < imports.Length; i++)
        {
            imports[i] = Resolve(m, m.Imports[i], thunks);
        }

        try
        {
            state.Instances[index] = m.Imports.Any(b => b.Import.Kind == ExternalKind.Tag)
                ? InstantiateWithTags(m, imports)
                : new Instance(store, _compiled[index], imports);
        }
        catch (WasmtimeException e)
        {
            throw new LoadException(m.Name, $"{m.Name}: instantiation failed: {e.Message}", e);
        }

        trace?.Invoke($"instantiated {m.Name}");
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
        foreach (var s in _blockSlotsByProvider.Value[index])
        {
            var slot = plan.Slots[s];
            SetSlot(Table, SlotIndex(slot), ProviderFunction(slot.Provider, slot.ExportName));
        }

        foreach (var f in _forwardersByProvider.Value[index])
        {
            PublishForwarder(f);
        }
    }

    private void PublishForwarder(int f)
    {
        var (provider, export) = (plan.Forwarders[f].Provider, plan.Forwarders[f].ExportName);
        var slot = _forwardBase + (uint)f;
        SetSlot(state.Forwarding!, slot, ProviderFunction(provider, export));
        if (!state.ForwardSlots.TryGetValue((provider, export), out var slots))
        {
            state.ForwardSlots[(provider, export)] = slots = [];
        }

        slots.Add(slot);
    }

    private Function ProviderFunction(int provider, string export) =>
        state.Instances[provider]!.GetFunction(export)
        ?? throw new LoadException(plan.Modules[provider].Name, $"{plan.Modules[provider].Name}: export {export} is not a function");

    private void RunInitializers()
    {
        // One thread: each module's TLS block is initialised once, in place (this also applies its TLS relocations).
        foreach (var m in plan.NewModules.Where(m => m.TlsOffset is not null))
        {
            CallIfExported(m.Index, WellKnownSymbols.InitTls, "TLS initialisation", state.TlsBases[m.Index]);
        }

        foreach (var index in plan.ConstructorOrder)
        {
            CallIfExported(index, WellKnownSymbols.ApplyDataRelocs, "data relocations");
        }

        foreach (var index in plan.ConstructorOrder)
        {
            if (plan.Modules[index].IsMain && plan.MainRunsOwnConstructors)
            {
                continue;
            }

            var name = plan.Modules[index].Name;
            var exports = plan.Modules[index].Module.Exports;
            var hasCtors = exports.Any(e => e.Name == WellKnownSymbols.CallCtors);
            if (hasCtors && exports.Any(e => e.Name == WellKnownSymbols.Initialize))
            {
                throw new LoadException(name, $"{name}: exports both __wasm_call_ctors and _initialize; a module may have only one initialiser");
            }

            CallIfExported(index, hasCtors ? WellKnownSymbols.CallCtors : WellKnownSymbols.Initialize, "constructor");
        }
    }

    private void CallIfExported(int index, string export, string what, params long[] args)
    {
        var name = plan.Modules[index].Name;
        if (state.Instances[index]!.GetFunction(export) is not { } function)
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
            throw new LoadException(name, $"{name}: {what} ({export}) failed: {e.Message}", e);
        }
    }
}
