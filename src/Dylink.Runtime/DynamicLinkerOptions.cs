namespace Dylink.Runtime;

/// <summary>What the loader traces (<c>DYLINK_DEBUG</c>, like glibc's <c>LD_DEBUG</c>).</summary>
[Flags]
public enum DebugTrace
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>Each library found and where it is placed.</summary>
    Libs = 1,
    /// <summary>How each import is bound.</summary>
    Bindings = 2,
    /// <summary>Symbol resolution: interposed definitions.</summary>
    Symbols = 4,
    /// <summary>Where the time goes: engine and store creation, each load's plan, compile, instantiate and construct
    /// steps, in milliseconds since the program started (not part of <c>all</c>: its figures change from run to run).</summary>
    Timing = 8,
}

/// <summary>Options of a <see cref="DynamicLinker"/>.</summary>
public sealed record DynamicLinkerOptions
{
    /// <summary>What to trace, and where; <see cref="Trace"/> receives one line at a time.</summary>
    public DebugTrace Debug { get; init; }

    /// <summary>Receives trace lines; defaults to standard error.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>
    /// Lets <see cref="DynamicLinker.Watch"/> reload libraries while guest code runs: the engine checks an epoch
    /// counter in loops and calls (a small cost on every call and loop back-edge), and a pending reload is applied
    /// at the next check.
    /// </summary>
    public bool AllowReloadWhileRunning { get; init; }

    /// <summary>Most linear memory the program may grow to, in bytes (its <c>memory.grow</c> fails beyond).</summary>
    public long? MaxMemory { get; init; }

    /// <summary>Most function-table elements.</summary>
    public uint? MaxTableElements { get; init; }

    /// <summary>How long <see cref="DynamicLinker.RunMain()"/> may run before it is stopped with a <see cref="TimeoutException"/>
    /// (checked at Wasmtime epoch checks, every 20 ms).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// A directory for Dylink's persistent compiled-code cache: a later process loading the same modules skips
    /// compilation. Entries are keyed by module content and engine configuration and checked against a digest before
    /// their code is used; a damaged, swapped or foreign entry is recompiled and rewritten; safe with concurrent
    /// processes. Created for the owner only if missing; on Unix, a directory other users can write is refused
    /// (whoever can write it chooses the native code that runs; see docs/security.md). Null: no on-disk cache
    /// (compiled modules are still shared within one linker).
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// Told about each module just before it is compiled (or taken from a cache), with its number among the modules
    /// the load compiles: for a progress display. Modules compile in parallel, so it may be called from several
    /// threads at once; keep it quick.
    /// </summary>
    public Action<CompileProgress>? Progress { get; init; }

    /// <summary>Most instances the store may hold (Wasmtime's default is 10,000).</summary>
    public long MaxInstances { get; init; } = 100_000;

    /// <summary>
    /// Each module's direct calls of <c>env</c> function imports go through a table of its own
    /// (<see cref="Dylink.Linking.CallTables"/>), written by the loader: a call to a library instantiated after its caller
    /// (a non-PIE main's calls, cycles, weak self-bindings) costs a direct call instead of a thunk's indirect call, and
    /// <see cref="DynamicLinker.Rebind(string, string)"/> reaches every caller. On by default; off, such calls go through a
    /// forwarding thunk and only <see cref="Dylink.Linking.LinkOptions.Rebindable"/> loads follow a rebind.
    /// </summary>
    public bool CallTables { get; init; } = true;

    /// <summary>Parses a <c>DYLINK_DEBUG</c> value such as <c>libs,bindings</c> (or <c>all</c>, or <c>timing</c>).</summary>
    /// <exception cref="ArgumentException">An unknown word.</exception>
    public static DebugTrace ParseDebug(string? value)
    {
        var result = DebugTrace.None;
        foreach (var word in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            result |= word switch
            {
                "libs" => DebugTrace.Libs,
                "bindings" => DebugTrace.Bindings,
                "symbols" => DebugTrace.Symbols,
                "all" => DebugTrace.Libs | DebugTrace.Bindings | DebugTrace.Symbols,
                "timing" => DebugTrace.Timing,
                _ => throw new ArgumentException($"unknown DYLINK_DEBUG word '{word}' (use libs, bindings, symbols, all or timing)", nameof(value)),
            };
        }

        return result;
    }
}

/// <summary>A module about to be compiled (see <see cref="DynamicLinkerOptions.Progress"/>).</summary>
/// <param name="Module">The module's name.</param>
/// <param name="Number">Its number among the modules this load compiles, from 1.</param>
/// <param name="Count">How many modules this load compiles.</param>
public sealed record CompileProgress(string Module, int Number, int Count);
