using System.Collections.Immutable;

namespace Dylink.Format;

/// <summary>An import: what the module needs from its environment.</summary>
/// <param name="Module">The module name (<c>env</c>, <c>GOT.mem</c>, <c>GOT.func</c>, <c>wasi_snapshot_preview1</c>, …).</param>
/// <param name="Name">The field name.</param>
/// <param name="Kind">What is imported.</param>
/// <param name="Index">The index the import takes in its kind's index space (imports come first).</param>
/// <param name="TypeIndex">For a function or tag: its type index; otherwise 0.</param>
/// <param name="Table">For a table: its type.</param>
/// <param name="Memory">For a memory: its limits.</param>
/// <param name="Global">For a global: its type.</param>
public sealed record Import(
    string Module, string Name, ExternalKind Kind, uint Index, uint TypeIndex, TableType? Table, Limits? Memory, GlobalType? Global);

/// <summary>An export.</summary>
/// <param name="Name">The export name.</param>
/// <param name="Kind">What is exported.</param>
/// <param name="Index">The index in its kind's index space.</param>
public sealed record Export(string Name, ExternalKind Kind, uint Index);

/// <summary>A global defined by the module.</summary>
/// <param name="Index">Its index in the global index space.</param>
/// <param name="Type">Its type.</param>
/// <param name="Init">Its initialiser.</param>
public sealed record GlobalDefinition(uint Index, GlobalType Type, ConstExpr Init);

/// <summary>How a data or element segment is applied.</summary>
public enum SegmentMode
{
    /// <summary>Copied into a memory or table at instantiation.</summary>
    Active,
    /// <summary>Copied on demand by <c>memory.init</c> / <c>table.init</c>.</summary>
    Passive,
    /// <summary>Only declares function references (element segments).</summary>
    Declarative,
}

/// <summary>An element segment.</summary>
/// <param name="Mode">How it is applied.</param>
/// <param name="TableIndex">The target table, for an active segment.</param>
/// <param name="Offset">The offset expression, for an active segment.</param>
/// <param name="ElementType">The reference type of the elements.</param>
/// <param name="Elements">The function index of each element, or <see langword="null"/> for an expression that is not <c>ref.func</c>.</param>
public sealed record ElementSegment(SegmentMode Mode, uint TableIndex, ConstExpr? Offset, ValueType ElementType, ImmutableArray<uint?> Elements);

/// <summary>A data segment (its bytes stay in the module; only their place is recorded).</summary>
/// <param name="Mode">How it is applied.</param>
/// <param name="MemoryIndex">The target memory, for an active segment.</param>
/// <param name="Offset">The offset expression, for an active segment.</param>
/// <param name="DataOffset">Absolute offset of the segment's bytes in the module.</param>
/// <param name="Size">Number of bytes.</param>
public sealed record DataSegment(SegmentMode Mode, uint MemoryIndex, ConstExpr? Offset, long DataOffset, int Size);

/// <summary>Where one function body is in the module.</summary>
/// <param name="Offset">Absolute offset of the body (after its size field).</param>
/// <param name="Size">Size of the body in bytes.</param>
public readonly record struct FunctionBody(long Offset, int Size);

/// <summary>An exception tag defined by the module.</summary>
/// <param name="Index">Its index in the tag index space.</param>
/// <param name="TypeIndex">The type index of its parameters.</param>
public sealed record TagDefinition(uint Index, uint TypeIndex);
