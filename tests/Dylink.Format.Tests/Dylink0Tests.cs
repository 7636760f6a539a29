using Dylink.Tests;

namespace Dylink.Format.Tests;

public class Dylink0Tests
{
    [Fact]
    public void AllSubsections_FromWat_AreRead()
    {
        var bytes = Wasmtime.Module.ConvertText("""
            (module
              (@dylink.0
                (mem-info (memory 16 2) (table 3 1))
                (needed "libc.so" "libm.so")
                (export-info "tls_counter" tls)
                (export-info "weak_def" binding-weak)
                (import-info "env" "maybe" binding-weak undefined)
                (import-info "GOT.mem" "weak_data" binding-weak undefined))
              (import "env" "maybe" (func (result i32))))
            """);
        var module = WasmModule.Parse(bytes, "t.so");
        var d = Assert.IsType<DylinkInfo>(module.Dylink);
        Assert.Equal(new MemInfo(16, 2, 3, 1), d.MemInfo);
        Assert.Equal<string>(["libc.so", "libm.so"], d.Needed);
        Assert.Equal<ExportInfo>([new ExportInfo("tls_counter", SymbolFlags.Tls), new ExportInfo("weak_def", SymbolFlags.BindingWeak)], d.ExportInfo);
        Assert.Equal(SymbolFlags.BindingWeak | SymbolFlags.Undefined, d.FlagsOfImport("GOT.mem", "weak_data"));
        Assert.Equal(SymbolFlags.Tls, d.FlagsOfExport("tls_counter"));
        Assert.Equal(SymbolFlags.None, d.FlagsOfExport("nope"));
        Assert.True(d.IsFirstSection);
        Assert.False(d.IsLegacy);
        Assert.Empty(d.Unknown);
    }

    [Fact]
    public void RuntimePath_AndUnknownSubsections_AreKept()
    {
        // dylink.0 with RUNTIME_PATH ["$ORIGIN/lib"] and an unknown subsection 9 of 2 bytes.
        var module = Parse(Section("dylink.0", "05 0d 01 0b 24 4f 52 49 47 49 4e 2f 6c 69 62", "09 02 aa bb"));
        var d = module.Dylink!;
        Assert.Equal<string>(["$ORIGIN/lib"], d.RuntimePath);
        var unknown = Assert.Single(d.Unknown);
        Assert.Equal(9, unknown.Type);
        Assert.Equal(2, unknown.Size);
        Assert.Equal(0xaa, module.Bytes.Span[(int)unknown.Offset]);
        Assert.Equal(default, d.MemInfo);
    }

    [Fact]
    public void LegacyDylinkSection_IsRead()
    {
        // memsize 8, align 3, table 1, align 0, needed ["a.so"]
        var d = Parse(Section("dylink", "08 03 01 00 01 04 61 2e 73 6f")).Dylink!;
        Assert.True(d.IsLegacy);
        Assert.Equal(new MemInfo(8, 3, 1, 0), d.MemInfo);
        Assert.Equal<string>(["a.so"], d.Needed);
    }

    [Fact]
    public void DylinkAfterAnotherSection_IsReadButNotFirst()
    {
        var bytes = Concat(Header, "01 01 00", Section("dylink.0", "01 04 10 02 00 00"));
        Assert.False(WasmModule.Parse(bytes, "t.so").Dylink!.IsFirstSection);
    }

    [Theory]
    [InlineData("01 05 10 02 00 00 00", "dylink.0 subsection MEM_INFO: 1 unread byte at the end (at offset 0x19)")]
    [InlineData("01 03 10 02 00", "dylink.0 subsection MEM_INFO: unexpected end of data: needed 1 byte, 0 left (at offset 0x18)")]
    [InlineData("01 09 10 02 00", "dylink.0 subsection MEM_INFO: size 9 overruns the section (3 bytes left) (at offset 0x14)")]
    [InlineData("01 04 10 20 00 00", "dylink.0 MEM_INFO: memory alignment 2^32 is too large (at offset 0x16)")]
    [InlineData("01 04 10 02 00 21", "dylink.0 MEM_INFO: table alignment 2^33 is too large (at offset 0x18)")]
    [InlineData("01 04 10 02 00 00 01 04 10 02 00 00", "dylink.0: duplicate MEM_INFO subsection (at offset 0x19)")]
    [InlineData("02 02 05 00", "dylink.0 subsection NEEDED: count 5 exceeds the bytes left (1) (at offset 0x15)")]
    [InlineData("02 03 01 01 ff", "dylink.0 subsection NEEDED: malformed UTF-8 encoding in name (at offset 0x16)")]
    [InlineData("02 03 01 05 61", "dylink.0 subsection NEEDED: name length 5 overruns the enclosing data (1 bytes left) (at offset 0x16)")]
    [InlineData("03 04 01 00 01 00", "dylink.0 subsection EXPORT_INFO: 1 unread byte at the end (at offset 0x18)")]
    [InlineData("04 02 01 00", "dylink.0 subsection IMPORT_INFO: count 1 exceeds the bytes left (1) (at offset 0x15)")]
    [InlineData("05 02 00 00", "dylink.0 subsection RUNTIME_PATH: 1 unread byte at the end (at offset 0x16)")]
    [InlineData("05 01 00 00", "unexpected end of data: needed 1 byte, 0 left (at offset 0x17)")]
    public void MalformedDylink0_IsRejectedWithOffset(string payload, string expected)
    {
        var e = Assert.Throws<WasmFormatException>(() => Parse(Section("dylink.0", payload)));
        Assert.Equal("t.so: " + expected, e.Message);
    }

    [Fact]
    public void TwoDynamicLinkingSections_AreRejected()
    {
        var e = Assert.Throws<WasmFormatException>(() => Parse(Section("dylink.0", "01 04 00 00 00 00"), Section("dylink", "00 00 00 00 00")));
        Assert.Equal("t.so: duplicate dynamic-linking section \"dylink\" (at offset 0x19)", e.Message);
    }

    [Fact]
    public void LegacySection_WithTrailingBytes_IsRejected()
    {
        var e = Assert.Throws<WasmFormatException>(() => Parse(Section("dylink", "00 00 00 00 00 07")));
        Assert.Equal("t.so: dylink section: 1 unread byte at the end (at offset 0x16)", e.Message);
    }

    internal static readonly string Header = "00 61 73 6d 01 00 00 00";

    internal static string Section(string name, params string[] payload)
    {
        var body = Fixtures.Hex(string.Concat(payload));
        var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
        var content = new byte[] { (byte)nameBytes.Length }.Concat(nameBytes).Concat(body).ToArray();
        Assert.True(content.Length < 128, "a one-byte section size keeps these hand-made offsets readable");
        return Convert.ToHexString([0, (byte)content.Length, .. content]);
    }

    internal static byte[] Concat(params string[] hex) => Fixtures.Hex(string.Concat(hex));

    private static WasmModule Parse(params string[] sections) => WasmModule.Parse(Concat([Header, .. sections]), "t.so");
}
