using Dylink.Format;
using Dylink.Linking;
using Wasmtime;
using Import = Dylink.Format.Import;

namespace Dylink.Runtime;

/// <summary>
/// Executes a <see cref="LinkPlan"/> in one Store: creates or adopts memory, table and stack pointer, places the
/// libraries' data and table blocks, instantiates every module from an explicit import array, fills the GOT and the
/// table, then runs relocations and constructors, dependencies first.
/// </summary>
internal sealed class ProgramLoader(LinkPlan plan, Engine engine, Store store, Linker hostModules,
    IReadOnlyDictionary<string, Function> hostFunctions, Action<string>? trace)
{
    private readonly Instance?[] _instances = new Instance?[plan.Modules.Length];
    private readonly uint[] _memoryBases = new uint[plan.Modules.Length];
    private readonly uint[] _tableBases = new uint[plan.Modules.Length];
    private readonly Dictionary<(string, string), (Global Global, Func<long> Value)> _got = [];
    private Module[] _compiled = [];
    private Table? _forwarding;
    private uint _tableBlockBase;
    private uint _blockBase;
    private bool _basesKnown;

    public Memory Memory { get; private set; } = null!;

    public Table Table { get; private set; } = null!;

    public Global StackPointer { get; private set; } = null!;

    public IReadOnlyList<Instance?> Instances => _instances;

    public IReadOnlyList<uint> MemoryBases => _memoryBases;

    public uint SlotIndex(FunctionSlot slot) => slot.Location switch
    {
        SlotLocation.Block => _tableBlockBase + plan.SlotBlockOffset + slot.Offset,
        SlotLocation.ProviderTable => _tableBases[slot.Provider] + slot.Offset,
        _ => slot.Offset,
    };

    public void Execute()
    {
        _compiled = [.. plan.Modules.Select(Compile)];
        _forwarding = plan.Forwarders.Length > 0 ? new Table(store, TableKind.FuncRef, null, (uint)plan.Forwarders.Length) : null;
        if (plan.Memory.CreatesMemory)
        {
            Memory = new Memory(store, plan.Memory.InitialPages);
        }

        var first = plan.InstantiationOrder[0];
        if (plan.Kind == MainKind.Fixed)
        {
            AdoptMainTableBase(first);
            Instantiate(first);
            AdoptMainExports(first);
            PublishFunctions(first);
        }
        else
        {
            Table = new Table(store, TableKind.FuncRef, null, 1 + plan.TableBlockSize);
            _tableBlockBase = 1; // slot 0 stays null, so a null function pointer never calls anything
            StackPointer = new Global(store, ValueKind.Int32, (int)plan.Memory.StackPointer!.Value, Mutability.Mutable);
        }

        PlaceMemoryBlock();
        ComputeBases();
        FillGot();
        foreach (var index in plan.InstantiationOrder.Where(i => _instances[i] is null))
        {
            Instantiate(index);
            PublishFunctions(index);
        }

        RunInitializers();
    }

    private Module Compile(PlannedModule m)
    {
        try
        {
            var wasi = m.Imports.OfType<HostBinding>().Select(b => b.Import.Module).Where(module => module != ModuleSymbols.Env);
            return MemoryExport.IsNeeded(m.Module, wasi)
                ? Module.FromBytes(engine, m.Name, MemoryExport.Add(m.Module))
                : Module.FromBytes(engine, m.Name, m.Module.Bytes.Span);
        }
        catch (WasmtimeException e)
        {
            throw new LoadException(m.Name, $"{m.Name}: cannot compile: {e.Message}", e);
        }
    }

    private void AdoptMainTableBase(int main)
    {
        var module = plan.Modules[main].Module;
        _tableBlockBase = module.Tables.Length > 0 ? (uint)module.Tables[0].Limits.Minimum : 1;
        if (module.Tables.Length == 0)
        {
            Table = new Table(store, TableKind.FuncRef, null, 1 + plan.TableBlockSize);
        }
    }

    /// <summary>A non-PIE main owns memory, table and stack pointer: take them from its exports.</summary>
    private void AdoptMainExports(int main)
    {
        var name = plan.Modules[main].Name;
        var instance = _instances[main]!;
        var module = plan.Modules[main].Module;
        if (!plan.Memory.CreatesMemory)
        {
            var memoryExport = module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Memory);
            Memory = memoryExport is null ? Memory : instance.GetMemory(memoryExport.Name)!;
        }

        if (module.Tables.Length > 0 && module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Table) is { } tableExport)
        {
            Table = instance.GetTable(tableExport.Name)!;
            if (plan.TableBlockSize > 0)
            {
                Grow(Table, name);
            }
        }

        StackPointer = instance.GetGlobal(WellKnownSymbols.StackPointer) ?? new Global(store, ValueKind.Int32, 0, Mutability.Mutable);
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
        if (layout.Placement == MemoryPlacement.Fixed || layout.BlockSize == 0)
        {
            _blockBase = layout.FixedBase ?? 0;
            return;
        }

        var main = plan.Main!;
        var allocator = _instances[main.Index]!.GetFunction(layout.Allocator!)!;
        var size = (int)layout.BlockSize;
        var align = (int)layout.BlockAlignment;
        long address = layout.Allocator switch
        {
            "malloc" => AlignUp(Call(allocator, main.Name, size + align - 1), align),
            _ => Call(allocator, main.Name, align, size),
        };
        if (address == 0)
        {
            throw new LoadException(main.Name, $"{main.Name}: {layout.Allocator} could not allocate {size} bytes for the libraries");
        }

        // Libraries' regions must start zeroed (they hold .bss); the main's heap may have been used already.
        Memory.GetSpan(address, size).Clear();
        _blockBase = (uint)address;
        trace?.Invoke($"memory block: {size} bytes at 0x{address:x} from {main.Name}'s {layout.Allocator}");
    }

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

    private static long Call(Function f, string owner, params object[] args)
    {
        try
        {
            return Convert.ToInt64(f.Invoke([.. args.Select(a => (ValueBox)(int)a)]), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (WasmtimeException e)
        {
            throw new LoadException(owner, $"{owner}: allocating the libraries' memory failed: {e.Message}", e);
        }
    }

    private void ComputeBases()
    {
        foreach (var m in plan.Modules)
        {
            if (m.IsRelocatable)
            {
                _memoryBases[m.Index] = _blockBase + m.MemoryOffset;
                _tableBases[m.Index] = _tableBlockBase + m.TableOffset;
                trace?.Invoke($"{m.Name}: memory base 0x{_memoryBases[m.Index]:x} ({m.MemorySize} bytes), table base {_tableBases[m.Index]} ({m.TableSize} slots)");
            }
        }
    }

    /// <summary>Sets every GOT entry created before the bases were known (a non-PIE main's); later ones get their value at once.</summary>
    private void FillGot()
    {
        _basesKnown = true;
        foreach (var (global, value) in _got.Values)
        {
            global.SetValue((int)value());
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
            _instances[index] = new Instance(store, _compiled[index], imports);
        }
        catch (WasmtimeException e)
        {
            throw new LoadException(m.Name, $"{m.Name}: instantiation failed: {e.Message}", e);
        }

        trace?.Invoke($"instantiated {m.Name}");
    }

    /// <summary>Puts a newly instantiated module's functions into their table and forwarding slots.</summary>
    private void PublishFunctions(int index)
    {
        foreach (var slot in plan.Slots.Where(s => s.Provider == index && s.Location == SlotLocation.Block))
        {
            Table.SetElement(SlotIndex(slot), ProviderFunction(slot.Provider, slot.ExportName));
        }

        for (var f = 0; f < plan.Forwarders.Length; f++)
        {
            if (plan.Forwarders[f].Provider == index)
            {
                _forwarding!.SetElement((uint)f, ProviderFunction(index, plan.Forwarders[f].ExportName));
            }
        }
    }

    private Function ProviderFunction(int provider, string export) =>
        _instances[provider]!.GetFunction(export)
        ?? throw new LoadException(plan.Modules[provider].Name, $"{plan.Modules[provider].Name}: export {export} is not a function");

    private Instance? Thunks(PlannedModule m)
    {
        var forwarded = m.Imports.OfType<FunctionBinding>().Where(b => b.Forwarder is not null).ToList();
        if (forwarded.Count == 0)
        {
            return null;
        }

        var bytes = ThunkModule.Build([.. forwarded.Select(b => (plan.Forwarders[b.Forwarder!.Value].Signature, (uint)b.Forwarder!.Value))]);
        using var module = Module.FromBytes(engine, m.Name + ".thunks", bytes);
        return new Instance(store, module, _forwarding!);
    }

    private object Resolve(PlannedModule m, ImportBinding binding, Instance? thunks)
    {
        var import = binding.Import;
        trace?.Invoke($"{m.Name}: {import.Module}.{import.Name} <- {Describe(binding)}");
        switch (binding)
        {
            case MemoryBinding:
                return Memory ?? throw new LoadException(m.Name, $"{m.Name}: imports env.memory but the program has no memory yet");
            case TableBinding:
                return Table;
            case StackPointerBinding:
                return StackPointer;
            case MemoryBaseBinding:
                return new Global(store, ValueKind.Int32, (int)_memoryBases[m.Index], Mutability.Immutable);
            case TableBaseBinding:
                return new Global(store, ValueKind.Int32, (int)_tableBases[m.Index], Mutability.Immutable);
            case FunctionBinding { Forwarder: null } f:
                return ProviderFunction(f.Provider, f.ExportName);
            case FunctionBinding f:
                var position = m.Imports.OfType<FunctionBinding>().Where(b => b.Forwarder is not null).ToList().IndexOf(f);
                return thunks!.GetFunction(ThunkModule.ExportName(position))!;
            case GlobalBinding g:
                return _instances[g.Provider]!.GetGlobal(g.ExportName)!;
            case DataAddressBinding d:
                return Got(import, () => d.IsTls ? _blockBase + plan.Modules[d.Provider].TlsOffset!.Value + d.Offset : DataAddress(d.Provider, d.Offset));
            case FunctionAddressBinding a:
                return Got(import, () => SlotIndex(plan.Slots[a.Slot]));
            case LayoutBinding l:
                return Got(import, () => l.Value);
            case WeakUndefinedBinding:
                return WeakUndefined(m, import);
            case HostBinding:
                return HostFunction(m, import);
            default:
                throw new InvalidOperationException($"unhandled binding {binding.GetType().Name}");
        }
    }

    private long DataAddress(int provider, long offset) =>
        plan.Modules[provider].IsRelocatable ? _memoryBases[provider] + offset : offset;

    /// <summary>GOT entries are mutable globals shared by every importer of the same name; immutable ones are created with their value.</summary>
    private Global Got(Import import, Func<long> value)
    {
        var type = import.Global!;
        if (!type.Mutable)
        {
            return new Global(store, ValueKind.Int32, (int)value(), Mutability.Immutable);
        }

        if (!_got.TryGetValue((import.Module, import.Name), out var entry))
        {
            entry = (new Global(store, ValueKind.Int32, 0, Mutability.Mutable), value);
            _got.Add((import.Module, import.Name), entry);
            if (_basesKnown)
            {
                entry.Global.SetValue((int)value());
            }
        }

        return entry.Global;
    }

    private object WeakUndefined(PlannedModule m, Import import)
    {
        if (import.Kind == ExternalKind.Function)
        {
            var type = m.Module.Types[(int)import.TypeIndex];
            var name = $"{m.Name}: called weak undefined function {import.Name}";
            return Function.FromCallback(store, (Caller _, ReadOnlySpan<ValueBox> _, Span<ValueBox> _) => throw new LoadException(m.Name, name),
                [.. type.Parameters.Select(Kind)], [.. type.Results.Select(Kind)]);
        }

        var global = import.Global!;
        object zero = global.ValueType switch
        {
            Format.ValueType.I64 => 0L,
            Format.ValueType.F32 => 0f,
            Format.ValueType.F64 => 0d,
            _ => 0,
        };
        return new Global(store, Kind(global.ValueType), zero, global.Mutable ? Mutability.Mutable : Mutability.Immutable);
    }

    private Function HostFunction(PlannedModule m, Import import)
    {
        var function = import.Module == ModuleSymbols.Env
            ? hostFunctions.GetValueOrDefault(import.Name)
            : hostModules.GetFunction(store, import.Module, import.Name);
        return function ?? throw new LoadException(m.Name, $"{m.Name}: the host does not provide {import.Module}.{import.Name}");
    }

    private void RunInitializers()
    {
        // One thread: each module's TLS block is initialised once, in place (this also applies its TLS relocations).
        foreach (var m in plan.Modules.Where(m => m.TlsOffset is not null))
        {
            CallIfExported(m.Index, WellKnownSymbols.InitTls, "TLS initialisation", (int)(_blockBase + m.TlsOffset!.Value));
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

    private void CallIfExported(int index, string export, string what, params int[] args)
    {
        var name = plan.Modules[index].Name;
        if (_instances[index]!.GetFunction(export) is not { } function)
        {
            return;
        }

        try
        {
            trace?.Invoke($"{name}: calling {export}");
            function.Invoke([.. args.Select(a => (ValueBox)a)]);
        }
        catch (WasmtimeException e)
        {
            throw new LoadException(name, $"{name}: {what} ({export}) failed: {e.Message}", e);
        }
    }

    private static ValueKind Kind(Format.ValueType type) => type switch
    {
        Format.ValueType.I32 => ValueKind.Int32,
        Format.ValueType.I64 => ValueKind.Int64,
        Format.ValueType.F32 => ValueKind.Float32,
        Format.ValueType.F64 => ValueKind.Float64,
        Format.ValueType.V128 => ValueKind.V128,
        Format.ValueType.FuncRef => ValueKind.FuncRef,
        _ => ValueKind.ExternRef,
    };

    private string Describe(ImportBinding binding) => binding switch
    {
        FunctionBinding { Forwarder: null } f => $"{plan.Modules[f.Provider].Name}:{f.ExportName}",
        FunctionBinding f => $"{plan.Modules[f.Provider].Name}:{f.ExportName} (forwarded)",
        GlobalBinding g => $"{plan.Modules[g.Provider].Name}:{g.ExportName}",
        DataAddressBinding d => $"{plan.Modules[d.Provider].Name}:{d.ExportName}+0x{d.Offset:x}",
        FunctionAddressBinding a => $"slot of {plan.Modules[plan.Slots[a.Slot].Provider].Name}:{plan.Slots[a.Slot].ExportName}",
        LayoutBinding l => $"loader layout 0x{l.Value:x}",
        WeakUndefinedBinding => "weak undefined",
        HostBinding => "host",
        _ => binding.GetType().Name.Replace("Binding", "", StringComparison.Ordinal).ToLowerInvariant(),
    };
}
