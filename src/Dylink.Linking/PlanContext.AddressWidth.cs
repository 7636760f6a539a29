using System.Collections.Immutable;
using Dylink.Format;

namespace Dylink.Linking;

/// <summary>wasm32 or wasm64: one memory and one table serve every module, so all must agree on their index types.</summary>
internal sealed partial class PlanContext
{
    // Modules already reported as the wrong width: their address-typed imports would only repeat it.
    private readonly HashSet<int> _wrongWidth = [];

    /// <summary>
    /// The program's memory and table index types, from the first module (in load order) that imports or defines each;
    /// every other module must agree. With a <c>dlopen</c> the running program's decide.
    /// </summary>
    private (bool Memory64, bool Table64) AddressWidths()
    {
        var memory64 = Widths(MemoryIs64, scope?.Initial.Memory.Is64, "memory", "a wasm32 module (32-bit memory)", "a wasm64 module (64-bit memory)");
        var table64 = Widths(TableIs64, scope?.Initial.Memory.Table64, "table", "32-bit table indices", "64-bit table indices (table64)");
        return (memory64, table64);
    }

    private bool Widths(Func<int, bool?> widthOf, bool? running, string what, string narrow, string wide)
    {
        string Describe(bool is64) => is64 ? wide : narrow;
        // The start-up modules decided the running program's widths; libraries opened since agreed with them, so they
        // need not be walked (nor the tombstones of unloaded ones).
        var startUp = Math.Min(scope?.Initial.Modules.Length ?? 0, _first);
        var reference = Enumerable.Range(0, startUp).Concat(Enumerable.Range(_first, modules.Count - _first))
            .FirstOrDefault(i => widthOf(i) is not null, -1);
        if (running is { } existing && (reference < 0 || reference >= _first))
        {
            // The running program's memory or table exists already, created by the loader.
            foreach (var i in Enumerable.Range(_first, modules.Count - _first).Where(i => widthOf(i) is { } w && w != existing))
            {
                errors.Add($"{NameOf(i)}: {Describe(!existing)} cannot be loaded into this program, whose {what} the loader created with {Describe(existing)}");
                _wrongWidth.Add(i);
            }

            return existing;
        }

        if (reference < 0)
        {
            return false;
        }

        var width = widthOf(reference)!.Value;
        foreach (var i in Enumerable.Range(_first, modules.Count - _first).Where(i => widthOf(i) is { } w && w != width))
        {
            errors.Add($"{NameOf(i)}: {Describe(!width)} cannot be linked with {NameOf(reference)}, {Describe(width)}: one program has one {what}");
            _wrongWidth.Add(i);
        }

        return width;
    }

    private bool? MemoryIs64(int index)
    {
        var module = modules[index].Module;
        return module.Imports.FirstOrDefault(i => i.Kind == ExternalKind.Memory) is { } import ? import.Memory!.Value.Is64
            : module.Memories.Length > 0 ? module.Memories[0].Is64
            : null;
    }

    private bool? TableIs64(int index)
    {
        var module = modules[index].Module;
        return module.Imports.FirstOrDefault(i => i.Kind == ExternalKind.Table) is { } import ? import.Table!.Limits.Is64
            : module.Tables.Length > 0 ? module.Tables[0].Limits.Is64
            : null;
    }

    /// <summary>Every global the loader fills with an address (a base, the stack pointer, a GOT entry, a layout symbol)
    /// is i64 in a wasm64 program and i32 otherwise; clang gives <c>__table_base</c> and <c>GOT.func</c> the memory's
    /// width even when the table is 32-bit.</summary>
    private void CheckAddressTypes(int importer, ImmutableArray<ImportBinding> bindings, bool is64)
    {
        var expected = is64 ? Format.ValueType.I64 : Format.ValueType.I32;
        if (_wrongWidth.Contains(importer))
        {
            return;
        }

        foreach (var binding in bindings)
        {
            if (binding is StackPointerBinding or MemoryBaseBinding or TableBaseBinding or DataAddressBinding or FunctionAddressBinding or LayoutBinding
                && binding.Import.Global is { } global && global.ValueType != expected)
            {
                errors.Add($"{NameOf(importer)}: imports {binding.Import.Module}.{binding.Import.Name} as {WasmNames.Of(global.ValueType)}, " +
                    $"but addresses in a {(is64 ? "wasm64" : "wasm32")} program are {WasmNames.Of(expected)}");
            }
        }
    }
}
