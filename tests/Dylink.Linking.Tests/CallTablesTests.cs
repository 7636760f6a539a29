using Dylink.Format;

namespace Dylink.Linking.Tests;

public class CallTablesTests
{
    private static WasmModule Parse(string wat) => WasmModule.Parse(Wasmtime.Module.ConvertText(wat), "m.wasm");

    private static WasmModule Bytes(params byte[] bytes) => WasmModule.Parse(bytes, "m.wasm");

    private static bool Contains(byte[] bytes, params byte[] part) => bytes.AsSpan().IndexOf(part) > 0;

    [Fact]
    public void Rewrite_GivesOneSlotPerCalledEnvImport_GroupedBySignature_InImportOrder()
    {
        var module = Parse("""
            (module
              (import "env" "a" (func $a (param i32) (result i32)))
              (import "wasi_snapshot_preview1" "w" (func $w (param i32) (result i32)))
              (import "env" "b" (func $b (result i32)))
              (import "env" "unused" (func $unused (param i32) (result i32)))
              (import "env" "c" (func $c (param i32) (result i32)))
              (func (export "f") (result i32)
                (call $c (call $a (call $w (call $b))))
                (return_call $a)))
            """);
        var rewritten = CallTables.Rewrite(module)!;
        Assert.Equal(
            [new CallSlot(0, "dylink:calls.0", 0), new CallSlot(2, "dylink:calls.1", 0), new CallSlot(4, "dylink:calls.0", 1)],
            rewritten.Slots.ToArray());
        Assert.Equal(new CallSlot(0, "dylink:calls.0", 0), rewritten.SlotOf(0));
        Assert.Equal(new CallSlot(2, "dylink:calls.1", 0), rewritten.SlotOf(2));
        Assert.Equal(new CallSlot(4, "dylink:calls.0", 1), rewritten.SlotOf(4));
        Assert.Null(rewritten.SlotOf(5));
        Assert.Null(rewritten.SlotOf(1)); // not from env
        Assert.Null(rewritten.SlotOf(3)); // never called
    }

    [Fact]
    public void Rewrite_SaysWhichImportsNothingButTheirCallsReferTo()
    {
        var module = Parse("""
            (module
              (type $t (func))
              (import "env" "only_called" (func $a))
              (import "env" "ref_func" (func $b))
              (import "env" "in_element" (func $c))
              (import "env" "exported" (func $d))
              (import "env" "in_global" (func $e))
              (import "env" "start" (func $f))
              (table 1 funcref)
              (global funcref (ref.func $e))
              (elem (i32.const 0) func $c)
              (export "d" (func $d))
              (start $f)
              (func (call $a) (call $b) (call $c) (call $d) (call $e) (call $f) (drop (ref.func $b))))
            """);
        var slots = CallTables.Rewrite(module)!.Slots;
        Assert.Equal([true, false, false, false, false, false], slots.Select(s => s.OnlyCalled).ToArray());
    }

    [Fact]
    public void Rewrite_KeepsEveryOtherByte_AndIsDeterministic()
    {
        var wat = """
            (module
              (import "env" "a" (func $a (param i32) (result i32)))
              (memory 1)
              (func (export "f") (param i32) (result i32) (call $a (local.get 0)))
              (data (i32.const 0) "abc"))
            """;
        var first = CallTables.Rewrite(Parse(wat))!.Bytes;
        Assert.Equal(first, CallTables.Rewrite(Parse(wat))!.Bytes);
        // call $a (0x10 0x00) became i32.const 0; call_indirect type 0, table 0 (the module's first table).
        Assert.True(Contains(first, 0x20, 0x00, 0x41, 0x00, 0x11, 0x00, 0x00, 0x0b));
        Assert.True(first.AsSpan().IndexOf("abc"u8) > 0);
    }

    [Fact]
    public void Rewrite_ReturnCall_BecomesReturnCallIndirect_AfterTheModulesOwnTables()
    {
        var rewritten = CallTables.Rewrite(Parse("""
            (module
              (import "env" "t" (table 1 funcref))
              (import "env" "a" (func $a (result i32)))
              (table 2 funcref)
              (func (export "f") (result i32) (return_call $a)))
            """))!;
        // i32.const 0; return_call_indirect type 0, table 2 (after the imported and the defined table).
        Assert.True(Contains(rewritten.Bytes, 0x41, 0x00, 0x13, 0x00, 0x02, 0x0b));
    }

