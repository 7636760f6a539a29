using Dylink.Format;

namespace Dylink.Linking;

/// <summary>
/// Computes a <see cref="LinkPlan"/>: reads the program's modules, lays out memory and table, resolves every import,
/// and orders instantiation and constructors. Pure: no engine, no execution; every error is collected and reported
/// together in one <see cref="LinkException"/>.
/// </summary>
public static class LinkPlanner
{
    /// <summary>Plans the program whose main module is the file at <paramref name="mainPath"/>.</summary>
    /// <exception cref="LinkException">Libraries are missing, symbols undefined, or imports mismatched.</exception>
    /// <exception cref="WasmFormatException">The main module is malformed.</exception>
    public static LinkPlan Plan(string mainPath, LinkOptions options) =>
        Run(ReadMain(mainPath, options), options, strict: true).Plan!;

    /// <summary>
    /// Looks at the program whose main module is the file at <paramref name="mainPath"/> as <see cref="Plan(string, LinkOptions)"/>
    /// would, but reports instead of throwing, and goes on past a missing library or an undefined symbol: what loaded,
    /// what did not, every undefined symbol with the module that needs it, and the plan as far as it could be made
    /// (<c>dylink ldd</c>). Pure, like <see cref="Plan(string, LinkOptions)"/>.
    /// </summary>
    /// <exception cref="LinkException">The main module cannot be read.</exception>
    /// <exception cref="WasmFormatException">The main module is malformed.</exception>
    public static LinkReport Inspect(string mainPath, LinkOptions options) =>
        Run(ReadMain(mainPath, options), options, strict: false);

