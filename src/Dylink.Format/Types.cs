using System.Collections.Immutable;

namespace Dylink.Format;

/// <summary>A WebAssembly value type, encoded as its binary type byte.</summary>
public enum ValueType : byte
{
    /// <summary>32-bit integer.</summary>
    I32 = 0x7f,
    /// <summary>64-bit integer.</summary>
    I64 = 0x7e,
    /// <summary>32-bit float.</summary>
    F32 = 0x7d,
    /// <summary>64-bit float.</summary>
    F64 = 0x7c,
    /// <summary>128-bit vector (SIMD proposal).</summary>
    V128 = 0x7b,
    /// <summary>Nullable function reference.</summary>
    FuncRef = 0x70,
    /// <summary>Nullable external reference.</summary>
    ExternRef = 0x6f,
    /// <summary>Nullable exception reference (exception-handling proposal).</summary>
    ExnRef = 0x69,
}

/// <summary>The kind of an import or export.</summary>
public enum ExternalKind : byte
{
    /// <summary>A function.</summary>
    Function = 0,
    /// <summary>A table.</summary>
    Table = 1,
    /// <summary>A linear memory.</summary>
    Memory = 2,
    /// <summary>A global.</summary>
    Global = 3,
    /// <summary>An exception tag.</summary>
    Tag = 4,
}

/// <summary>A function signature.</summary>
/// <param name="Parameters">Parameter types in order.</param>
/// <param name="Results">Result types in order.</param>
public sealed record FuncType(ImmutableArray<ValueType> Parameters, ImmutableArray<ValueType> Results)
{
    /// <summary>Formats the signature as <c>(i32, i32) -> i32</c>, the form wasm-objdump uses.</summary>
    public override string ToString()
    {
        var parameters = "(" + string.Join(", ", Parameters.Select(WasmNames.Of)) + ")";
        var results = Results.Length switch
        {
            0 => "nil",
            1 => WasmNames.Of(Results[0]),
            _ => "(" + string.Join(", ", Results.Select(WasmNames.Of)) + ")",
        };
        return $"{parameters} -> {results}";
    }

    /// <summary>Structural equality: same parameter and result types.</summary>
    public bool Equals(FuncType? other) =>
        other is not null && Parameters.AsSpan().SequenceEqual(other.Parameters.AsSpan()) && Results.AsSpan().SequenceEqual(other.Results.AsSpan());

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var p in Parameters)
        {
            hash.Add(p);
        }

        hash.Add(-1);
        foreach (var r in Results)
        {
            hash.Add(r);
        }

        return hash.ToHashCode();
    }
}

/// <summary>Size limits of a memory (in pages) or a table (in elements).</summary>
/// <param name="Minimum">The initial size.</param>
/// <param name="Maximum">The maximum size, if any.</param>
/// <param name="Shared">A shared memory (threads proposal).</param>
/// <param name="Is64">Indexed by i64 (memory64 / table64 proposals).</param>
public readonly record struct Limits(ulong Minimum, ulong? Maximum, bool Shared, bool Is64);

/// <summary>A table's element type and limits.</summary>
/// <param name="ElementType">The reference type of the elements.</param>
/// <param name="Limits">The size limits.</param>
public sealed record TableType(ValueType ElementType, Limits Limits);

/// <summary>A global's value type and mutability.</summary>
/// <param name="ValueType">The value type.</param>
/// <param name="Mutable">Whether the global is mutable.</param>
public sealed record GlobalType(ValueType ValueType, bool Mutable);

/// <summary>Human-readable names for binary codes, as wasm-objdump prints them.</summary>
public static class WasmNames
{
    /// <summary>The text-format name of a value type.</summary>
    public static string Of(ValueType type) => type switch
    {
        ValueType.I32 => "i32",
        ValueType.I64 => "i64",
        ValueType.F32 => "f32",
        ValueType.F64 => "f64",
        ValueType.V128 => "v128",
        ValueType.FuncRef => "funcref",
        ValueType.ExternRef => "externref",
        ValueType.ExnRef => "exnref",
        _ => $"0x{(byte)type:x2}",
    };

    /// <summary>The lower-case name of a section kind, as used in error messages: <c>type</c>, <c>data count</c>.</summary>
    public static string Of(SectionId id) => id switch
    {
        SectionId.DataCount => "data count",
        _ => id.ToString().ToLowerInvariant(),
    };

    /// <summary>The lower-case name of an external kind.</summary>
    public static string Of(ExternalKind kind) => kind switch
    {
        ExternalKind.Function => "func",
        ExternalKind.Table => "table",
        ExternalKind.Memory => "memory",
        ExternalKind.Global => "global",
        ExternalKind.Tag => "tag",
        _ => $"0x{(byte)kind:x2}",
    };
}
