using System.Text;

namespace Dylink.Fuzz;

/// <summary>Writes the WebAssembly binary encodings the generators need: LEB128 integers, names, sections.</summary>
internal sealed class WasmWriter
{
    private readonly List<byte> _bytes = [];

    public WasmWriter Byte(byte value)
    {
        _bytes.Add(value);
        return this;
    }

    public WasmWriter Bytes(ReadOnlySpan<byte> values)
    {
        foreach (var b in values)
        {
            _bytes.Add(b);
        }

        return this;
    }

    public WasmWriter U32(uint value) => U64(value);

    public WasmWriter U64(ulong value)
    {
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            _bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return this;
    }

    public WasmWriter S32(int value) => S64(value);

    public WasmWriter S64(long value)
    {
        while (true)
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            var done = (value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0);
            _bytes.Add(done ? b : (byte)(b | 0x80));
            if (done)
            {
                return this;
            }
        }
    }

    public WasmWriter Name(string name) => Name(Encoding.UTF8.GetBytes(name));

    public WasmWriter Name(ReadOnlySpan<byte> utf8)
    {
        U32((uint)utf8.Length);
        return Bytes(utf8);
    }

    /// <summary>A length-prefixed blob (a section or subsection payload).</summary>
    public WasmWriter Sized(WasmWriter payload) => Sized(payload.ToArray());

    public WasmWriter Sized(ReadOnlySpan<byte> payload)
    {
        U32((uint)payload.Length);
        return Bytes(payload);
    }

    public byte[] ToArray() => [.. _bytes];

    /// <summary>The encoding of <paramref name="value"/> as an unsigned LEB128.</summary>
    public static byte[] Leb(ulong value) => new WasmWriter().U64(value).ToArray();
}