    [Fact]
    public void Rewrite_NothingToRewrite_GivesNull()
    {
        Assert.Null(CallTables.Rewrite(Parse("""(module (func (export "f")))""")));
        Assert.Null(CallTables.Rewrite(Parse("""(module (import "env" "a" (func $a)) (func (export "f")))""")));
        Assert.Null(CallTables.Rewrite(Parse("""(module (import "wasi" "a" (func $a)) (func (export "f") (call $a)))""")));
        Assert.Null(CallTables.Rewrite(Parse("""(module (import "env" "a" (func $a)) (export "a" (func $a)))""")));
    }

    [Fact]
    public void Rewrite_StepsOverEveryKindOfInstruction()
    {
        // Calls after instructions of each immediate shape: a wrong length anywhere would lose the call after it.
        var module = Parse("""
            (module
              (type $t (func (param i32) (result i32)))
              (import "env" "a" (func $a (type $t)))
              (memory i64 1)
              (memory $m2 1)
              (table $tab 2 funcref)
              (tag $e (param i32))
              (data $d "x")
              (elem $el func $f)
              (func $f (export "f") (param i32) (result i32) (local f32 f64 v128 externref)
                (drop (call $a (i32.const -1)))
                (drop (i64.const -1234567890123))
                (drop (f32.const 1.5)) (drop (f64.const 2.5))
                (drop (i32.load offset=4 align=2 (i64.const 0)))
                (drop (i32.load $m2 offset=8 (i32.const 0)))
                (drop (memory.size $m2)) (drop (memory.grow (i64.const 0)))
                (memory.init $m2 $d (i32.const 0) (i32.const 0) (i32.const 0)) (data.drop $d)
                (memory.copy $m2 $m2 (i32.const 0) (i32.const 0) (i32.const 0))
                (memory.fill $m2 (i32.const 0) (i32.const 0) (i32.const 0))
                (table.init $tab $el (i32.const 0) (i32.const 0) (i32.const 0)) (elem.drop $el)
                (table.copy $tab $tab (i32.const 0) (i32.const 0) (i32.const 0))
                (drop (table.grow $tab (ref.null func) (i32.const 0)))
                (drop (table.size $tab)) (table.fill $tab (i32.const 0) (ref.null func) (i32.const 0))
                (drop (i32.trunc_sat_f32_s (f32.const 0)))
                (drop (select (result i32) (i32.const 1) (i32.const 2) (i32.const 0)))
                (drop (ref.is_null (ref.func $f)))
                (drop (v128.const i32x4 1 2 3 4))
                (drop (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (v128.const i64x2 0 0) (v128.const i64x2 0 0)))
                (drop (i32x4.extract_lane 3 (v128.const i64x2 0 0)))
                (drop (v128.load32_lane 2 (i64.const 0) (v128.const i64x2 0 0)))
                (drop (v128.load offset=16 (i64.const 0)))
                (drop (i32x4.add (v128.const i64x2 0 0) (v128.const i64x2 0 0)))
                (drop (i32.atomic.load (i64.const 0))) (atomic.fence)
                (block $out (result i32)
                  (loop $l
                    (br_table $l $out $l (i32.const 0) (i32.const 0)))
                  (i32.const 0))
                (drop)
                (block $h (result i32)
                  (try_table (catch $e $h) (catch_all $h)
                    (throw $e (i32.const 0)))
                  (i32.const 0))
                (drop)
                (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))
                (drop)
                (call_indirect $tab (type $t) (i32.const 0) (i32.const 0))
                (drop)
                (return_call $a (i32.const 7))))
            """);
        var rewritten = CallTables.Rewrite(module)!;
        Assert.Equal([new CallSlot(0, "dylink:calls.0", 0)], rewritten.Slots.ToArray());
        // Both calls were rewritten: the first (after the locals) and the tail call at the very end.
        Assert.True(Contains(rewritten.Bytes, 0x41, 0x7f, 0x41, 0x00, 0x11, 0x00, 0x01, 0x1a));
        Assert.True(Contains(rewritten.Bytes, 0x41, 0x07, 0x41, 0x00, 0x13, 0x00, 0x01, 0x0b));
    }

