using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Dylink.Format;

namespace Dylink.Linking;

/// <summary>What a symbol names.</summary>
public enum SymbolKind
{
    /// <summary>A function: called directly through an <c>env</c> import, or by table index through <c>GOT.func</c>.</summary>
    Function,
    /// <summary>A data object: an address in linear memory (exported as an immutable global, imported through <c>GOT.mem</c>).</summary>
    Data,
    /// <summary>A thread-local data object: an offset from the owning module's <c>__tls_base</c>.</summary>
    Tls,
    /// <summary>A wasm global that is not an address (<c>__stack_pointer</c>, <c>__memory_base</c>, a mutable export).</summary>
    Global,
    /// <summary>An exception tag (<c>__cpp_exception</c>, <c>__c_longjmp</c>).</summary>
    Tag,
}

/// <summary>One symbol a module defines or needs, as the dynamic linker sees it.</summary>
/// <param name="Name">The symbol name; imports from modules other than <c>env</c>/<c>GOT.*</c> are qualified as <c>module.field</c>.</param>
/// <param name="Kind">What it names.</param>
/// <param name="IsDefined">True when the module defines (exports) it.</param>
/// <param name="Flags">Binding and visibility flags (from <c>dylink.0</c> EXPORT_INFO/IMPORT_INFO, or inferred).</param>
/// <param name="Value">For a defined function: its function index; for data/TLS: its offset (relative to
/// <c>__memory_base</c>/<c>__tls_base</c> in a relocatable module); for a global: its constant initialiser if it has one.</param>
/// <param name="Signature">For a function: its type; for a tag: its type (parameters only).</param>
/// <param name="GlobalType">For a global, data or TLS symbol: the wasm global's type.</param>
public sealed record ModuleSymbol(
    string Name, SymbolKind Kind, bool IsDefined, SymbolFlags Flags, long? Value, FuncType? Signature, GlobalType? GlobalType)
{
    /// <summary>True for weak binding: another definition may win, and an undefined weak symbol may stay unresolved.</summary>
    public bool IsWeak => (Flags & SymbolFlags.BindingWeak) != 0;

    /// <summary>True for hidden or local symbols, which other modules never see.</summary>
    public bool IsHidden => (Flags & (SymbolFlags.VisibilityHidden | SymbolFlags.BindingLocal)) != 0;
}

/// <summary>
/// Derives a module's symbols from its imports, exports and <c>dylink.0</c> flags, following the conventions wasm-ld
/// writes (tool-conventions <c>DynamicLinking.md</c>): <c>env.f</c> and <c>GOT.func.f</c> name function <c>f</c>,
/// <c>GOT.mem.d</c> names data <c>d</c>, an exported immutable integer global is a data address.
/// </summary>
public static class ModuleSymbols
{
    /// <summary>The import module of plain function and global imports.</summary>
    public const string Env = "env";

    /// <summary>The import module of data addresses.</summary>
    public const string GotMem = "GOT.mem";

    /// <summary>The import module of function table indices.</summary>
    public const string GotFunc = "GOT.func";

    // A module's symbols never change; the planner, the program scope, dlsym and dladdr all ask for them, so derive
    // them once per parsed module (held no longer than the module itself).
    private static readonly ConditionalWeakTable<WasmModule, StrongBox<ImmutableArray<ModuleSymbol>>> Cache = [];

    /// <summary>The module's symbols: defined ones first in export order, then undefined ones in import order.</summary>
    public static ImmutableArray<ModuleSymbol> Of(WasmModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Cache.GetValue(module, static m => new StrongBox<ImmutableArray<ModuleSymbol>>(Derive(m))).Value!;
    }

    private static ImmutableArray<ModuleSymbol> Derive(WasmModule module)
    {
        var defined = Defined(module);
        var definedNames = defined.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var undefined = new List<ModuleSymbol>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var import in module.Imports)
        {
            if (ToUndefined(module, import) is not { } symbol)
            {
                continue;
            }

            // A module imports its own exported data and functions through the GOT (they are interposable), and
            // a weak definition is also imported from env so that another module's definition can win: neither
            // makes the symbol undefined.
            if (definedNames.Contains(symbol.Name))
            {
                continue;
            }

            if (!seen.TryGetValue(symbol.Name, out var index))
            {
                seen.Add(symbol.Name, undefined.Count);
                undefined.Add(symbol);
                continue;
            }

            // env.f and GOT.func.f name one symbol: keep the signature from whichever carries it, and any strong
            // reference makes the symbol required, whatever the other references say.
            var existing = undefined[index];
            undefined[index] = existing with
            {
                Signature = existing.Signature ?? symbol.Signature,
                Flags = symbol.IsWeak ? existing.Flags : existing.Flags & ~SymbolFlags.BindingWeak,
            };
        }

