using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// A loaded program: the start-up plan, the <see cref="ProgramScope"/> (what is loaded, its symbols and slots, by
/// module index) and the <see cref="ProgramState"/> (one <see cref="ModuleRecord"/> per module and the shared store
/// objects), plus the options later <c>dlopen</c>s plan with. Answers what a symbol, handle or address refers to;
/// changes nothing but function slots given on first use. Exists only once a start-up load succeeded.
/// </summary>
internal sealed class LinkedProgram(LinkPlan plan, ProgramScope scope, ProgramState state, LinkOptions linkOptions, Store store)
{
    /// <summary>The value <c>dlopen(NULL)</c> returns when there is no wasm main to name.</summary>
    public const int ProgramHandle = int.MaxValue;

    private readonly Dictionary<string, Function> _staleStubs = new(StringComparer.Ordinal);
    // Blocks given out from the loader's heap (no guest allocator), by address: what Free gives back.
    private readonly Dictionary<long, uint> _heapAllocations = [];

    public LinkPlan Plan { get; } = plan;

    public ProgramScope Scope { get; } = scope;

    public ProgramState State { get; } = state;

    public LinkOptions LinkOptions { get; } = linkOptions;

    public ModuleRecord this[int index] => State.Modules[index];

    /// <summary>The modules in the program now (tombstones of unloaded ones are never walked: a program that opened and
    /// closed libraries for days must not get slower).</summary>
    public IEnumerable<ModuleRecord> Loaded => Scope.LiveModules.Select(m => State.Modules[m.Index]).Where(m => m.IsLoaded);

    /// <summary>The handle <c>dlopen(NULL)</c> gives: the main's, or the program pseudo-handle.</summary>
    public LibraryHandle ProgramSelf => new(Plan.Main is { } main ? main.Index + 1 : ProgramHandle);

    /// <summary>True for the pseudo-handles and the main's handle, which all mean the global scope.</summary>
    public bool IsProgramHandle(LibraryHandle handle) =>
        handle.Value is 0 or ProgramHandle || (Plan.Main is { } main && handle.Value == main.Index + 1);

    /// <summary>The loaded library a handle names.</summary>
    /// <exception cref="ArgumentException">It names no loaded library.</exception>
    public ModuleRecord Library(LibraryHandle handle) =>
        handle.Value > 0 && handle.Value <= State.Modules.Count && State.Modules[handle.Value - 1].IsLoaded
            ? State.Modules[handle.Value - 1]
            : throw new ArgumentException($"invalid handle {handle.Value}: not a loaded library", nameof(handle));

    /// <summary>True while the handle names a loaded library (constructors running included).</summary>
    public bool IsLoaded(LibraryHandle handle) =>
        handle.Value > 0 && handle.Value <= State.Modules.Count && State.Modules[handle.Value - 1].IsLoaded;

    /// <summary>A loaded library with this name or path (<c>RTLD_NOLOAD</c>, and what <c>dlopen</c> finds first).</summary>
    public ModuleRecord? FindLoaded(string name) =>
        Scope.FindLoaded(name) is { } index && State.Modules[index].IsLoaded ? State.Modules[index] : null;

    /// <summary>The definition <c>dlsym(handle, name)</c> finds: the global scope for the program handle and
    /// <c>RTLD_DEFAULT</c>, the next definition for <c>RTLD_NEXT</c>, else the library and its dependencies.</summary>
    /// <exception cref="SymbolNotFoundException">No definition.</exception>
    public Definition Resolve(LibraryHandle handle, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Definition? definition;
        string scope;
        if (handle.Value == LibraryHandle.Next.Value)
        {
            (definition, scope) = (Scope.LookupNext(name), "RTLD_NEXT");
        }
        else if (IsProgramHandle(handle))
        {
            (definition, scope) = (Scope.LookupDefault(name), GlobalScope);
        }
        else
        {
            var library = Library(handle);
            (definition, scope) = (Scope.LookupFrom(library.Index, name), library.Name);
        }

        return definition ?? throw new SymbolNotFoundException(name, scope,
            $"{name}: symbol not found{(scope is GlobalScope or "RTLD_NEXT" ? "" : $" in {scope}")}");
    }

    /// <summary>How <see cref="SymbolNotFoundException.Scope"/> names the global scope.</summary>
    public const string GlobalScope = "the global scope";

    /// <summary>The first definition of <paramref name="symbol"/> in the global scope, which must be of <paramref name="kind"/>.</summary>
    /// <exception cref="SymbolNotFoundException">None, or of another kind.</exception>
    public Definition Find(string symbol, SymbolKind kind) =>
        Scope.LookupDefault(symbol) is { } definition && definition.Symbol.Kind == kind
            ? definition
            : throw new SymbolNotFoundException(symbol, GlobalScope, $"no loaded module defines {symbol} as {kind.ToString().ToLowerInvariant()}");

