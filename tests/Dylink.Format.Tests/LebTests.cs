using Dylink.Tests;

namespace Dylink.Format.Tests;

public class LebTests
{
    [Theory]
    [InlineData("00", 0u)]
    [InlineData("7f", 127u)]
    [InlineData("80 01", 128u)]
    [InlineData("80 00", 0u)] // not minimal, but within 5 bytes: valid per the spec
    [InlineData("e5 8e 26", 624485u)]
    [InlineData("ff ff ff ff 0f", uint.MaxValue)]
    [InlineData("80 80 80 80 00", 0u)]
    public void ReadVarUInt32_ValidEncodings(string hex, uint expected) =>
        Assert.Equal(expected, Read(hex, (ref WasmReader r) => r.ReadVarUInt32()));

    [Theory]
    [InlineData("00", 0)]
    [InlineData("7f", -1)]
    [InlineData("3f", 63)]
    [InlineData("40", -64)]
    [InlineData("c0 00", 64)]
    [InlineData("80 7f", -128)]
    [InlineData("ff ff ff ff 07", int.MaxValue)]
    [InlineData("80 80 80 80 78", int.MinValue)]
    [InlineData("ff ff ff ff 7f", -1)]
    public void ReadVarInt32_ValidEncodings(string hex, int expected) =>
        Assert.Equal(expected, Read(hex, (ref WasmReader r) => r.ReadVarInt32()));

    [Theory]
    [InlineData("00", 0ul)]
    [InlineData("80 01", 128ul)]
    [InlineData("ff ff ff ff 0f", 0xffffffffUL)]
    [InlineData("ff ff ff ff ff ff ff ff ff 01", ulong.MaxValue)]
    public void ReadVarUInt64_ValidEncodings(string hex, ulong expected) =>
        Assert.Equal(expected, Read(hex, (ref WasmReader r) => r.ReadVarUInt64()));

    [Theory]
    [InlineData("7f", -1L)]
    [InlineData("ff ff ff ff ff ff ff ff ff 00", long.MaxValue)]
    [InlineData("80 80 80 80 80 80 80 80 80 7f", long.MinValue)]
    [InlineData("ff ff ff ff 0f", 0xffffffffL)]
    public void ReadVarInt64_ValidEncodings(string hex, long expected) =>
        Assert.Equal(expected, Read(hex, (ref WasmReader r) => r.ReadVarInt64()));

    [Theory]
    [InlineData("u32", "80 80 80 80 80 00", "invalid var_u32: integer representation too long (at offset 0x0)")]
    [InlineData("u32", "ff ff ff ff 1f", "invalid var_u32: integer too large (at offset 0x0)")]
    [InlineData("u32", "80 80 80 80 10", "invalid var_u32: integer too large (at offset 0x0)")]
    [InlineData("u32", "80", "unexpected end of data: needed 1 byte, 0 left (at offset 0x1)")]
    [InlineData("s32", "80 80 80 80 80 00", "invalid var_s32: integer representation too long (at offset 0x0)")]
    [InlineData("s32", "ff ff ff ff 0f", "invalid var_s32: integer too large (at offset 0x0)")]
    [InlineData("s32", "80 80 80 80 70", "invalid var_s32: integer too large (at offset 0x0)")]
    [InlineData("u64", "80 80 80 80 80 80 80 80 80 80 00", "invalid var_u64: integer representation too long (at offset 0x0)")]
    [InlineData("u64", "ff ff ff ff ff ff ff ff ff 03", "invalid var_u64: integer too large (at offset 0x0)")]
    [InlineData("s64", "80 80 80 80 80 80 80 80 80 80 00", "invalid var_s64: integer representation too long (at offset 0x0)")]
    [InlineData("s64", "ff ff ff ff ff ff ff ff ff 01", "invalid var_s64: integer too large (at offset 0x0)")]
    [InlineData("s64", "80 80 80 80 80 80 80 80 80 7e", "invalid var_s64: integer too large (at offset 0x0)")]
    public void InvalidEncodings_AreRejectedWithDistinctMessages(string type, string hex, string expected)
    {
        var e = Assert.Throws<WasmFormatException>(() => Read(hex, (ref WasmReader r) => type switch
        {
            "u32" => r.ReadVarUInt32(),
            "s32" => r.ReadVarInt32(),
            "u64" => r.ReadVarUInt64(),
            _ => (object)r.ReadVarInt64(),
        }));
        Assert.Equal("t.wasm: " + expected, e.Message);
    }

    [Fact]
    public void Offsets_AreAbsolute_InSubReaders()
    {
        // The sub-reader holds four continuation bytes; the fifth lies outside it.
        var bytes = Fixtures.Hex("04 80 80 80 80 00");
        var e = Assert.Throws<WasmFormatException>(() =>
        {
            var reader = new WasmReader(bytes, "t.wasm", baseOffset: 0x100);
            var sub = reader.ReadSizedReader();
            sub.ReadVarUInt32();
        });
        Assert.Equal(0x105, e.Offset);
        Assert.Equal("t.wasm: unexpected end of data: needed 1 byte, 0 left (at offset 0x105)", e.Message);
    }

    private delegate T ReadFunc<T>(ref WasmReader reader);

    private static T Read<T>(string hex, ReadFunc<T> read)
    {
        var reader = new WasmReader(Fixtures.Hex(hex), "t.wasm");
        var value = read(ref reader);
        Assert.True(reader.IsAtEnd, "the whole encoding is consumed");
        return value;
    }
}
