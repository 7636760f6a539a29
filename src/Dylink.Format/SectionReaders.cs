using System.Collections.Immutable;

namespace Dylink.Format;

/// <summary>Reads one element of a vector.</summary>
/// <typeparam name="T">The element type.</typeparam>
public delegate T ElementReader<T>(ref WasmReader reader);

/// <summary>Readers for the binary encodings shared by several sections (vectors, types, limits, segments).</summary>
public static class SectionReaders
{
    /// <summary>Reads a vector: a count checked against the bytes left (see <see cref="WasmReader.ReadCount"/>), then its elements.</summary>
    public static ImmutableArray<T> ReadVector<T>(ref WasmReader reader, int minElementSize, ElementReader<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var count = reader.ReadCount(minElementSize);
        var builder = ImmutableArray.CreateBuilder<T>(count);
        for (var i = 0; i < count; i++)
        {
            builder.Add(read(ref reader));
        }

        return builder.MoveToImmutable();
    }

    /// <summary>Reads a value type byte.</summary>
    /// <exception cref="WasmFormatException">The byte is not a value type this reader knows.</exception>
    public static ValueType ReadValueType(ref WasmReader reader)
    {
        var offset = reader.Offset;
        var b = reader.ReadByte();
        if (!Enum.IsDefined((ValueType)b))
        {
            reader.Throw(offset, $"invalid value type 0x{b:x2}");
        }

        return (ValueType)b;
    }

    /// <summary>Reads a reference type (<c>funcref</c>, <c>externref</c>, <c>exnref</c>).</summary>
    /// <exception cref="WasmFormatException">The byte is not a reference type.</exception>
    public static ValueType ReadRefType(ref WasmReader reader)
    {
        var offset = reader.Offset;
        var type = ReadValueType(ref reader);
        if (type is not (ValueType.FuncRef or ValueType.ExternRef or ValueType.ExnRef))
        {
            reader.Throw(offset, $"invalid reference type 0x{(byte)type:x2}");
        }

        return type;
    }

    /// <summary>Reads a function type: <c>0x60</c>, parameters, results.</summary>
    /// <exception cref="WasmFormatException">The form byte is not 0x60 or a type is invalid.</exception>
    public static FuncType ReadFuncType(ref WasmReader reader)
    {
        var offset = reader.Offset;
        var form = reader.ReadByte();
        if (form != 0x60)
        {
            reader.Throw(offset, form is 0x4e or 0x50 or 0x4f
                ? $"type form 0x{form:x2} (GC proposal) is not supported"
                : $"invalid function type form 0x{form:x2} (expected 0x60)");
        }

        return new FuncType(ReadValueTypes(ref reader), ReadValueTypes(ref reader));
    }

    private static ImmutableArray<ValueType> ReadValueTypes(ref WasmReader reader) => ReadVector(ref reader, 1, ReadValueType);

    /// <summary>Reads limits: a flags byte (bit 0 max present, bit 1 shared, bit 2 64-bit), minimum, optional maximum.</summary>
    /// <exception cref="WasmFormatException">The flags are invalid or the maximum is below the minimum.</exception>
    public static Limits ReadLimits(ref WasmReader reader, string what)
    {
        var offset = reader.Offset;
        var flags = reader.ReadByte();
        if ((flags & ~0x07) != 0)
        {
            reader.Throw(offset, $"invalid {what} limits flags 0x{flags:x2}");
        }

        var hasMax = (flags & 1) != 0;
        var shared = (flags & 2) != 0;
        var is64 = (flags & 4) != 0;
        if (shared && !hasMax)
        {
            reader.Throw(offset, $"shared {what} must have a maximum");
        }

        var min = is64 ? reader.ReadVarUInt64() : reader.ReadVarUInt32();
        ulong? max = hasMax ? (is64 ? reader.ReadVarUInt64() : reader.ReadVarUInt32()) : null;
        if (max < min)
        {
            reader.Throw(offset, $"{what} maximum {max} is below its minimum {min}");
        }

        return new Limits(min, max, shared, is64);
    }

    /// <summary>Reads a table type: reference type and limits.</summary>
    public static TableType ReadTableType(ref WasmReader reader)
    {
        var element = ReadRefType(ref reader);
        var offset = reader.Offset;
        var limits = ReadLimits(ref reader, "table");
        if (limits.Shared)
        {
            reader.Throw(offset, "a table cannot be shared");
        }

        return new TableType(element, limits);
    }