    /// <summary>A definition's value as the guest sees it: a function's table slot, or a data or TLS address.</summary>
    /// <exception cref="SymbolNotFoundException">A global or a tag: neither has an address.</exception>
    public long ValueOf(Definition definition) => definition.Symbol.Kind switch
    {
        SymbolKind.Function => SlotFor(definition.Provider, definition.Symbol.Name),
        SymbolKind.Tls => this[definition.Provider].TlsBase + definition.Symbol.Value!.Value,
        SymbolKind.Data => DataAddress(definition.Provider, definition.Symbol.Value ?? 0),
        _ => throw WrongKind(definition, "a function or data"),
    };

    /// <summary>The address of a data symbol's value in a module.</summary>
    public long DataAddress(int provider, long value) => (this[provider].Planned.IsRelocatable ? this[provider].MemoryBase : 0) + value;

    /// <summary>The function a definition names, as its module exports it.</summary>
    public Function FunctionOf(Definition definition) =>
        definition.Symbol.Kind == SymbolKind.Function
            ? this[definition.Provider].Instance!.GetFunction(definition.Symbol.Name)!
            : throw WrongKind(definition, "a function");

    /// <summary>What every caller of a function reaches now: its replacement while it is rebound, else itself.</summary>
    public Function CurrentFunction(Definition definition) =>
        this[definition.Provider].Rebound.TryGetValue(definition.Symbol.Name, out var rebinding) ? rebinding.Current : FunctionOf(definition);

    private SymbolNotFoundException WrongKind(Definition definition, string wanted) =>
        new(definition.Symbol.Name, this[definition.Provider].Name,
            $"{definition.Symbol.Name}: a {definition.Symbol.Kind.ToString().ToLowerInvariant()}, not {wanted}");

    /// <summary>The function's one table slot, given on first use.</summary>
    public uint SlotFor(int provider, string export)
    {
        if (Scope.TryGetSlot(provider, export, out var slot))
        {
            return slot;
        }

        var record = this[provider];
        var functionIndex = record.Planned.Module.FindExport(export)!.Index;
        if (ElementSlots.Find(record.Planned.Module, record.Planned.IsRelocatable, functionIndex) is { } own)
        {
            slot = own.Location == SlotLocation.Absolute ? own.Offset : record.TableBase + own.Offset;
        }
        else
        {
            slot = TakeSlot();
            State.Table.SetElement(slot, record.Instance!.GetFunction(export));
        }

        Scope.AddSlot(provider, export, slot);
        return slot;
    }

    /// <summary>A free table slot: one an unload gave back, or a new one.</summary>
    public uint TakeSlot() => State.FreeSlots.Take(1, 1) ?? (uint)State.Table.Grow(1, null);

    /// <summary>The file name a library is known by (its path, or its name when loaded from bytes).</summary>
    public string LibraryName(int index) => this[index].Planned.Path ?? this[index].Name;

    /// <summary>
    /// Which library (and symbol) a function pointer or data address belongs to (<c>dladdr</c>): a table index that
    /// holds a loaded function, or an address inside a library's data region (the nearest data symbol at or below it).
    /// </summary>
    public (ModuleRecord Library, string? Symbol, long SymbolAddress)? Describe(long address)
    {
        if (address > 0 && address <= uint.MaxValue && (Scope.TryGetFunctionAt((uint)address, out var provider, out var export) || FunctionInSlot(address, out provider, out export)))
        {
            return (this[provider], export, address);
        }

        var owner = Loaded.FirstOrDefault(m => m.Planned.IsRelocatable && m.Planned.MemorySize > 0
            && address >= m.MemoryBase && address < m.MemoryBase + (long)m.Planned.MemorySize);
        if (owner is null)
        {
            return null;
        }

        var nearest = Scope.NearestDataSymbol(owner.Index, address - owner.MemoryBase);
        return (owner, nearest?.Name, nearest is null ? 0 : owner.MemoryBase + nearest.Value!.Value);
    }