        return [.. defined, .. undefined];
    }

    private static List<ModuleSymbol> Defined(WasmModule module)
    {
        var envFunctionImports = module.Imports
            .Where(i => i.Module == Env && i.Kind == ExternalKind.Function)
            .Select(i => i.Name)
            .ToHashSet(StringComparer.Ordinal);
        var result = new List<ModuleSymbol>();
        foreach (var export in module.Exports)
        {
            var flags = module.Dylink?.FlagsOfExport(export.Name) ?? SymbolFlags.None;
            switch (export.Kind)
            {
                case ExternalKind.Function:
                    if (envFunctionImports.Contains(export.Name))
                    {
                        flags |= SymbolFlags.BindingWeak;
                    }

                    result.Add(new ModuleSymbol(export.Name, SymbolKind.Function, true, flags, export.Index,
                        module.FunctionType(export.Index), null));
                    break;
                case ExternalKind.Global:
                    result.Add(DefinedGlobal(module, export, flags));
                    break;
                case ExternalKind.Tag:
                    result.Add(new ModuleSymbol(export.Name, SymbolKind.Tag, true, flags, export.Index, TagType(module, export.Index), null));
                    break;
            }
        }

        return result;
    }

    /// <summary>The type of tag <paramref name="index"/> (imported tags come first in the tag index space).</summary>
    internal static FuncType TagType(WasmModule module, uint index)
    {
        var imported = module.Imports.Where(i => i.Kind == ExternalKind.Tag).ToList();
        var typeIndex = index < imported.Count ? imported[(int)index].TypeIndex : module.Tags[(int)index - imported.Count].TypeIndex;
        return module.Types[(int)typeIndex];
    }

    private static ModuleSymbol DefinedGlobal(WasmModule module, Export export, SymbolFlags flags)
    {
        var type = module.GlobalType(export.Index);
        long? value = export.Index >= module.ImportedGlobalCount
            ? AddressOffset(module, module.Globals[(int)export.Index - module.ImportedGlobalCount].Init)
            : null;
        var isAddress = !type.Mutable && type.ValueType is Format.ValueType.I32 or Format.ValueType.I64;
        var kind = !isAddress ? SymbolKind.Global : (flags & SymbolFlags.Tls) != 0 ? SymbolKind.Tls : SymbolKind.Data;
        return new ModuleSymbol(export.Name, kind, true, flags, value, null, type);
    }

    /// <summary>An exported address: a constant, or <c>__memory_base</c> plus a constant (extended-const).</summary>
    internal static long? AddressOffset(WasmModule module, ConstExpr init) => init.IntegerConstant ?? init.Instructions switch
    {
        [{ Opcode: ConstOpcode.GlobalGet } get] when IsMemoryBase(module, get) => 0,
        [{ Opcode: ConstOpcode.GlobalGet } get, { Opcode: ConstOpcode.I32Const or ConstOpcode.I64Const } k, { Opcode: ConstOpcode.I32Add or ConstOpcode.I64Add }]
            when IsMemoryBase(module, get) => k.Immediate,
        _ => null,
    };

    private static bool IsMemoryBase(WasmModule module, ConstInstruction get) =>
        ElementSlots.IsImport(module, (uint)get.Immediate, WellKnownSymbols.MemoryBase);

    private static ModuleSymbol? ToUndefined(WasmModule module, Import import)
    {
        var flags = SymbolFlags.Undefined | ImportFlags(module, import);
        return (import.Module, import.Kind) switch
        {
            (Env, ExternalKind.Function) or (GotFunc, ExternalKind.Global) =>
                new ModuleSymbol(import.Name, SymbolKind.Function, false, flags, null,
                    import.Kind == ExternalKind.Function ? module.Types[(int)import.TypeIndex] : null, null),
            (GotMem, ExternalKind.Global) => new ModuleSymbol(import.Name, SymbolKind.Data, false, flags, null, null, import.Global),
            (Env, ExternalKind.Global) => new ModuleSymbol(import.Name, SymbolKind.Global, false, flags, null, null, import.Global),
            (Env, ExternalKind.Tag) => new ModuleSymbol(import.Name, SymbolKind.Tag, false, flags, null, module.Types[(int)import.TypeIndex], null),
            (_, ExternalKind.Function) => new ModuleSymbol($"{import.Module}.{import.Name}", SymbolKind.Function, false, flags, null,
                module.Types[(int)import.TypeIndex], null),
            _ => null,
        };
    }

    // clang sometimes attaches IMPORT_INFO to env.x rather than GOT.mem.x / GOT.func.x, so look in both places.
    private static SymbolFlags ImportFlags(WasmModule module, Import import) =>
        module.Dylink is not { } dylink
            ? SymbolFlags.None
            : dylink.FlagsOfImport(import.Module, import.Name) | (import.Module.StartsWith("GOT.", StringComparison.Ordinal)
                ? dylink.FlagsOfImport(Env, import.Name)
                : SymbolFlags.None);
}
