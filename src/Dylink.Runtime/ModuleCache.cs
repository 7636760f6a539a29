using System.Security.Cryptography;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// Compiled modules by content hash, for the life of one linker: a library opened, closed and opened again (or
/// reloaded unchanged, or needed by several programs' loads) is compiled once. Across processes, Wasmtime's own
/// on-disk cache (<see cref="DynamicLinkerOptions.CacheDirectory"/>) plays the same role.
/// </summary>
internal sealed class ModuleCache : IDisposable
{
    private readonly Dictionary<string, Module> _modules = new(StringComparer.Ordinal);

    public int Count => _modules.Count;

    /// <exception cref="WasmtimeException">The bytes do not compile.</exception>
    public Module Get(Engine engine, string name, ReadOnlySpan<byte> bytes)
    {
        var key = Convert.ToHexString(SHA256.HashData(bytes));
        if (!_modules.TryGetValue(key, out var module))
        {
            module = Module.FromBytes(engine, name, bytes);
            _modules.Add(key, module);
        }

        return module;
    }

    public void Dispose()
    {
        foreach (var module in _modules.Values)
        {
            module.Dispose();
        }

        _modules.Clear();
    }
}
