using Dylink.Tests;

namespace Dylink.Format.Tests;

/// <summary>One hand-made module per throw site of the module reader; each message is pinned with its offset.</summary>
public class ModuleErrorTests
{
    [Theory]
    [InlineData("", "not a WebAssembly module: bad magic number (expected 00 61 73 6d) (at offset 0x0)")]
    [InlineData("00 61 73", "not a WebAssembly module: bad magic number (expected 00 61 73 6d) (at offset 0x0)")]
    [InlineData("00 61 73 6e 01 00 00 00", "not a WebAssembly module: bad magic number (expected 00 61 73 6d) (at offset 0x0)")]
    [InlineData("00 61 73 6d 02 00 00 00", "unsupported binary version 0x2 (expected 0x1) (at offset 0x4)")]
    [InlineData("00 61 73 6d 0d 00 01 00", "this is a WebAssembly component, not a core module (at offset 0x4)")]
    [InlineData("00 61 73 6d 01 00", "unexpected end of data: needed 4 bytes, 2 left (at offset 0x4)")]
    public void Header(string hex, string expected) => AssertError(Fixtures.Hex(hex), expected);

    [Theory]
    [InlineData("0e 00", "unknown section id 14 (at offset 0x8)")]
    [InlineData("01 05 00", "type section size 5 overruns the module (1 bytes left) (at offset 0x9)")]
    [InlineData("01 01 00 01 01 00", "duplicate type section (at offset 0xb)")]
    [InlineData("03 01 00 01 01 00", "type section out of order (after the function section) (at offset 0xb)")]
    [InlineData("01 02 00 00", "type section: 1 unread byte at the end (at offset 0xb)")]
    [InlineData("00 03 05 61 62", "name length 5 overruns the enclosing data (2 bytes left) (at offset 0xa)")]
    public void SectionFraming(string sections, string expected) => AssertError(Module(sections), expected);

    [Theory]
    [InlineData("01 04 01 61 00 00", "invalid function type form 0x61 (expected 0x60) (at offset 0xb)")]
    [InlineData("01 04 01 4e 00 00", "type form 0x4e (GC proposal) is not supported (at offset 0xb)")]
    [InlineData("01 04 01 60 01 40 00", "invalid value type 0x40 (at offset 0xd)")]
    [InlineData("01 05 01 60 00 02 7f", "count 2 exceeds the bytes left (1) (at offset 0xd)")]
    public void TypeSection(string sections, string expected) => AssertError(Module(sections), expected);

    [Theory]
    [InlineData("02 06 01 01 61 01 62 05", "invalid import kind 0x05 for a.b (at offset 0xf)")]
    [InlineData("02 07 01 01 61 01 62 00 00", "type index 0 out of range (0 types) (at offset 0x10)")]
    [InlineData("02 08 01 01 61 01 62 03 7f 02", "invalid mutability 0x02 (at offset 0x11)")]
    [InlineData("02 08 01 01 61 01 62 02 08 01", "invalid memory limits flags 0x08 (at offset 0x10)")]
    [InlineData("02 08 01 01 61 01 62 02 02 01", "shared memory must have a maximum (at offset 0x10)")]
    [InlineData("02 09 01 01 61 01 62 02 01 02 01", "memory maximum 1 is below its minimum 2 (at offset 0x10)")]
    [InlineData("02 0a 01 01 61 01 62 01 70 03 01 01", "a table cannot be shared (at offset 0x11)")]
    [InlineData("02 09 01 01 61 01 62 01 7f 00 00", "invalid reference type 0x7f (at offset 0x10)")]
    [InlineData("02 08 01 01 61 01 62 04 01 00", "invalid tag attribute 0x01 (expected 0, exception) (at offset 0x10)")]
    public void ImportSection(string sections, string expected) => AssertError(Module(sections), expected);

    [Theory]
    [InlineData("06 05 01 7f 00 41 01", "unexpected end of data: needed 1 byte, 0 left (at offset 0xf)")]
    [InlineData("06 05 01 7f 00 0b 00", "empty constant expression (at offset 0xd)")]
    [InlineData("06 06 01 7f 00 20 00 0b", "opcode 0x20 is not allowed in a constant expression (at offset 0xd)")]
    public void ConstantExpressions(string sections, string expected) => AssertError(Module(sections), expected);

    [Theory]
    [InlineData("07 05 01 01 66 05 00", "export \"f\": invalid export kind 0x05 (at offset 0xd)")]
    [InlineData("07 05 01 01 66 00 00", "export \"f\": func index 0 out of range (0 in the module) (at offset 0xb)")]
    [InlineData("01 04 01 60 00 00 03 03 02 00 00 07 09 02 01 66 00 00 01 66 00 01", "duplicate export name \"f\" (at offset 0x1a)")]
    [InlineData("08 01 00", "start function 0 out of range (0 functions) (at offset 0xa)")]
    public void ExportAndStart(string sections, string expected) => AssertError(Module(sections), expected);

