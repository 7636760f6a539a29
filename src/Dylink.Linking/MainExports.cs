namespace Dylink.Linking;

/// <summary>One symbol a non-PIE main must export for its libraries.</summary>
/// <param name="Name">The symbol name, as wasm-ld's <c>--export=</c> takes it.</param>
/// <param name="Kind">What it names (a function, a data object, or <c>__stack_pointer</c>).</param>
/// <param name="IsWeak">True when every library that needs it can do without it (weak references only): the main
/// exports it if it defines it (<c>--export-if-defined=</c>), and the load does not fail when it does not.</param>
/// <param name="NeededBy">The first library (in load order) that imports it, or <c>the loader</c> for the allocator
/// that places the libraries' data.</param>
public sealed record MainExport(string Name, SymbolKind Kind, bool IsWeak, string NeededBy);

/// <summary>
/// What a non-PIE (Fixed) main must export so that a set of libraries links against it: every function and data
/// symbol their imports name that none of them defines and the loader does not provide, <c>__stack_pointer</c> when a
/// library uses the stack, an allocator when a library has data (the loader places the libraries' data in the
/// main's heap), and <c>__cxa_atexit</c>, through which the loader has the libraries' destructors run at exit. It is the list a build without a shared libc needs (<c>dylink exports</c>, <c>dylink c++</c>): miss
/// one and the load fails with "undefined symbol". Pure: it reads the libraries and their NEEDED closure as a load
/// would, with the same search rules, and never starts an engine.
/// </summary>
public static class MainExports
{
    /// <summary>The exports the main must have for <see cref="LinkOptions.Libraries"/> (and everything they need),
    /// sorted by name.</summary>
    /// <param name="options">The libraries (<see cref="LinkOptions.Libraries"/>) and where to search for them and their
    /// NEEDED entries.</param>
    /// <exception cref="LinkException">A library cannot be found, read or parsed.</exception>
    public static IReadOnlyList<MainExport> For(LinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var loader = new LibraryLoader(options, errors);
        loader.LoadProgram(null);
        if (errors.Count > 0)
        {
            throw new LinkException(options.Libraries.Count > 0 ? options.Libraries[0] : "exports", errors);
        }

        var modules = loader.Modules.New;
        var defined = modules
            .SelectMany(m => ModuleSymbols.Of(m.Module))
            .Where(SymbolTable.IsVisible)
            .Select(s => s.Name)
            .ToHashSet(StringComparer.Ordinal);

        var needed = new Dictionary<string, MainExport>(StringComparer.Ordinal);
        foreach (var module in modules)
        {
            foreach (var symbol in ModuleSymbols.Of(module.Module).Where(s => !s.IsDefined && !defined.Contains(s.Name) && IsTheMains(s)))
            {
                needed[symbol.Name] = needed.TryGetValue(symbol.Name, out var earlier)
                    // One strong reference anywhere makes it required.
                    ? earlier with { IsWeak = earlier.IsWeak && symbol.IsWeak }
                    : new MainExport(symbol.Name, symbol.Kind, symbol.IsWeak, module.Name);
            }
        }

        if (modules.Any(m => m.Module.Dylink is { MemInfo.MemorySize: > 0 }) && !WellKnownSymbols.Allocators.Any(needed.ContainsKey))
        {
            needed[WellKnownSymbols.Allocators[0]] = new MainExport(WellKnownSymbols.Allocators[0], SymbolKind.Function, false, "the loader");
        }

        // The loader registers the libraries' destructors with the program's __cxa_atexit, so that exit runs them (as
        // glibc registers _dl_fini); without it they never run at exit. Libraries get the loader's own, per library.
        if (modules.Count > 0 && !defined.Contains(AtExit))
        {
            needed[AtExit] = new MainExport(AtExit, SymbolKind.Function, false, "the loader");
        }

        return [.. needed.Values.OrderBy(e => e.Name, StringComparer.Ordinal)];
    }

    private const string AtExit = "__cxa_atexit";

    /// <summary>Whether an undefined symbol is for the main to provide: functions and data, except what the loader gives
    /// every library (the <c>dlfcn.h</c> family, <c>__cxa_atexit</c>) and the per-module bases; of the globals, only the
    /// one stack pointer all modules share; tags come from the loader when no module defines them.</summary>
    private static bool IsTheMains(ModuleSymbol symbol) => symbol.Kind switch
    {
        SymbolKind.Function => !WellKnownSymbols.LoaderProvided.ContainsKey(symbol.Name),
        SymbolKind.Data => true,
        SymbolKind.Global => symbol.Name == WellKnownSymbols.StackPointer,
        _ => false,
    };
}