    private static LoadedModule ReadMain(string mainPath, LinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(mainPath);
        ArgumentNullException.ThrowIfNull(options);
        byte[] bytes;
        try
        {
            // The main is the host's choice: neither the library sandbox nor the library size limit applies, but a FIFO
            // or a device is still refused, and the read still stops at what an array can hold.
            bytes = options.Source.Read(mainPath, options with { AllowedDirectories = null, MaxFileSize = long.MaxValue });
        }
        catch (ModuleRefusedException e)
        {
            // A refusal names the path already ("main.wasm is a directory").
            throw new LinkException(mainPath, [e.Message], e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LinkException(mainPath, [$"{mainPath}: cannot read: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}"], e);
        }

        return new LoadedModule(Path.GetFileName(mainPath), mainPath, WasmModule.Parse(bytes, mainPath), null);
    }

    /// <summary>Plans the program whose main module is given as bytes; its NEEDED entries are searched as usual, with
    /// the current directory standing in for the main's own directory.</summary>
    /// <exception cref="LinkException">Libraries are missing, symbols undefined, or imports mismatched.</exception>
    /// <exception cref="WasmFormatException">The main module is malformed.</exception>
    public static LinkPlan Plan(string name, ReadOnlyMemory<byte> mainBytes, LinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        return Run(new LoadedModule(name, null, WasmModule.Parse(mainBytes, name), null), options, strict: true).Plan!;
    }

    /// <summary>Plans a program with no wasm main: the host supplies memory, table and <see cref="LinkOptions.HostSymbols"/>,
    /// and <see cref="LinkOptions.Libraries"/> are loaded.</summary>
    /// <exception cref="LinkException">Libraries are missing, symbols undefined, or imports mismatched.</exception>
    public static LinkPlan PlanHosted(LinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(null, options, strict: true).Plan!;
    }

    /// <summary>
    /// One planning run. Strict (<see cref="Plan(string, LinkOptions)"/>): stops at the first stage with errors (loading,
    /// then module kinds, then binding) and throws them all. Not strict (<see cref="Inspect"/>): goes on as far as the
    /// modules it has allow, and reports.
    /// </summary>
    private static LinkReport Run(LoadedModule? main, LinkOptions options, bool strict)
    {
        var errors = new List<string>();
        var loader = new LibraryLoader(options, errors);
        var mainIndex = loader.LoadProgram(main);
        var rootName = main?.Name ?? "program";
        ThrowIfAny(rootName, errors, strict);

        var modules = loader.Modules;
        var kind = main is null ? MainKind.Host : IsRelocatableMain(main.Module) ? MainKind.Relocatable : MainKind.Fixed;
        var before = errors.Count;
        CheckLibraries(modules.New.Where((_, i) => i != mainIndex), errors);
        ThrowIfAny(rootName, errors, strict);

        // A module that is not a library has no region to lay out: an inspection then reports without a plan.
        var undefined = new List<UndefinedSymbol>();
        var plan = errors.Count == before ? new PlanContext(modules, mainIndex, kind, options, errors, undefined: undefined).Build() : null;
        ThrowIfAny(rootName, errors, strict);
        var reported = modules.New.Select((m, i) => new ReportedModule(m.Name, m.Path, i == mainIndex, m.NeededBy)).ToList();
        return new LinkReport(reported, plan, loader.Missing, undefined, errors.Distinct().ToList());
    }

    /// <summary>Refuses, among modules loaded as libraries, one without dylink.0 and a whole program (its own memory and
    /// table, <c>_start</c>), each with who asked for it.</summary>
    private static void CheckLibraries(IEnumerable<LoadedModule> libraries, List<string> errors)
    {
        foreach (var m in libraries)
        {
            if (m.Module.Dylink is null)
            {
                errors.Add($"{m.Name}: not a shared library: it has no dylink.0 section{m.Blame}");
            }
            else if (IsProgram(m.Module))
            {
                // wasm-ld writes dylink.0 into a program linked with --unresolved-symbols=import-dynamic, so the section
                // alone does not make a library; loading it would give it a second memory and table of its own.
                errors.Add($"{m.Name}: is a program, not a shared library: it has its own memory and table and exports _start{m.Blame}; "
                    + "build a library with -shared -fPIC (clang --target=wasm32-wasi -shared -fPIC -o lib.so …, or emcc -sSIDE_MODULE=1)");
            }
        }
    }

    /// <summary>A whole program: defines (not imports) its memory and table and exports <c>_start</c>.</summary>
    private static bool IsProgram(WasmModule module) =>
        module.Memories.Length > 0 && module.Tables.Length > 0
        && module.Exports.Any(e => e.Name == WellKnownSymbols.Start && e.Kind == ExternalKind.Function);

    /// <summary>
    /// Plans a <c>dlopen</c>: loads <paramref name="name"/> and whatever it needs that is not loaded yet, and binds the
    /// new modules against the program's global scope, their own dependencies (local ones included) and themselves.
    /// The running program is not changed; <see cref="ProgramScope.Commit"/> records the load once it has succeeded.
    /// </summary>
    /// <param name="scope">The running program.</param>
    /// <param name="name">A library name (searched like NEEDED, from the main's directory) or a path.</param>
    /// <param name="options">Search paths and host symbols.</param>
    /// <exception cref="LinkException">The library or a dependency is missing or malformed, or symbols do not resolve.</exception>
    /// <param name="fresh">Load a new copy of the library even if it is loaded (hot reload).</param>
    public static LinkPlan PlanOpen(ProgramScope scope, string name, LinkOptions options, bool fresh = false)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        // The loader asks the scope for live modules by name and path instead of being handed every module ever loaded.
        var loader = new LibraryLoader(options, errors, scope);
        var main = scope.Initial.Main;
        var root = loader.LoadRoot(name, main?.Index, fresh);
        ThrowIfAny(name, errors);
        CheckLibraries(loader.Modules.New, errors);
        ThrowIfAny(name, errors);
        var context = new PlanContext(loader.Modules, main?.Index ?? -1, scope.Initial.Kind, options, errors, scope, root!.Value);
        var plan = context.Build();
        ThrowIfAny(name, errors);
        return plan;
    }

    /// <summary>
    /// A main is relocatable (PIE) when it takes its data address from the loader (<c>env.__memory_base</c>). A
    /// non-PIE main may still carry a dylink.0 section (wasm-ld adds one when it is linked against a library), so the
    /// section's presence decides nothing.
    /// </summary>
    public static bool IsRelocatableMain(WasmModule main)
    {
        ArgumentNullException.ThrowIfNull(main);
        return main.Imports.Any(i => i.Module == ModuleSymbols.Env && i.Name == WellKnownSymbols.MemoryBase && i.Kind == ExternalKind.Global);
    }

    /// <summary>Most errors one link reports (lld's default <c>--error-limit</c>); the rest are counted.</summary>
    public const int ErrorLimit = 20;

    private static void ThrowIfAny(string rootName, List<string> errors, bool strict = true)
    {
        if (errors.Count == 0 || !strict)
        {
            return;
        }

        var distinct = errors.Distinct().ToList();
        if (distinct.Count > ErrorLimit)
        {
            distinct = [.. distinct.Take(ErrorLimit), $"{rootName}: and {distinct.Count - ErrorLimit} more errors ({distinct.Count} in all)"];
        }

        throw new LinkException(rootName, distinct);
    }
}
