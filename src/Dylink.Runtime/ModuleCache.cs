using System.Security.Cryptography;
using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// Compiled modules by content hash: a library opened, closed and opened again (or reloaded unchanged, or needed by
/// several programs' loads, or instantiated by every tenant of a <see cref="PreparedProgram"/>) is compiled once.
/// Across processes, Dylink's on-disk <see cref="ArtifactStore"/> (<see cref="DynamicLinkerOptions.CacheDirectory"/>)
/// plays the same role: a module it does not hold, or holds damaged, is compiled and stored.
/// </summary>
/// <remarks>Thread-safe: modules compile in parallel, and tenants of one prepared program share the cache. Compilation
/// runs outside the lock; if two threads compile the same bytes at once, the first to finish wins.</remarks>
internal sealed class ModuleCache(ArtifactStore? disk = null) : IDisposable
{
    private readonly Dictionary<string, Module> _modules = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The on-disk store behind this cache, if any.</summary>
    public ArtifactStore? Disk => disk;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _modules.Count;
            }
        }
    }

    /// <exception cref="WasmtimeException">The bytes do not compile.</exception>
    public Module Get(Engine engine, string name, ReadOnlySpan<byte> bytes)
    {
        var hash = SHA256.HashData(bytes);
        var key = Convert.ToHexString(hash);
        lock (_lock)
        {
            if (_modules.TryGetValue(key, out var cached))
            {
                return cached;
            }
        }

        var module = disk?.TryLoad(engine, name, hash);
        if (module is null)
        {
            module = Module.FromBytes(engine, name, bytes);
            disk?.TryWrite(hash, module);
        }

        lock (_lock)
        {
            if (_modules.TryGetValue(key, out var first))
            {
                module.Dispose();
                return first;
            }

            _modules.Add(key, module);
            return module;
        }
    }

    /// <summary>
    /// Compiles a planned module in the form a load uses (<see cref="CompiledForm"/>): a module that imports memory and
    /// calls WASI without exporting its memory gets the export added (<see cref="MemoryExport"/>), and with
    /// <paramref name="rewriteCalls"/> its calls of <c>env</c> imports go through call tables.
    /// </summary>
    /// <exception cref="LoadException">It does not compile.</exception>
    public Module Compile(Engine engine, PlannedModule m, bool rewriteCalls = true)
    {
        try
        {
            var form = FormOf(m, rewriteCalls);
            try
            {
                return Get(engine, m.Name, form.Bytes.Span);
            }
            catch (WasmtimeException) when (form.Calls is not null)
            {
                // Compiled as it is instead: it then loads with thunks (should the rewrite ever make a valid module
                // invalid), or it fails with the engine's message about its own bytes, offsets included.
                return Get(engine, m.Name, FormOf(m, rewriteCalls: false).Bytes.Span);
            }
        }
        catch (WasmtimeException e)
        {
            throw new LoadException(m.Name, $"{m.Name}: cannot compile: {e.Message}", e);
        }
    }

    /// <summary>The form a load compiles <paramref name="m"/> in, and its call table entries.</summary>
    public static CompiledForm FormOf(PlannedModule m, bool rewriteCalls)
    {
        var wasi = m.Imports.OfType<HostBinding>().Select(b => b.Import.Module).Where(module => module != ModuleSymbols.Env);
        return CompiledForm.Of(m.Module, MemoryExport.IsNeeded(m.Module, wasi), rewriteCalls);
    }

    /// <summary>Compiles <paramref name="modules"/> on up to one thread per core (Cranelift's own parallelism helps
    /// little for small modules; independent libraries compile side by side).</summary>
    /// <exception cref="LoadException">One of them does not compile (the first in plan order is reported).</exception>
    public Module[] CompileAll(Engine engine, IReadOnlyList<PlannedModule> modules, Action<CompileProgress>? progress = null, bool rewriteCalls = true)
    {
        if (modules.Count == 1)
        {
            // The usual dlopen: no thread-pool round trip for one module (about a fifth of a cached load's cost).
            progress?.Invoke(new CompileProgress(modules[0].Name, 1, 1));
            return [Compile(engine, modules[0], rewriteCalls)];
        }

        var compiled = new Module[modules.Count];
        var errors = new LoadException?[modules.Count];
        var started = 0;
        Parallel.For(0, modules.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            try
            {
                progress?.Invoke(new CompileProgress(modules[i].Name, Interlocked.Increment(ref started), modules.Count));
                compiled[i] = Compile(engine, modules[i], rewriteCalls);
            }
            catch (LoadException e)
            {
                errors[i] = e;
            }
        });
        return errors.FirstOrDefault(e => e is not null) is { } error ? throw error : compiled;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var module in _modules.Values)
            {
                module.Dispose();
            }

            _modules.Clear();
        }
    }
}