    /// <summary>Which loaded module's exported function a table slot holds (a pointer the program took itself).</summary>
    private bool FunctionInSlot(long address, out int provider, out string export)
    {
        (provider, export) = (-1, "");
        if ((ulong)address >= State.Table.GetSize() || State.Table.GetElement((uint)address) is not Function function || function.IsNull)
        {
            return false;
        }

        foreach (var m in Loaded)
        {
            foreach (var symbol in Scope.ExportedFunctions(m.Index))
            {
                if (function.Equals(m.Instance!.GetFunction(symbol.Name)))
                {
                    (provider, export) = (m.Index, symbol.Name);
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Guest memory for the host or the loader: from the program's own <c>malloc</c> (the first definition in the global
    /// scope with the address width's signature: a fixed main's libc, or a libc library), so that guest code may keep
    /// or free it; else from the loader's heap. Never 0.
    /// </summary>
    /// <exception cref="InvalidOperationException">Neither can give <paramref name="size"/> bytes.</exception>
    public long Allocate(long size)
    {
        if (size < 0 || size > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "a guest allocation takes 0 to 4 GiB");
        }

        if (GuestAllocator("malloc") is { } malloc)
        {
            var address = Convert.ToInt64(malloc.Invoke(HostFunctions.IntegerArguments(malloc, [Math.Max(size, 1)])), System.Globalization.CultureInfo.InvariantCulture);
            return address != 0 ? address : throw new InvalidOperationException($"malloc could not allocate {size} bytes");
        }

        try
        {
            var block = State.AllocateHeap((uint)Math.Max(size, 1), 8);
            _heapAllocations[block] = (uint)Math.Max(size, 1);
            return block;
        }
        catch (WasmtimeException e)
        {
            throw new InvalidOperationException($"the loader's heap cannot grow by {size} bytes: {e.Message}", e);
        }
    }

    /// <summary>Gives back what <see cref="Allocate"/> gave (to the guest's <c>free</c>, or the loader's heap).</summary>
    public void Free(long address)
    {
        if (_heapAllocations.Remove(address, out var size))
        {
            State.FreeHeap.Free((uint)address, size);
        }
        else if (address != 0 && GuestAllocator("free") is { } free)
        {
            free.Invoke(HostFunctions.IntegerArguments(free, [address]));
        }
    }

    // The program's malloc or free, if one is in the global scope with the signature the address width gives it.
    private Function? GuestAllocator(string name)
    {
        var address = State.Memory.Is64Bit ? Dylink.Format.ValueType.I64 : Dylink.Format.ValueType.I32;
        Dylink.Format.FuncType expected = name == "malloc" ? new([address], [address]) : new([address], []);
        return Scope.LookupDefault(name) is { Symbol.Kind: SymbolKind.Function } definition && definition.Symbol.Signature is { } signature
            && signature.Equals(expected) ? CurrentFunction(definition) : null;
    }

    /// <summary>The NUL-terminated UTF-8 string at <paramref name="address"/> in guest memory, for the host and for the
    /// guest's own calls alike.</summary>
    /// <param name="address">Where it starts.</param>
    /// <param name="what">How messages name it ("dlopen: the path").</param>
    /// <exception cref="ArgumentOutOfRangeException">The address is outside memory, or no NUL follows it before the end.</exception>
    public string ReadString(long address, string what)
    {
        var length = State.Memory.GetLength();
        if (address < 0 || address >= length)
        {
            throw new ArgumentOutOfRangeException(null, $"{what} pointer 0x{address:x} is outside memory ({length} bytes)");
        }

        var bytes = State.Memory.GetSpan(address, (int)Math.Min(length - address, int.MaxValue));
        var end = bytes.IndexOf((byte)0);
        return end >= 0
            ? System.Text.Encoding.UTF8.GetString(bytes[..end])
            : throw new ArgumentOutOfRangeException(null, $"{what} at 0x{address:x} is not NUL-terminated before the end of memory");
    }

    /// <summary>The main's <c>free</c>, which gives back blocks its allocator placed.</summary>
    public Function? MainFree() => Plan.Main is { } main ? this[main.Index].Instance?.GetFunction("free") : null;

    /// <summary>A call through a stale pointer or GOT entry ends with a message naming the library and symbol, never in
    /// freed code. One stub per library, symbol and signature: a library opened and closed again and again reuses them
    /// (a host function lives as long as the store).</summary>
    public Function StaleStub(string library, string symbol, Function? like)
    {
        IReadOnlyList<ValueKind> parameters = like is { IsNull: false } ? like.Parameters : [];
        IReadOnlyList<ValueKind> results = like is { IsNull: false } ? like.Results : [];
        var key = $"{library}\0{symbol}\0{string.Join(",", parameters)}\0{string.Join(",", results)}";
        if (!_staleStubs.TryGetValue(key, out var stub))
        {
            stub = HostFunctions.Trap(store, library, $"{library}: {symbol} was called after {library} was unloaded (dlclose)", parameters, results);
            _staleStubs.Add(key, stub);
        }

        return stub;
    }
}
