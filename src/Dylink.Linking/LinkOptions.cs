using Dylink.Format;

namespace Dylink.Linking;

/// <summary>A function the host (C#) defines for wasm modules to import from <c>env</c>.</summary>
/// <param name="Name">The symbol name.</param>
/// <param name="Signature">Its wasm signature; imports with another signature are link errors.</param>
public sealed record HostSymbol(string Name, FuncType Signature);

/// <summary>What to link and where to look.</summary>
public sealed record LinkOptions
{
    /// <summary>Directories searched first for libraries named without a slash (<c>-L</c>), in order.</summary>
    public IReadOnlyList<string> SearchPaths { get; init; } = [];

    /// <summary>Directories searched next (<c>DYLINK_LIBRARY_PATH</c>), in order.</summary>
    public IReadOnlyList<string> LibraryPath { get; init; } = [];

    /// <summary>
    /// Directories searched last, after the needing module's own directory: the system's libraries, as ld.so's
    /// <c>/lib</c> and <c>/usr/lib</c> (<c>dylink run</c> puts the kit's <c>lib/wasm32-wasi</c> here, where
    /// <c>libc.so</c> is). A library sandbox and a guest's <c>dlopen</c> may always reach them.
    /// </summary>
    public IReadOnlyList<string> DefaultLibraryPath { get; init; } = [];

    /// <summary>Libraries loaded before everything else and first in lookup order (<c>--preload</c>).</summary>
    public IReadOnlyList<string> Preload { get; init; } = [];

    /// <summary>Libraries loaded as if the main's NEEDED list ended with them (<c>-l</c>): a name or a path.</summary>
    public IReadOnlyList<string> Libraries { get; init; } = [];

    /// <summary>Functions the host defines; they take the main module's place in lookup order.</summary>
    public IReadOnlyList<HostSymbol> HostSymbols { get; init; } = [];

    /// <summary>Import modules the host provides whole (e.g. <c>wasi_snapshot_preview1</c>); not resolved by symbol.</summary>
    public IReadOnlyList<string> HostModules { get; init; } = ["wasi_snapshot_preview1", "wasi_unstable"];

    /// <summary>
    /// Binds every function import between modules through a forwarding thunk (one <c>call_indirect</c> through a
    /// slot of the loader's forwarding table) instead of directly, so that a later <c>Rebind</c> reaches direct
    /// cross-module calls too with one table write. Calls inside a module stay direct and are never rebound.
    /// </summary>
    public bool Rebindable { get; init; }

    /// <summary>
    /// Binds function imports that no module defines lazily, as glibc's <c>RTLD_LAZY</c>: the load succeeds, and each
    /// such function is looked up in the global scope at its first call (then bound for good), or traps naming the
    /// symbol and the library if still undefined. Data, globals and function addresses are always bound at load time.
    /// Set for a <c>dlopen</c> with <c>RTLD_LAZY</c>; start-up loads bind everything.
    /// </summary>
    public bool LazyBinding { get; init; }

    /// <summary>Most modules a program may have loaded at once, the main included (unloaded ones do not count); one more
    /// is a link error.</summary>
    public int MaxModules { get; init; } = 10_000;

    /// <summary>Largest library file accepted, in bytes: a file that claims more is not read, and a read stops one byte past
    /// it whatever size the file claims.</summary>
    public long MaxFileSize { get; init; } = 1L << 30;

    /// <summary>Most linear memory, in bytes, the program may have; a layout needing more is refused before anything is allocated.</summary>
    public long MaxMemory { get; init; } = 4L << 30;

    /// <summary>Most function-table slots the loader may reserve for libraries; more is refused before the table grows.</summary>
    public uint MaxTableSlots { get; init; } = 10_000_000;

    /// <summary>
    /// When set, libraries may be found only inside these directories (and their subdirectories): a name with a
    /// slash, a <c>..</c>, an absolute path or a symbolic link that leads elsewhere is refused. Guest <c>dlopen</c>
    /// calls are then sandboxed too.
    /// </summary>
    public IReadOnlyList<string>? AllowedDirectories { get; init; }

    /// <summary>
    /// The guest's WASI view (its preopened directories): a guest's <c>dlopen</c> of a path with a slash is resolved
    /// through them, as its own <c>open</c> would be (<see cref="GuestPaths"/>). Give the same mappings as the WASI
    /// configuration (<c>dylink run --dir</c> does).
    /// </summary>
    public IReadOnlyList<GuestDirectory> GuestDirectories { get; init; } = [];

    /// <summary>
    /// Lets a guest's <c>dlopen</c> take host paths and reach any file (<c>--allow-any-library-path</c>). Off by default:
    /// a guest reaches the library search path and the files its WASI view holds, nothing else (<see cref="GuestPaths"/>).
    /// </summary>
    public bool AllowAnyLibraryPath { get; init; }

    /// <summary>Reports a library the sandbox refuses, and one not found, as "library not found", without the paths
    /// searched: set for loads a guest asks for, so that it cannot learn which host paths exist.</summary>
    public bool ConcealRefusals { get; init; }

    /// <summary>Who asks for the library a <see cref="LinkPlanner.PlanOpen"/> loads (the host's <c>Open</c> by default; a
    /// guest's <c>dlopen</c> sets <see cref="LibraryRequester.Dlopen"/>): its messages name that request, as
    /// "(requested by Open)", rather than the main module its search starts from.</summary>
    public LibraryRequester Requester { get; init; }

    /// <summary>Stack size when the loader creates the stack (PIE or host main).</summary>
    public uint StackSize { get; init; } = 1024 * 1024;

    /// <summary>Lowest address the loader places anything at when it creates the memory; below it stays unused so that
    /// small null-pointer offsets never hit live data.</summary>
    public uint GlobalBase { get; init; } = 1024;

    /// <summary>Where modules are read from.</summary>
    public IModuleSource Source { get; init; } = FileModuleSource.Instance;
}