    [Theory]
    [InlineData("01 04 01 60 00 00 03 02 01 00", "function and code section have inconsistent lengths (1 functions, 0 bodies) (at offset 0x0)")]
    [InlineData("01 04 01 60 00 00 03 02 01 00 0a 02 01 00", "empty function body (at offset 0x15)")]
    [InlineData("01 04 01 60 00 00 03 02 01 00 0a 04 01 05 00 0b", "size 5 overruns the enclosing data (2 bytes left) (at offset 0x15)")]
    [InlineData("0c 01 01 0b 01 00", "data count section says 1 segments, data section has 0 (at offset 0xb)")]
    [InlineData("0b 02 01 03", "invalid data segment flags 3 (at offset 0xb)")]
    [InlineData("09 02 01 08", "invalid element segment flags 8 (at offset 0xb)")]
    [InlineData("09 04 01 01 00 05", "count 5 exceeds the bytes left (0) (at offset 0xd)")]
    [InlineData("09 04 01 01 02 00", "invalid element kind 0x02 (expected 0, funcref) (at offset 0xc)")]
    public void CodeDataAndElements(string sections, string expected) => AssertError(Module(sections), expected);

    [Theory]
    [InlineData("01 01 00 01 01 00", "name section: subsection 1 out of order or repeated (at offset 0x12)")]
    [InlineData("01 07 02 00 01 61 00 01 61", "name section: index 0 named twice (at offset 0x15)")]
    [InlineData("01 02 00 00", "name subsection 1: 1 unread byte at the end (at offset 0x12)")]
    public void NameSection(string subsections, string expected)
    {
        var payload = Fixtures.Hex("04 6e 61 6d 65" + subsections.Replace(" ", "", StringComparison.Ordinal));
        AssertError([.. Fixtures.Hex(Dylink0Tests.Header), 0, (byte)payload.Length, .. payload], expected);
    }

    [Fact]
    public void ValidConstructs_FromWat_AreRead()
    {
        var bytes = Wasmtime.Module.ConvertText("""
            (module
              (type $t (func (param i32 i64 f32 f64) (result i32)))
              (import "env" "f" (func $f (type $t)))
              (import "env" "g" (global $g i32))
              (import "env" "m" (memory 1 10))
              (import "env" "t" (table 2 funcref))
              (tag $e (param i32))
              (global $x (mut i64) (i64.const -5))
              (global $y i32 (i32.add (global.get $g) (i32.const 16)))
              (func $h (result i32) i32.const 1)
              (elem (i32.const 0) $h $f)
              (elem declare func $h)
              (data (i32.const 8) "hi")
              (data "passive")
              (export "h" (func $h))
              (export "x" (global $x))
              (export "e" (tag $e))
              (start $h2)
              (func $h2))
            """);
        var m = WasmModule.Parse(bytes, "t.wasm");
        Assert.Equal("(i32, i64, f32, f64) -> i32", m.FunctionType(0).ToString());
        Assert.Equal("() -> i32", m.FunctionType(1).ToString());
        Assert.Equal(3, m.FunctionCount);
        Assert.Equal(new Limits(1, 10, false, false), m.Imports[2].Memory);
        Assert.Equal(-5, m.Globals[0].Init.IntegerConstant);
        Assert.Equal("global.get 0; i32.const 16; i32.add", m.Globals[1].Init.ToString());
        Assert.Null(m.Globals[1].Init.IntegerConstant);
        Assert.Equal([SegmentMode.Active, SegmentMode.Declarative], m.Elements.Select(e => e.Mode));
        Assert.Equal<uint?>([1, 0], m.Elements[0].Elements);
        Assert.Equal([SegmentMode.Active, SegmentMode.Passive], m.Data.Select(d => d.Mode));
        Assert.Equal("hi"u8.ToArray(), m.Bytes.Span.Slice((int)m.Data[0].DataOffset, m.Data[0].Size).ToArray());
        Assert.Equal(2u, m.StartFunction);
        Assert.Single(m.Tags);
        var tags = WasmModule.Parse(Wasmtime.Module.ConvertText("""
            (module (import "env" "t0" (tag (param i32))) (tag (param i64)) (tag (param f32)))
            """), "t.wasm").Tags;
        Assert.Equal([1u, 2u], tags.Select(t => t.Index));
        Assert.Equal(new GlobalType(ValueType.I64, true), m.GlobalType(1));
        Assert.Null(m.Dylink);
    }

    private static byte[] Module(string sections) => Fixtures.Hex(Dylink0Tests.Header + sections);

    private static void AssertError(byte[] bytes, string expected)
    {
        var e = Assert.Throws<WasmFormatException>(() => WasmModule.Parse(bytes, "t.wasm"));
        Assert.Equal("t.wasm: " + expected, e.Message);
    }
}
