using Dylink.Format;

namespace Dylink.Linking;

/// <summary>
/// Decodes just enough of a function body to step over each instruction: its immediates, by opcode. Covers the core
/// instruction set with the proposals Wasmtime enables that clang and emcc emit or a hand-written module may use
/// (sign extension, saturating truncation, bulk memory, reference types, multi-memory, memory64, SIMD and relaxed SIMD,
/// threads' atomics, tail calls, typed function references, exception handling in both encodings, wide arithmetic).
/// The GC proposal's instructions (prefix <c>0xfb</c>) and any opcode not listed are refused: a caller must not guess
/// the length of what it does not know.
/// </summary>
internal static class Instructions
{
    /// <summary>Reads the immediates of the instruction whose opcode byte was just read.</summary>
    /// <exception cref="WasmFormatException">An unknown opcode, or immediates cut short.</exception>
    public static void SkipImmediates(ref WasmReader reader, byte opcode, long start)
    {
        switch (opcode)
        {
            case <= 0x01 or 0x05 or 0x0a or 0x0b or 0x0f or 0x19 or 0x1a or 0x1b or (>= 0x45 and <= 0xc4) or 0xd1 or 0xd3 or 0xd4:
                return; // no immediates: unreachable, nop, else, throw_ref, end, return, catch_all, drop, select, numeric, ref.*
            case 0x02 or 0x03 or 0x04 or 0x06: // block, loop, if, try (legacy exceptions)
                SkipBlockType(ref reader);
                return;
            case 0x07 or 0x08 or 0x09 or 0x0c or 0x0d or 0x10 or 0x12 or 0x14 or 0x15 or 0x18 or (>= 0x20 and <= 0x26) or 0xd2 or 0xd5 or 0xd6:
                reader.ReadVarUInt32(); // catch, throw, rethrow, br, br_if, call, return_call, call_ref, return_call_ref, delegate,
                return;                 // local.*, global.*, table.get/set, ref.func, br_on_null, br_on_non_null
            case 0x0e: // br_table
                var targets = reader.ReadCount();
                for (var i = 0; i <= targets; i++)
                {
                    reader.ReadVarUInt32();
                }

                return;
            case 0x11 or 0x13: // call_indirect, return_call_indirect: type, table
                reader.ReadVarUInt32();
                reader.ReadVarUInt32();
                return;
            case 0x1c: // select t*
                var types = reader.ReadCount();
                for (var i = 0; i < types; i++)
                {
                    SkipValueType(ref reader);
                }

                return;
            case 0x1f: // try_table
                SkipBlockType(ref reader);
                SkipCatches(ref reader, start);
                return;
            case >= 0x28 and <= 0x3e: // loads and stores
                SkipMemArg(ref reader);
                return;
            case 0x3f or 0x40: // memory.size, memory.grow
                reader.ReadVarUInt32();
                return;
            case 0x41:
                reader.ReadVarInt32();
                return;
            case 0x42:
                reader.ReadVarInt64();
                return;
            case 0x43:
                reader.ReadBytes(4);
                return;
            case 0x44:
                reader.ReadBytes(8);
                return;
            case 0xd0: // ref.null heap type
                SkipHeapType(ref reader);
                return;
            case 0xfc:
                SkipMiscellaneous(ref reader, start);
                return;
            case 0xfd:
                SkipVector(ref reader, start);
                return;
            case 0xfe:
                SkipAtomic(ref reader, start);
                return;
            default:
                throw Unknown(ref reader, start, $"0x{opcode:x2}");
        }
    }

    /// <summary>A value type: one byte, or a reference type with a heap type (<c>0x63</c>/<c>0x64</c>).</summary>
    public static void SkipValueType(ref WasmReader reader)
    {
        var type = reader.ReadByte();
        if (type is 0x63 or 0x64)
        {
            SkipHeapType(ref reader);
        }
    }

    private static void SkipBlockType(ref WasmReader reader)
    {
        // 0x40 (empty), a value type, or a type index as a positive s33; all three fit the s33 encoding except the
        // reference types that carry a heap type after their byte.
        var first = reader.Offset;
        var value = reader.ReadVarInt64();
        if (value is 0x63 - 0x80 or 0x64 - 0x80 && reader.Offset == first + 1)
        {
            SkipHeapType(ref reader);
        }
    }

    private static void SkipHeapType(ref WasmReader reader) => reader.ReadVarInt64();

    private static void SkipCatches(ref WasmReader reader, long start)
    {
        var catches = reader.ReadCount(2);
        for (var i = 0; i < catches; i++)
        {
            var kind = reader.ReadByte();
            switch (kind)
            {
                case 0x00 or 0x01: // catch, catch_ref: tag, label
                    reader.ReadVarUInt32();
                    reader.ReadVarUInt32();
                    break;
                case 0x02 or 0x03: // catch_all, catch_all_ref: label
                    reader.ReadVarUInt32();
                    break;
                default:
                    throw Unknown(ref reader, start, $"try_table catch kind 0x{kind:x2}");
            }
        }
    }

    private static void SkipMemArg(ref WasmReader reader)
    {
        var align = reader.ReadVarUInt32();
        if ((align & 0x40) != 0)
        {
            reader.ReadVarUInt32(); // memory index (multi-memory)
        }

        reader.ReadVarUInt64();
    }

    private static void SkipMiscellaneous(ref WasmReader reader, long start)
    {
        var op = reader.ReadVarUInt32();
        switch (op)
        {
            case <= 7 or (>= 19 and <= 22): // saturating truncation, wide arithmetic
                return;
            case 8 or 10 or 12 or 14: // memory.init, memory.copy, table.init, table.copy
                reader.ReadVarUInt32();
                reader.ReadVarUInt32();
                return;
            case 9 or 11 or 13 or 15 or 16 or 17: // data.drop, memory.fill, elem.drop, table.grow/size/fill
                reader.ReadVarUInt32();
                return;
            default:
                throw Unknown(ref reader, start, $"0xfc {op}");
        }
    }

    private static void SkipVector(ref WasmReader reader, long start)
    {
        var op = reader.ReadVarUInt32();
        switch (op)
        {
            case <= 11 or 92 or 93: // loads, store, load zero
                SkipMemArg(ref reader);
                return;
            case 12 or 13: // v128.const, i8x16.shuffle
                reader.ReadBytes(16);
                return;
            case >= 21 and <= 34: // extract/replace lane
                reader.ReadByte();
                return;
            case >= 84 and <= 91: // load/store lane
                SkipMemArg(ref reader);
                reader.ReadByte();
                return;
            case <= 0x113: // every other vector instruction, relaxed SIMD included, has no immediate
                return;
            default:
                throw Unknown(ref reader, start, $"0xfd {op}");
        }
    }

    private static void SkipAtomic(ref WasmReader reader, long start)
    {
        var op = reader.ReadVarUInt32();
        switch (op)
        {
            case 0x03: // atomic.fence
                reader.ReadByte();
                return;
            case <= 0x02 or (>= 0x10 and <= 0x4e):
                SkipMemArg(ref reader);
                return;
            default:
                throw Unknown(ref reader, start, $"0xfe {op}");
        }
    }

    private static WasmFormatException Unknown(ref WasmReader reader, long start, string opcode) =>
        new(reader.ModuleName, start, $"cannot rewrite its calls: unknown instruction {opcode}");
}
