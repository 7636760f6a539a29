using System.Security.Cryptography;
using Dylink.Format;
using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// Compiles modules into the on-disk compiled-code cache ahead of time (at install time), so that the first load
/// of a program finds its code there instead of compiling it: the same bytes the loader would compile (with the
/// memory export a WASI-calling module gets, <see cref="MemoryExport"/>), on the same engine configuration, stored
/// under the same key (<see cref="ArtifactStore"/>). A module whose entry is already there and whole is not compiled again.
/// </summary>
public static class Precompiler
{
    /// <summary>Compiles each file into <see cref="DynamicLinkerOptions.CacheDirectory"/>, several at a time.</summary>
    /// <param name="files">Wasm modules (main modules or libraries).</param>
    /// <param name="options">The options later loads use: their cache directory, and the settings that change the
    /// engine configuration (<see cref="DynamicLinkerOptions.Timeout"/> and <see cref="DynamicLinkerOptions.AllowReloadWhileRunning"/>
    /// compile in epoch checks, so code compiled without them is not reused by such loads, and the other way round).</param>
    /// <exception cref="ArgumentException">No cache directory is set.</exception>
    /// <exception cref="DylinkException">The cache directory is writable by other users (Unix).</exception>
    /// <exception cref="WasmFormatException">A file is not a well-formed module.</exception>
    /// <exception cref="IOException">A file cannot be read, or an entry cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">A file cannot be read, or an entry cannot be written.</exception>
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
        var store = ArtifactStore.Open(options)!;
        using var engine = new Engine(DynamicLinker.EngineConfig(options));
        var errors = new LoadException?[modules.Count];
        Parallel.For(0, modules.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var module = modules[i];
            try
            {
                // The form a load compiles (CompiledForm): the memory export for modules that import memory and call
                // WASI, and calls through call tables.
                var bytes = CompiledForm.Of(module, MemoryExport.IsNeeded(module, hostModules), options.CallTables).Bytes.Span;
                var hash = SHA256.HashData(bytes);
                using var stored = store.TryLoad(engine, module.Name, hash);
                if (stored is null)
                {
                    using var compiled = Module.FromBytes(engine, module.Name, bytes);
                    store.Write(hash, compiled);
                }
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
