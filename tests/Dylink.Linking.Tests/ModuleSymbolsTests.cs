using Dylink.Format;
using Dylink.Tests;

namespace Dylink.Linking.Tests;

public class ModuleSymbolsTests
{
    private static ModuleSymbol Symbol(WasmModule module, string name) =>
        Assert.Single(ModuleSymbols.Of(module), s => s.Name == name);

    private static WasmModule Wat(string wat) => WasmModule.Parse(Wasmtime.Module.ConvertText(wat), "t.so");

    [Fact]
    public void EnvFunctionImport_IsAnUndefinedFunction_WithItsSignature()
    {
        var s = Symbol(Wat("""(module (import "env" "f" (func (param i32 i64) (result f32))))"""), "f");
        Assert.Equal(SymbolKind.Function, s.Kind);
        Assert.False(s.IsDefined);
        Assert.False(s.IsWeak);
        Assert.Equal("(i32, i64) -> f32", s.Signature!.ToString());
    }

    [Fact]
    public void GotFuncAndEnvImports_OfOneName_AreOneSymbol_KeepingTheSignature()
    {
        var m = Wat("""
            (module
              (import "GOT.func" "f" (global (mut i32)))
              (import "env" "f" (func (result i32))))
            """);
        var s = Symbol(m, "f");
        Assert.Equal("() -> i32", s.Signature!.ToString());
    }

    [Fact]
    public void GotMemImport_IsUndefinedData()
    {
        var s = Symbol(Wat("""(module (import "GOT.mem" "d" (global (mut i32))))"""), "d");
        Assert.Equal(SymbolKind.Data, s.Kind);
        Assert.False(s.IsDefined);
    }

    [Fact]
    public void WeakImportInfo_OnEnv_AppliesToTheGotImport()
    {
        // clang sometimes attaches IMPORT_INFO to env.x although the import is GOT.mem.x.
        var m = Wat("""
            (module
              (@dylink.0 (import-info "env" "d" binding-weak undefined))
              (import "GOT.mem" "d" (global (mut i32))))
            """);
        Assert.True(Symbol(m, "d").IsWeak);
    }

    [Fact]
    public void AStrongReference_MakesAWeakSymbolRequired()
    {
        var m = Wat("""
            (module
              (@dylink.0 (import-info "GOT.func" "f" binding-weak undefined))
              (import "GOT.func" "f" (global (mut i32)))
              (import "env" "f" (func)))
            """);
        Assert.False(Symbol(m, "f").IsWeak);
    }

    [Fact]
    public void ExportedImmutableI32Global_IsData_WithItsOffset()
    {
        var s = Symbol(Wat("""(module (global (export "d") i32 (i32.const 24)))"""), "d");
        Assert.Equal(SymbolKind.Data, s.Kind);
        Assert.True(s.IsDefined);
        Assert.Equal(24, s.Value);
    }

    [Fact]
    public void ExtendedConstAddress_HasItsOffsetAsValue()
    {
        var s = Symbol(Wat("""
            (module
              (import "env" "__memory_base" (global i32))
              (global (export "d") i32 (i32.add (global.get 0) (i32.const 12))))
            """), "d");
        Assert.Equal(SymbolKind.Data, s.Kind);
        Assert.Equal(12, s.Value);
    }

    [Fact]
    public void ExportedMutableGlobal_IsAGlobal()
    {
        var s = Symbol(Wat("""(module (global (export "sp") (mut i32) (i32.const 1024)))"""), "sp");
        Assert.Equal(SymbolKind.Global, s.Kind);
    }

    [Fact]
    public void TlsExportInfo_MakesDataThreadLocal()
    {
        var m = Wat("""
            (module
              (@dylink.0 (export-info "t" tls))
              (global (export "t") i32 (i32.const 4)))
            """);
        Assert.Equal(SymbolKind.Tls, Symbol(m, "t").Kind);
    }

    [Fact]
    public void OwnExport_ImportedThroughTheGot_IsNotUndefined()
    {
        var m = Wat("""
            (module
              (import "GOT.mem" "d" (global (mut i32)))
              (global (export "d") i32 (i32.const 0)))
            """);
        Assert.True(Symbol(m, "d").IsDefined);
    }

    [Fact]
    public void ExportedFunction_AlsoImportedFromEnv_IsAWeakDefinition()
    {
        // wasm-ld keeps a weak definition interposable by importing it from env as well (fixture libweak_def.so).
        var s = Symbol(WasmModule.Parse(Fixtures.Bytes("libweak_def.so"), "libweak_def.so"), "weak_fn");
        Assert.True(s.IsDefined);
        Assert.True(s.IsWeak);
        Assert.Equal(SymbolKind.Function, s.Kind);
    }

    [Fact]
    public void ImportsFromOtherModules_AreQualified()
    {
        var m = Wat("""(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))))""");
        Assert.Equal(SymbolKind.Function, Symbol(m, "wasi_snapshot_preview1.proc_exit").Kind);
    }

    [Fact]
    public void MemoryAndTableImports_AreNotSymbols()
    {
        var m = Wat("""(module (import "env" "memory" (memory 1)) (import "env" "__indirect_function_table" (table 0 funcref)))""");
        Assert.Empty(ModuleSymbols.Of(m));
    }

    [Fact]
    public void RealSideModule_HasTheExpectedSymbols()
    {
        var symbols = ModuleSymbols.Of(WasmModule.Parse(Fixtures.Bytes("libside.so"), "libside.so"));
        Assert.Equal(
            ["side_func", "side_data_ptr", "host_add_ptr", "side_data"],
            symbols.Where(s => s.IsDefined && !s.Name.StartsWith("__", StringComparison.Ordinal)).Select(s => s.Name));
        Assert.Equal(
            ["__stack_pointer", "__memory_base", "__table_base", "host_add", "external_counter"],
            symbols.Where(s => !s.IsDefined).Select(s => s.Name));
    }
}
