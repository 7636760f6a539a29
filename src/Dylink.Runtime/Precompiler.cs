using Dylink.Format;
using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// Compiles modules into the on-disk compiled-code cache ahead of time (at install time), so that the first load
/// of a program finds its code there instead of compiling it: the same bytes the loader would compile (with the
/// memory export a WASI-calling module gets, <see cref="MemoryExport"/>), on the same engine configuration.
/// </summary>
public static class Precompiler
{
    /// <summary>Compiles each file into <see cref="DynamicLinkerOptions.CacheDirectory"/>, several at a time.</summary>
    /// <param name="files">Wasm modules (main modules or libraries).</param>
    /// <param name="options">The options later loads use: their cache directory, and the settings that change the
    /// engine configuration (<see cref="DynamicLinkerOptions.Timeout"/> and <see cref="DynamicLinkerOptions.AllowReloadWhileRunning"/>
    /// compile in epoch checks, so code compiled without them is not reused by such loads, and the other way round).</param>
    /// <exception cref="ArgumentException">No cache directory is set.</exception>
    /// <exception cref="WasmFormatException">A file is not a well-formed module.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    /// <exception cref="LoadException">A module does not compile.</exception>
    public static void Precompile(IReadOnlyList<string> files, DynamicLinkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        if (options.CacheDirectory is null)
        {
            throw new ArgumentException("precompiling needs a cache directory", nameof(options));
        }

        var modules = files.Select(f => WasmModule.Parse(File.ReadAllBytes(f), f)).ToList();
        var hostModules = new LinkOptions().HostModules;
        using var engine = new Engine(DynamicLinker.EngineConfig(options));
        var errors = new LoadException?[modules.Count];
        Parallel.For(0, modules.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var module = modules[i];
            try
            {
                // Only the memory export is added by the loader, and only for modules that import memory and call WASI.
                using var compiled = MemoryExport.IsNeeded(module, hostModules)
                    ? Module.FromBytes(engine, module.Name, MemoryExport.Add(module))
                    : Module.FromBytes(engine, module.Name, module.Bytes.Span);
            }
            catch (WasmtimeException e)
            {
                errors[i] = new LoadException(module.Name, $"{module.Name}: cannot compile: {e.Message}", e);
            }
            catch (LoadException e)
            {
                errors[i] = e;
            }
        });
        if (errors.FirstOrDefault(e => e is not null) is { } error)
        {
            throw error;
        }
    }
}
