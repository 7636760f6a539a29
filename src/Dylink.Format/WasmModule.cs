using System.Collections.Immutable;

namespace Dylink.Format;

/// <summary>
/// A parsed WebAssembly module: every section's contents except code and data bytes, plus its dynamic-linking
/// metadata. Immutable; produced by <see cref="Parse"/>, which validates the binary format strictly (structure,
/// section order, counts, LEB128) but not the code itself — Wasmtime validates that when it compiles.
/// </summary>
public sealed partial class WasmModule
{
    /// <summary>The name used in error messages (usually the file name).</summary>
    public required string Name { get; init; }

    /// <summary>The module's bytes.</summary>
    public required ReadOnlyMemory<byte> Bytes { get; init; }

    /// <summary>Every section in file order.</summary>
    public required ImmutableArray<SectionHeader> Sections { get; init; }

    /// <summary>The type section.</summary>
    public required ImmutableArray<FuncType> Types { get; init; }

    /// <summary>All imports in order.</summary>
    public required ImmutableArray<Import> Imports { get; init; }

    /// <summary>Type index of each defined function (function section), in definition order.</summary>
    public required ImmutableArray<uint> FunctionTypeIndices { get; init; }

    /// <summary>Defined tables.</summary>
    public required ImmutableArray<TableType> Tables { get; init; }

    /// <summary>Defined memories.</summary>
    public required ImmutableArray<Limits> Memories { get; init; }

    /// <summary>Defined tags.</summary>
    public required ImmutableArray<TagDefinition> Tags { get; init; }

    /// <summary>Defined globals.</summary>
    public required ImmutableArray<GlobalDefinition> Globals { get; init; }

    /// <summary>All exports in order.</summary>
    public required ImmutableArray<Export> Exports { get; init; }

    /// <summary>The start function's index, if any.</summary>
    public required uint? StartFunction { get; init; }

    /// <summary>Element segments.</summary>
    public required ImmutableArray<ElementSegment> Elements { get; init; }

    /// <summary>The data count section's value, if present.</summary>
    public required uint? DataCount { get; init; }

    /// <summary>Where each function body is.</summary>
    public required ImmutableArray<FunctionBody> Code { get; init; }

    /// <summary>Data segments.</summary>
    public required ImmutableArray<DataSegment> Data { get; init; }

    /// <summary>The dynamic-linking metadata (<c>dylink.0</c> or legacy <c>dylink</c>), if present.</summary>
    public required DylinkInfo? Dylink { get; init; }

    /// <summary>The <c>name</c> section, if present.</summary>
    public required NameSection? Names { get; init; }

    /// <summary>Number of imported functions: defined functions' indices start here.</summary>
    public int ImportedFunctionCount => ImportsOf(ExternalKind.Function).Length;

    /// <summary>Number of imported globals: defined globals' indices start here.</summary>
    public int ImportedGlobalCount => ImportsOf(ExternalKind.Global).Length;

    /// <summary>Total functions, imported and defined.</summary>
    public int FunctionCount => ImportedFunctionCount + FunctionTypeIndices.Length;

    /// <summary>Total globals, imported and defined.</summary>
    public int GlobalCount => ImportedGlobalCount + Globals.Length;

    // Lookups by index and by name, built once: callers query them per export and per import, and a module may
    // have hundreds of thousands of each.
    private ImmutableArray<Import>[]? _importsByKind;
    private Dictionary<string, Export>? _exportsByName;

    private ImmutableArray<Import> ImportsOf(ExternalKind kind)
    {
        _importsByKind ??= [.. Enum.GetValues<ExternalKind>().Select(k => Imports.Where(i => i.Kind == k).ToImmutableArray())];
        return _importsByKind[(int)kind];
    }

    /// <summary>The export named <paramref name="name"/>, if any.</summary>
    public Export? FindExport(string name)
    {
        _exportsByName ??= Exports.ToDictionary(e => e.Name, StringComparer.Ordinal);
        return _exportsByName.GetValueOrDefault(name);
    }

    /// <summary>The signature of the function at <paramref name="functionIndex"/> (imported or defined).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such function.</exception>
    public FuncType FunctionType(uint functionIndex)
    {
        var imported = ImportedFunctionCount;
        if (functionIndex < imported)
        {
            return Types[(int)ImportsOf(ExternalKind.Function)[(int)functionIndex].TypeIndex];
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(functionIndex, (uint)FunctionCount);
        return Types[(int)FunctionTypeIndices[(int)functionIndex - imported]];
    }

    /// <summary>The type of the global at <paramref name="globalIndex"/> (imported or defined).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such global.</exception>
    public GlobalType GlobalType(uint globalIndex)
    {
        var imported = ImportedGlobalCount;
        if (globalIndex < imported)
        {
            return ImportsOf(ExternalKind.Global)[(int)globalIndex].Global!;
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(globalIndex, (uint)GlobalCount);
        return Globals[(int)globalIndex - imported].Type;
    }

    /// <summary>The debug name of a function, from the <c>name</c> section, or the import/export name.</summary>
    public string? FunctionName(uint functionIndex)
    {
        if (Names is not null && Names.FunctionNames.TryGetValue(functionIndex, out var name))
        {
            return name;
        }

        if (functionIndex < ImportedFunctionCount)
        {
            return ImportsOf(ExternalKind.Function)[(int)functionIndex].Name;
        }

        return Exports.FirstOrDefault(e => e.Kind == ExternalKind.Function && e.Index == functionIndex)?.Name;
    }

}
