using System.Collections.Immutable;
using Dylink.Format;

namespace Dylink.Linking;

/// <summary>What kind of main module a program has; it decides who owns memory, table and stack.</summary>
public enum MainKind
{
    /// <summary>A PIE main (<c>-pie</c>): it imports memory, table and <c>__memory_base</c> like a library; the loader owns them.</summary>
    Relocatable,
    /// <summary>A non-PIE main: fixed addresses, usually its own memory, table, stack and libc allocator.</summary>
    Fixed,
    /// <summary>No wasm main: the host creates memory and table and supplies symbols itself.</summary>
    Host,
}

/// <summary>How the block of memory that holds every relocatable module's data is placed.</summary>
public enum MemoryPlacement
{
    /// <summary>At a fixed address in a memory the loader creates (<see cref="MemoryLayout.FixedBase"/>).</summary>
    Fixed,
    /// <summary>For a library opened at run time when the loader owns the memory: taken from the loader's own heap,
    /// which grows the memory at its end.</summary>
    LoaderHeap,
    /// <summary>Allocated at run time from the main module's exported allocator (<c>aligned_alloc</c>, <c>memalign</c> or <c>malloc</c>),
    /// so that it can never collide with the main's heap.</summary>
    MainAllocator,
}

/// <summary>Memory decisions of a plan.</summary>
/// <param name="Placement">How the data block is placed.</param>
/// <param name="BlockSize">Bytes of the block holding every relocatable module's region (each zeroed).</param>
/// <param name="BlockAlignment">Alignment of the block in bytes (the largest region alignment).</param>
/// <param name="FixedBase">For <see cref="MemoryPlacement.Fixed"/>: the block's address.</param>
/// <param name="CreatesMemory">True when the loader creates the memory (otherwise the main module defines it).</param>
/// <param name="InitialPages">For a loader-created memory: its initial size in 64 KiB pages.</param>
/// <param name="StackPointer">For a loader-created stack: the initial <c>__stack_pointer</c> (the top of the stack).</param>
/// <param name="StackSize">For a loader-created stack: its size in bytes.</param>
/// <param name="HeapBase">For a loader-created memory: the first byte after the stack and the data block (<c>__heap_base</c>).</param>
/// <param name="Allocator">For <see cref="MemoryPlacement.MainAllocator"/>: the main's export used to allocate the block.</param>
/// <param name="MaximumPages">For a loader-created memory: the smallest maximum any module's memory import declares
/// (a memory import with a maximum only accepts a memory that can never grow beyond it); null for none.</param>
/// <param name="Is64">True for a wasm64 program: a 64-bit memory (memory64), and i64 <c>__memory_base</c>,
/// <c>__table_base</c>, <c>__stack_pointer</c>, <c>GOT.mem</c> and <c>GOT.func</c>.</param>
/// <param name="Table64">True when the program's table is indexed by i64 (table64, as clang ≥ 19 emits for wasm64).</param>
public sealed record MemoryLayout(
    MemoryPlacement Placement, uint BlockSize, uint BlockAlignment, uint? FixedBase, bool CreatesMemory,
    uint InitialPages, uint? StackPointer, uint StackSize, uint? HeapBase, string? Allocator, ulong? MaximumPages = null,
    bool Is64 = false, bool Table64 = false);

/// <summary>Where a function's table slot lives.</summary>
public enum SlotLocation
{
    /// <summary>In the loader's slot block, at <see cref="FunctionSlot.Offset"/> from the block's first slot.</summary>
    Block,
    /// <summary>Already placed by the provider's own element segment, at <see cref="FunctionSlot.Offset"/> from its <c>__table_base</c>.</summary>
    ProviderTable,
    /// <summary>At the absolute table index <see cref="FunctionSlot.Offset"/>: from a non-relocatable main's element segment, or given by an earlier load.</summary>
    Absolute,
}

/// <summary>
/// The one table slot of a function whose address is taken (<c>GOT.func</c>, <c>dlsym</c>) or that is called through
/// a forwarding thunk. One slot per function, so a pointer to it compares equal in every module.
/// </summary>
/// <param name="Provider">Index of the defining module in <see cref="LinkPlan.Modules"/>.</param>
/// <param name="ExportName">The provider's export.</param>
/// <param name="Location">Where the slot is.</param>
/// <param name="Offset">The slot's offset or index, per <paramref name="Location"/>.</param>
public sealed record FunctionSlot(int Provider, string ExportName, SlotLocation Location, uint Offset);

/// <summary>A function reached through the loader's forwarding table, because an importer is instantiated before it.</summary>
/// <param name="Provider">Index of the defining module.</param>
/// <param name="ExportName">The provider's export.</param>
/// <param name="Signature">Its signature (the thunk's).</param>
public sealed record Forwarder(int Provider, string ExportName, FuncType Signature);