    /// <summary>Reads a memory type (its limits, in 64 KiB pages).</summary>
    public static Limits ReadMemoryType(ref WasmReader reader) => ReadLimits(ref reader, "memory");

    /// <summary>Reads a global type: value type and mutability byte.</summary>
    /// <exception cref="WasmFormatException">The mutability byte is neither 0 nor 1.</exception>
    public static GlobalType ReadGlobalType(ref WasmReader reader)
    {
        var type = ReadValueType(ref reader);
        var offset = reader.Offset;
        var mutability = reader.ReadByte();
        if (mutability > 1)
        {
            reader.Throw(offset, $"invalid mutability 0x{mutability:x2}");
        }

        return new GlobalType(type, mutability == 1);
    }

    /// <summary>Reads one function body's bounds and skips it.</summary>
    public static FunctionBody ReadFunctionBody(ref WasmReader reader)
    {
        var offset = reader.Offset;
        var body = reader.ReadSizedReader();
        if (body.IsAtEnd)
        {
            // Even an empty function has its local-declaration count and its end opcode.
            reader.Throw(offset, "empty function body");
        }

        return new FunctionBody(body.Offset, body.Remaining);
    }

    /// <summary>Reads a data segment (flags 0, 1 or 2) and skips its bytes.</summary>
    /// <exception cref="WasmFormatException">The flags are invalid.</exception>
    public static DataSegment ReadDataSegment(ref WasmReader reader)
    {
        var offset = reader.Offset;
        var flags = reader.ReadVarUInt32();
        var (mode, memory, expr) = flags switch
        {
            0 => (SegmentMode.Active, 0u, ConstExpr.Read(ref reader)),
            1 => (SegmentMode.Passive, 0u, null),
            2 => (SegmentMode.Active, reader.ReadVarUInt32(), ConstExpr.Read(ref reader)),
            _ => Invalid(ref reader, offset, flags),
        };
        var bytes = reader.ReadSizedReader();
        return new DataSegment(mode, memory, expr, bytes.Offset, bytes.Remaining);

        static (SegmentMode, uint, ConstExpr?) Invalid(ref WasmReader reader, long offset, uint flags)
        {
            reader.Throw(offset, $"invalid data segment flags {flags}");
            return default;
        }
    }

    /// <summary>Reads an element segment in any of the eight encodings (flags 0–7).</summary>
    /// <exception cref="WasmFormatException">The flags or element kind are invalid.</exception>
    public static ElementSegment ReadElementSegment(ref WasmReader reader)
    {
        var offset = reader.Offset;
        var flags = reader.ReadVarUInt32();
        if (flags > 7)
        {
            reader.Throw(offset, $"invalid element segment flags {flags}");
        }

        // Bit 0: passive or declarative; bit 1: explicit table index (active) or declarative; bit 2: expressions.
        var mode = (flags & 1) == 0 ? SegmentMode.Active : (flags & 2) == 0 ? SegmentMode.Passive : SegmentMode.Declarative;
        var table = mode == SegmentMode.Active && (flags & 2) != 0 ? reader.ReadVarUInt32() : 0u;
        var expr = mode == SegmentMode.Active ? ConstExpr.Read(ref reader) : null;
        var usesExpressions = (flags & 4) != 0;
        var type = ValueType.FuncRef;
        if ((flags & 3) != 0)
        {
            if (usesExpressions)
            {
                type = ReadRefType(ref reader);
            }
            else
            {
                var kindOffset = reader.Offset;
                var kind = reader.ReadByte();
                if (kind != 0)
                {
                    reader.Throw(kindOffset, $"invalid element kind 0x{kind:x2} (expected 0, funcref)");
                }
            }
        }

        var count = reader.ReadCount();
        var elements = ImmutableArray.CreateBuilder<uint?>(count);
        for (var i = 0; i < count; i++)
        {
            elements.Add(usesExpressions
                ? ConstExpr.Read(ref reader).Instructions is [{ Opcode: ConstOpcode.RefFunc } f] ? (uint)f.Immediate : null
                : reader.ReadVarUInt32());
        }

        return new ElementSegment(mode, table, expr, type, elements.MoveToImmutable());
    }
}