    [Fact]
    public void Rewrite_AddsTheSectionsAModuleLacks_InTheirPlace()
    {
        // No table, export or element section: the rewrite creates them in the binary format's order (the name section stays last).
        var rewritten = CallTables.Rewrite(Parse("""(module (import "env" "a" (func $a)) (memory 1) (func (call $a)))"""))!;
        var ids = new List<SectionId>();
        foreach (var section in new SectionWalker(rewritten.Bytes, "m.wasm"))
        {
            ids.Add(section.Id);
        }

        Assert.Equal([SectionId.Type, SectionId.Import, SectionId.Function, SectionId.Table, SectionId.Memory, SectionId.Export, SectionId.Element, SectionId.Code, SectionId.Custom], ids);
    }

    [Fact]
    public void Rewrite_UnknownInstruction_IsRefused()
    {
        // Type (func), import env.a, one function whose body is the GC proposal's ref.i31 (0xfb 0x1c) then call $a.
        var module = Bytes(
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
            0x02, 0x09, 0x01, 0x03, (byte)'e', (byte)'n', (byte)'v', 0x01, (byte)'a', 0x00, 0x00,
            0x03, 0x02, 0x01, 0x00,
            0x0a, 0x0b, 0x01, 0x09, 0x00, 0x41, 0x00, 0xfb, 0x1c, 0x1a, 0x10, 0x00, 0x0b);
        var e = Assert.Throws<WasmFormatException>(() => CallTables.Rewrite(module));
        Assert.Equal("m.wasm: cannot rewrite its calls: unknown instruction 0xfb (at offset 0x24)", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0xfc, 0x12 }, "0xfc 18", 0x22)]
    [InlineData(new byte[] { 0xfd, 0x94, 0x02 }, "0xfd 276", 0x22)]
    [InlineData(new byte[] { 0xfe, 0x04 }, "0xfe 4", 0x22)]
    [InlineData(new byte[] { 0x1f, 0x40, 0x01, 0x04 }, "try_table catch kind 0x04", 0x22)]
    public void Rewrite_UnknownPrefixedInstruction_IsRefused(byte[] instruction, string name, int offset)
    {
        var body = new byte[] { 0x00 }.Concat(instruction).Concat(new byte[] { 0x10, 0x00, 0x0b }).ToArray();
        var code = new byte[] { 0x01, (byte)body.Length }.Concat(body).ToArray();
        var module = Bytes([
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
            0x02, 0x09, 0x01, 0x03, (byte)'e', (byte)'n', (byte)'v', 0x01, (byte)'a', 0x00, 0x00,
            0x03, 0x02, 0x01, 0x00,
            0x0a, (byte)code.Length, .. code]);
        var e = Assert.Throws<WasmFormatException>(() => CallTables.Rewrite(module));
        Assert.Equal($"m.wasm: cannot rewrite its calls: unknown instruction {name} (at offset 0x{offset:x})", e.Message);
    }

    [Fact]
    public void Rewrite_ABodyCutShort_IsRefused()
    {
        // The body ends inside i32.const's immediate.
        var module = Bytes(
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
            0x02, 0x09, 0x01, 0x03, (byte)'e', (byte)'n', (byte)'v', 0x01, (byte)'a', 0x00, 0x00,
            0x03, 0x02, 0x01, 0x00,
            0x0a, 0x07, 0x01, 0x05, 0x00, 0x10, 0x00, 0x41, 0x80);
        Assert.Throws<WasmFormatException>(() => CallTables.Rewrite(module));
    }

    [Fact]
    public void Rewrite_AModuleExportingASettersName_IsRefused()
    {
        var module = Parse("""(module (import "env" "a" (func $a)) (func (export "dylink:calls.0") (call $a)))""");
        var e = Assert.Throws<WasmFormatException>(() => CallTables.Rewrite(module));
        Assert.Equal("m.wasm: cannot rewrite its calls: it already exports dylink:calls.0 (at offset 0x0)", e.Message);
    }
}
