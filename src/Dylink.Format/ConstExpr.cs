using System.Collections.Immutable;

namespace Dylink.Format;

/// <summary>The opcodes allowed in a constant expression (core spec plus extended-const and reference types).</summary>
public enum ConstOpcode : byte
{
    /// <summary><c>i32.const</c>.</summary>
    I32Const = 0x41,
    /// <summary><c>i64.const</c>.</summary>
    I64Const = 0x42,
    /// <summary><c>f32.const</c>.</summary>
    F32Const = 0x43,
    /// <summary><c>f64.const</c>.</summary>
    F64Const = 0x44,
    /// <summary><c>global.get</c>.</summary>
    GlobalGet = 0x23,
    /// <summary><c>ref.null</c>.</summary>
    RefNull = 0xd0,
    /// <summary><c>ref.func</c>.</summary>
    RefFunc = 0xd2,
    /// <summary><c>i32.add</c> (extended-const).</summary>
    I32Add = 0x6a,
    /// <summary><c>i32.sub</c> (extended-const).</summary>
    I32Sub = 0x6b,
    /// <summary><c>i32.mul</c> (extended-const).</summary>
    I32Mul = 0x6c,
    /// <summary><c>i64.add</c> (extended-const).</summary>
    I64Add = 0x7c,
    /// <summary><c>i64.sub</c> (extended-const).</summary>
    I64Sub = 0x7d,
    /// <summary><c>i64.mul</c> (extended-const).</summary>
    I64Mul = 0x7e,
}

/// <summary>One instruction of a constant expression.</summary>
/// <param name="Opcode">The instruction.</param>
/// <param name="Immediate">The constant (integers as is, floats as their bit pattern), or the global/function index,
/// or the heap type of <c>ref.null</c>.</param>
public readonly record struct ConstInstruction(ConstOpcode Opcode, long Immediate);

/// <summary>A constant expression: a global's initialiser, or a segment's offset.</summary>
/// <param name="Instructions">The instructions before <c>end</c>.</param>
public sealed record ConstExpr(ImmutableArray<ConstInstruction> Instructions)
{
    /// <summary>The value when the expression is a single <c>i32.const</c> or <c>i64.const</c>; otherwise null.</summary>
    public long? IntegerConstant =>
        Instructions is [{ Opcode: ConstOpcode.I32Const or ConstOpcode.I64Const } only] ? only.Immediate : null;

    /// <summary>The global index when the expression is a single <c>global.get</c>; otherwise null.</summary>
    public uint? GlobalGetIndex =>
        Instructions is [{ Opcode: ConstOpcode.GlobalGet } only] ? (uint)only.Immediate : null;

    /// <summary>The expression in text format, e.g. <c>i32.const 1024</c> or <c>global.get 1</c>.</summary>
    public override string ToString() => string.Join("; ", Instructions.Select(Format));

    private static string Format(ConstInstruction i) => i.Opcode switch
    {
        ConstOpcode.I32Const => $"i32.const {(int)i.Immediate}",
        ConstOpcode.I64Const => $"i64.const {i.Immediate}",
        ConstOpcode.F32Const => $"f32.const {BitConverter.Int32BitsToSingle((int)i.Immediate)}",
        ConstOpcode.F64Const => $"f64.const {BitConverter.Int64BitsToDouble(i.Immediate)}",
        ConstOpcode.GlobalGet => $"global.get {i.Immediate}",
        ConstOpcode.RefNull => "ref.null",
        ConstOpcode.RefFunc => $"ref.func {i.Immediate}",
        _ => i.Opcode.ToString().ToLowerInvariant().Insert(3, "."),
    };

    /// <summary>Reads a constant expression up to and including its <c>end</c> opcode.</summary>
    /// <exception cref="WasmFormatException">An instruction is not allowed in a constant expression, or <c>end</c> is missing.</exception>
    public static ConstExpr Read(ref WasmReader reader)
    {
        var instructions = ImmutableArray.CreateBuilder<ConstInstruction>(1);
        while (true)
        {
            var offset = reader.Offset;
            var opcode = reader.ReadByte();
            switch (opcode)
            {
                case 0x0b:
                    if (instructions.Count == 0)
                    {
                        reader.Throw(offset, "empty constant expression");
                    }

                    return new ConstExpr(instructions.DrainToImmutable());
                case (byte)ConstOpcode.I32Const:
                    instructions.Add(new(ConstOpcode.I32Const, reader.ReadVarInt32()));
                    break;
                case (byte)ConstOpcode.I64Const:
                    instructions.Add(new(ConstOpcode.I64Const, reader.ReadVarInt64()));
                    break;
                case (byte)ConstOpcode.F32Const:
                    instructions.Add(new(ConstOpcode.F32Const, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(reader.ReadBytes(4))));
                    break;
                case (byte)ConstOpcode.F64Const:
                    instructions.Add(new(ConstOpcode.F64Const, System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(reader.ReadBytes(8))));
                    break;
                case (byte)ConstOpcode.GlobalGet:
                case (byte)ConstOpcode.RefFunc:
                    instructions.Add(new((ConstOpcode)opcode, reader.ReadVarUInt32()));
                    break;
                case (byte)ConstOpcode.RefNull:
                    instructions.Add(new(ConstOpcode.RefNull, reader.ReadByte()));
                    break;
                case (byte)ConstOpcode.I32Add or (byte)ConstOpcode.I32Sub or (byte)ConstOpcode.I32Mul
                    or (byte)ConstOpcode.I64Add or (byte)ConstOpcode.I64Sub or (byte)ConstOpcode.I64Mul:
                    instructions.Add(new((ConstOpcode)opcode, 0));
                    break;
                default:
                    reader.Throw(offset, $"opcode 0x{opcode:x2} is not allowed in a constant expression");
                    break;
            }
        }
    }
}
