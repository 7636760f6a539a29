using System.Runtime.CompilerServices;
using System.Text;

namespace Dylink.Format;

/// <summary>
/// A forward-only cursor over WebAssembly binary data. Every read is bounds-checked and every
/// failure throws <see cref="WasmFormatException"/> naming the module and the absolute offset.
/// LEB128 decoding is strict as the core spec requires: at most ⌈N/7⌉ bytes for an N-bit integer, and the
/// unused bits of the last byte must be zero (or the sign extension, for signed integers).
/// </summary>
public ref struct WasmReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly long _baseOffset;
    private int _position;

    /// <summary>Creates a reader over <paramref name="data"/>.</summary>
    /// <param name="data">The bytes to read.</param>
    /// <param name="moduleName">Named in every error message.</param>
    /// <param name="baseOffset">The absolute offset of <paramref name="data"/>[0] in the module, for error messages.</param>
    public WasmReader(ReadOnlySpan<byte> data, string moduleName, long baseOffset = 0)
    {
        _data = data;
        ModuleName = moduleName;
        _baseOffset = baseOffset;
        _position = 0;
    }

    /// <summary>The module named in error messages.</summary>
    public string ModuleName { get; }

    /// <summary>Absolute offset of the next byte to be read.</summary>
    public readonly long Offset => _baseOffset + _position;

    /// <summary>Number of bytes not yet read.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool IsAtEnd => _position == _data.Length;

    /// <summary>Reads one byte.</summary>
    public byte ReadByte()
    {
        if (_position >= _data.Length)
        {
            ThrowEndOfData(1);
        }

        return _data[_position++];
    }

    /// <summary>Reads a little-endian 32-bit word (the header's version field).</summary>
    public uint ReadUInt32LittleEndian()
    {
        var bytes = ReadBytes(4);
        return (uint)(bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24));
    }

    /// <summary>Returns the next <paramref name="count"/> bytes without copying them.</summary>
    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > Remaining)
        {
            ThrowEndOfData(count);
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    /// <summary>Reads a <c>u32</c> LEB128 length and returns a reader bounded to that many following bytes.</summary>
    public WasmReader ReadSizedReader()
    {
        var start = Offset;
        var size = ReadVarUInt32();
        if (size > (uint)Remaining)
        {
            Throw(start, $"size {size} overruns the enclosing data ({Remaining} bytes left)");
        }

        return SubReader((int)size);
    }

    /// <summary>Returns a reader over the next <paramref name="length"/> bytes and skips them here.</summary>
    public WasmReader SubReader(int length)
    {
        var start = Offset;
        var bytes = ReadBytes(length);
        return new WasmReader(bytes, ModuleName, start);
    }

    /// <summary>
    /// Reads a vector length and checks it against the bytes left, assuming each element takes at least
    /// <paramref name="minElementSize"/> bytes, so that no allocation is ever sized by a lying length field.
    /// </summary>
    public int ReadCount(int minElementSize = 1)
    {
        var start = Offset;
        var count = ReadVarUInt32();
        if ((ulong)count * (ulong)Math.Max(minElementSize, 1) > (ulong)Remaining)
        {
            Throw(start, $"count {count} exceeds the bytes left ({Remaining})");
        }

        return (int)count;
    }

    /// <summary>Reads a length-prefixed UTF-8 name and validates its encoding.</summary>
    public string ReadName()
    {
        var start = Offset;
        var length = ReadVarUInt32();
        if (length > (uint)Remaining)
        {
            Throw(start, $"name length {length} overruns the enclosing data ({Remaining} bytes left)");
        }

        var bytes = ReadBytes((int)length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            Throw(start, "malformed UTF-8 encoding in name");
            return null!;
        }
    }

    /// <summary>Reads an unsigned 32-bit LEB128 integer (<c>u32</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadVarUInt32()
    {
        if (_position < _data.Length && _data[_position] < 0x80)
        {
            return _data[_position++];
        }

        return ReadVarUInt32Slow();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private uint ReadVarUInt32Slow()
    {
        var start = Offset;
        uint result = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = ReadByte();
            if (shift == 28)
            {
                // Fifth byte: only its low 4 bits fit in 32 bits, and it must end the encoding.
                if ((b & 0x80) != 0)
                {
                    ThrowLeb(start, "var_u32", tooLong: true);
                }

                if ((b & 0x70) != 0)
                {
                    ThrowLeb(start, "var_u32", tooLong: false);
                }
            }

            result |= (uint)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
    }

    /// <summary>Reads a signed 32-bit LEB128 integer (<c>s32</c>).</summary>
    public int ReadVarInt32()
    {
        var start = Offset;
        var result = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = ReadByte();
            if (shift == 28)
            {
                if ((b & 0x80) != 0)
                {
                    ThrowLeb(start, "var_s32", tooLong: true);
                }

                // Bits 4..6 of the fifth byte lie beyond bit 31: they must repeat the sign bit (bit 3).
                var unused = b & 0x78;
                if (unused != 0 && unused != 0x78)
                {
                    ThrowLeb(start, "var_s32", tooLong: false);
                }

                return result | ((b & 0x0f) << 28);
            }

            result |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                var used = shift + 7;
                return used < 32 ? (result << (32 - used)) >> (32 - used) : result;
            }
        }
    }

    /// <summary>Reads an unsigned 64-bit LEB128 integer (<c>u64</c>).</summary>
    public ulong ReadVarUInt64()
    {
        var start = Offset;
        ulong result = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = ReadByte();
            if (shift == 63)
            {
                // Tenth byte: only bit 0 fits in 64 bits, and it must end the encoding.
                if ((b & 0x80) != 0)
                {
                    ThrowLeb(start, "var_u64", tooLong: true);
                }

                if ((b & 0x7e) != 0)
                {
                    ThrowLeb(start, "var_u64", tooLong: false);
                }
            }

            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
    }

    /// <summary>Reads a signed 64-bit LEB128 integer (<c>s64</c>).</summary>
    public long ReadVarInt64()
    {
        var start = Offset;
        long result = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = ReadByte();
            if (shift == 63)
            {
                if ((b & 0x80) != 0)
                {
                    ThrowLeb(start, "var_s64", tooLong: true);
                }

                // Tenth byte: bit 0 is bit 63 (the sign); bits 1..6 must repeat it.
                if (b != 0x00 && b != 0x7f)
                {
                    ThrowLeb(start, "var_s64", tooLong: false);
                }

                return result | ((long)(b & 0x01) << 63);
            }

            result |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                var used = shift + 7;
                return (result << (64 - used)) >> (64 - used);
            }
        }
    }

    /// <summary>Fails unless every byte has been consumed; <paramref name="what"/> names the construct.</summary>
    public readonly void ExpectEnd(string what)
    {
        if (!IsAtEnd)
        {
            Throw(Offset, $"{what}: {Remaining} unread byte{(Remaining == 1 ? "" : "s")} at the end");
        }
    }

    /// <summary>Throws a <see cref="WasmFormatException"/> at the current offset.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public readonly void Fail(string reason) => Throw(Offset, reason);

    /// <summary>Throws a <see cref="WasmFormatException"/> at <paramref name="offset"/>.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public readonly void Throw(long offset, string reason) => throw new WasmFormatException(ModuleName, offset, reason);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private readonly void ThrowEndOfData(int needed) =>
        Throw(Offset, $"unexpected end of data: needed {needed} byte{(needed == 1 ? "" : "s")}, {Remaining} left");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private readonly void ThrowLeb(long start, string type, bool tooLong) =>
        Throw(start, tooLong ? $"invalid {type}: integer representation too long" : $"invalid {type}: integer too large");
}