/// <summary>A module of the program and where it goes.</summary>
/// <param name="Index">Its index in <see cref="LinkPlan.Modules"/> (the lookup scope order).</param>
/// <param name="Name">Its name: the NEEDED entry or file name.</param>
/// <param name="Path">Where it was found; null for modules given as bytes.</param>
/// <param name="Module">The parsed module.</param>
/// <param name="IsMain">True for the main module.</param>
/// <param name="IsRelocatable">True when it takes <c>__memory_base</c>/<c>__table_base</c> (libraries, PIE mains).</param>
/// <param name="Needed">Indices of the modules its NEEDED entries resolved to.</param>
/// <param name="NeededBy">The module that first needed it; null for the main and for preloads.</param>
/// <param name="MemoryOffset">Offset of its data region in the memory block.</param>
/// <param name="TableOffset">Offset of its table region in the table block.</param>
/// <param name="Imports">How each import is satisfied, in import order.</param>
/// <param name="TlsOffset">For a module with thread-local data (<c>__wasm_init_tls</c>): offset of its TLS block in the memory block.</param>
public sealed record PlannedModule(
    int Index, string Name, string? Path, WasmModule Module, bool IsMain, bool IsRelocatable,
    ImmutableArray<int> Needed, string? NeededBy, uint MemoryOffset, uint TableOffset, ImmutableArray<ImportBinding> Imports,
    uint? TlsOffset = null)
{
    /// <summary>Bytes of memory the module reserves at <c>__memory_base</c> (MEM_INFO).</summary>
    public uint MemorySize => Module.Dylink?.MemInfo.MemorySize ?? 0;

    /// <summary>Table slots the module reserves at <c>__table_base</c> (MEM_INFO).</summary>
    public uint TableSize => Module.Dylink?.MemInfo.TableSize ?? 0;
}

/// <summary>
/// Everything the runtime needs to load a program, decided ahead of time as plain data: modules in lookup order,
/// memory and table layout, how every import of every module is bound, and the order of instantiation and of
/// constructors. <c>dylink ldd</c> prints it; tests assert on it; <c>Dylink.Runtime</c> executes it.
/// </summary>
/// <param name="Kind">The kind of main module.</param>
/// <param name="Modules">Every module in lookup-scope order: preloads, the main, then libraries breadth-first.</param>
/// <param name="Memory">Memory layout.</param>
/// <param name="TableBlockSize">Slots appended to the table for relocatable modules' regions and <see cref="Slots"/>.</param>
/// <param name="SlotBlockOffset">Offset in the table block where the loader's function slots start.</param>
/// <param name="Slots">Every function slot, indexed by <see cref="FunctionAddressBinding.Slot"/>.</param>
/// <param name="Forwarders">Functions called through forwarding thunks, indexed by <see cref="FunctionBinding.Forwarder"/>.</param>
/// <param name="InstantiationOrder">Module indices in the order they are instantiated.</param>
/// <param name="ConstructorOrder">Module indices whose relocations and constructors the loader runs, dependencies first.</param>
/// <param name="MainRunsOwnConstructors">True when the main is a command (<c>_start</c>), whose start code runs its
/// constructors: the loader then runs only the libraries'.</param>
/// <param name="Warnings">Non-fatal findings (e.g. a definition interposed by an earlier one).</param>
/// <param name="FirstNewModule">Modules below this index were loaded by earlier plans (a <c>dlopen</c> plan extends a
/// running program); only the others are instantiated, laid out and initialised by this plan.</param>
/// <param name="Root">For a <c>dlopen</c> plan: the index of the library asked for (possibly loaded already).</param>
public sealed record LinkPlan(
    MainKind Kind,
    ImmutableArray<PlannedModule> Modules,
    MemoryLayout Memory,
    uint TableBlockSize,
    uint SlotBlockOffset,
    ImmutableArray<FunctionSlot> Slots,
    ImmutableArray<Forwarder> Forwarders,
    ImmutableArray<int> InstantiationOrder,
    ImmutableArray<int> ConstructorOrder,
    bool MainRunsOwnConstructors,
    ImmutableArray<string> Warnings,
    int FirstNewModule = 0,
    int? Root = null)
{
    /// <summary>The modules this plan loads.</summary>
    public IEnumerable<PlannedModule> NewModules => Modules.Skip(FirstNewModule);

    /// <summary>The main module, if the program has a wasm main.</summary>
    public PlannedModule? Main => Modules.FirstOrDefault(m => m.IsMain);

    /// <summary>The module an import is bound to (a function, global, address, function slot or tag it provides); null
    /// for what the loader or the host provides. What "depends on" means for unloading, <c>ldd -u</c> and the graph.</summary>
    public int? ProviderOf(ImportBinding binding) => binding switch
    {
        FunctionBinding f => f.Provider,
        GlobalBinding g => g.Provider,
        DataAddressBinding d => d.Provider,
        FunctionAddressBinding a => Slots[a.Slot].Provider,
        TagBinding t => t.Provider,
        _ => null,
    };
}
