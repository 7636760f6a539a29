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
    public static LinkPlan Plan(string mainPath, LinkOptions options)
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
            throw new LinkException(mainPath, [$"{mainPath}: {e.Message}"], e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LinkException(mainPath, [$"{mainPath}: cannot read: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}"], e);
        }

        return Plan(new LoadedModule(Path.GetFileName(mainPath), mainPath, WasmModule.Parse(bytes, mainPath), null), options);
    }

    /// <summary>Plans the program whose main module is given as bytes; its NEEDED entries are searched as usual, with
    /// the current directory standing in for the main's own directory.</summary>
    /// <exception cref="LinkException">Libraries are missing, symbols undefined, or imports mismatched.</exception>
    /// <exception cref="WasmFormatException">The main module is malformed.</exception>
    public static LinkPlan Plan(string name, ReadOnlyMemory<byte> mainBytes, LinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        return Plan(new LoadedModule(name, null, WasmModule.Parse(mainBytes, name), null), options);
    }

    /// <summary>Plans a program with no wasm main: the host supplies memory, table and <see cref="LinkOptions.HostSymbols"/>,
    /// and <see cref="LinkOptions.Libraries"/> are loaded.</summary>
    /// <exception cref="LinkException">Libraries are missing, symbols undefined, or imports mismatched.</exception>
    public static LinkPlan PlanHosted(LinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Plan((LoadedModule?)null, options);
    }

    private static LinkPlan Plan(LoadedModule? main, LinkOptions options)
    {
        var errors = new List<string>();
        var loader = new LibraryLoader(options, errors);
        var mainIndex = loader.LoadProgram(main);
        var rootName = main?.Name ?? "program";
        ThrowIfAny(rootName, errors);

        var modules = loader.Modules;
        var kind = main is null ? MainKind.Host : IsRelocatableMain(main.Module) ? MainKind.Relocatable : MainKind.Fixed;
        for (var i = 0; i < modules.Count; i++)
        {
            if (i != mainIndex && modules[i].Module.Dylink is null)
            {
                errors.Add($"{modules[i].Name}: not a shared library: it has no dylink.0 section");
            }
        }

        ThrowIfAny(rootName, errors);
        var context = new PlanContext(modules, mainIndex, kind, options, errors);
        var plan = context.Build();
        ThrowIfAny(rootName, errors);
        return plan;
    }

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
        foreach (var m in loader.Modules.New.Where(m => m.Module.Dylink is null))
        {
            errors.Add($"{m.Name}: not a shared library: it has no dylink.0 section");
        }

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

    private static void ThrowIfAny(string rootName, List<string> errors)
    {
        if (errors.Count == 0)
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
