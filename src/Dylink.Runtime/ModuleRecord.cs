using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>Where a module is in its life, in the order a load and an unload take it through.</summary>
internal enum ModuleState
{
    /// <summary>In a plan being executed: nothing of it exists yet, or a failed load gave everything back.</summary>
    Planned,

    /// <summary>Its instance exists and its functions are in their slots.</summary>
    Instantiated,

    /// <summary>Its TLS block and data relocations are applied; the load can be committed.</summary>
    Relocated,

    /// <summary>Committed (visible to lookups and nested loads), its constructors not finished.</summary>
    Constructing,

    /// <summary>Loaded: constructors done.</summary>
    Live,

    /// <summary>Being unloaded: its destructors are running. Never unloaded a second time.</summary>
    Destructing,

    /// <summary>Gone: out of every scope, its slots trap, its memory and table range given back.</summary>
    Unloaded,
}

/// <summary>
/// One loaded module, as musl's <c>struct dso</c>: what the store made of it (instance, bases, memory block, table
/// range, the GOT entries and forwarding slots that point at it) and its life (state, references, NODELETE,
/// destructors registered through <c>__cxa_atexit</c>, rebound functions). Linking facts — its symbols, global or
/// local, what it depends on, its function slots — are the <see cref="ProgramScope"/>'s, under the same index.
/// Rolling back a failed load or unloading a module reverts this one object.
/// </summary>
internal sealed class ModuleRecord(PlannedModule planned)
{
    /// <summary>The module's index: its place in the scope and in every plan; never reused.</summary>
    public int Index => Planned.Index;

    /// <summary>The module as planned; once unloaded, the scope's tombstone of it (name and path, no parsed module), so
    /// that an unloaded library's code and data are not kept alive by its record.</summary>
    public PlannedModule Planned { get; private set; } = planned;

    public string Name => Planned.Name;

    public ModuleState State { get; set; }

    /// <summary>True from instantiation until the module is unloaded or its load rolled back.</summary>
    public bool HasInstance => Instance is not null;

    public Instance? Instance { get; set; }

    /// <summary>Its <c>__memory_base</c> (0 for a fixed main).</summary>
    public uint MemoryBase { get; set; }

    /// <summary>Its <c>__table_base</c>: the first slot of its table range.</summary>
    public uint TableBase { get; set; }

    /// <summary>Its TLS block for the program's one thread.</summary>
    public uint TlsBase { get; set; }

    /// <summary>The memory block its region lives in (shared by the modules of one load).</summary>
    public MemoryBlock? Block { get; set; }

    /// <summary>Loaded at start-up: part of the program, never unloaded.</summary>
    public bool Permanent { get; set; }

    /// <summary><c>dlopen</c> references not yet closed.</summary>
    public int OpenCount { get; set; }

    /// <summary>Opened with <c>RTLD_NODELETE</c>: never unloaded.</summary>
    public bool NoDelete { get; set; }

    /// <summary>True once its destructors ran (at unload or at exit): they never run twice.</summary>
    public bool DestructorsRun { get; set; }

    /// <summary>Handlers registered through this module's <c>__cxa_atexit</c> import, in registration order.</summary>
    public List<(long Function, long Argument)> AtExit { get; } = [];

    /// <summary>Mutable GOT entries holding an address in this module, by target: shared by every importer.</summary>
    public Dictionary<string, Global> GotEntries { get; } = new(StringComparer.Ordinal);

    /// <summary>Where other modules' calls to each of its functions are bound (forwarding slots, entries of the callers'
    /// call tables): what a rebind rewrites.</summary>
    public Dictionary<string, List<CallSite>> Callers { get; } = new(StringComparer.Ordinal);

    /// <summary>The entries of its own call table (<see cref="Dylink.Linking.CallTables"/>), by the function index of the
    /// import called through each.</summary>
    public Dictionary<uint, CallTableEntry> CallEntries { get; } = [];

    /// <summary>Its functions that are rebound: what every caller reaches now, and the original to restore. Forwarders
    /// of libraries loaded later are bound to the current one.</summary>
    public Dictionary<string, Rebinding> Rebound { get; } = new(StringComparer.Ordinal);

    /// <summary>True while it is in the program: from the commit until its teardown (its code may run, its handle is valid).</summary>
    public bool IsLoaded => State is ModuleState.Constructing or ModuleState.Live or ModuleState.Destructing;

    /// <summary>Whether <c>dlclose</c> may unload it now: a live library nobody holds open or pins.</summary>
    public bool Unloadable => State == ModuleState.Live && !Permanent && !NoDelete && OpenCount == 0;

    /// <summary>Forgets everything a load gave the module, so the record is as planned (rollback, or the end of an unload).</summary>
    public void Release(ModuleState state, PlannedModule? tombstone = null)
    {
        State = state;
        Planned = tombstone ?? Planned;
        Instance = null;
        Block = null;
        AtExit.Clear();
        GotEntries.Clear();
        Callers.Clear();
        CallEntries.Clear();
        Rebound.Clear();
        OpenCount = 0;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} #{Index} ({State})";
}

/// <summary>A rebound function: the replacement every caller reaches, and the module's own function.</summary>
internal sealed record Rebinding(Function Current, Function Original);
