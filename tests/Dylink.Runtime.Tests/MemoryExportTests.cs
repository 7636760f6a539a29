using Dylink.Format;

namespace Dylink.Runtime.Tests;

public class MemoryExportTests
{
    private const string PieMainCallingWasi = """
        (module
          (@dylink.0 (mem-info (memory 0 0)))
          (import "env" "memory" (memory 1))
          (import "env" "__memory_base" (global i32))
          (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
          (func (export "_start")
            ;; "hi\n" at 16, one iovec {16, 3} at 0, bytes written at 8: all below the loader's first region.
            (i32.store (i32.const 16) (i32.const 0x0a6968))
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 3))
            (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
        """;

    [Fact]
    public void PieMain_ThatDoesNotExportItsMemory_CanStillCallWasi()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dylink-pie-{Guid.NewGuid():N}.wasm");
        File.WriteAllBytes(path, Wasmtime.Module.ConvertText(PieMainCallingWasi));
        try
        {
            using var linker = new DynamicLinker();
            var output = new System.Text.StringBuilder();
            linker.ConfigureWasi(new Wasmtime.WasiConfiguration().WithStandardOutputCallback(b => output.Append(System.Text.Encoding.UTF8.GetString(b))));
            linker.Load(path);
            Assert.Equal(0, linker.RunMain());
            Assert.Equal("hi\n", output.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Add_WithoutAnExportSection_InsertsOneInPlace()
    {
        var module = WasmModule.Parse(Wasmtime.Module.ConvertText("""
            (module (import "env" "memory" (memory 1)) (func) (data (i32.const 0) "x"))
            """), "t.wasm");
        var rewritten = WasmModule.Parse(MemoryExport.Add(module), "t.wasm");
        Assert.Equal<Export>([new Export("memory", ExternalKind.Memory, 0)], rewritten.Exports);
        Assert.Equal(module.Code.Length, rewritten.Code.Length);
        Assert.Equal(module.Data.Length, rewritten.Data.Length);
    }

    [Fact]
    public void Add_WithAnExportSection_AppendsTheEntry()
    {
        var module = WasmModule.Parse(Wasmtime.Module.ConvertText(PieMainCallingWasi), "t.wasm");
        Assert.True(MemoryExport.IsNeeded(module, ["wasi_snapshot_preview1"]));
        var rewritten = WasmModule.Parse(MemoryExport.Add(module), "t.wasm");
        Assert.Equal(["_start", "memory"], rewritten.Exports.Select(e => e.Name));
        Assert.False(MemoryExport.IsNeeded(rewritten, ["wasi_snapshot_preview1"]));
    }

    [Fact]
    public void Add_WhenMemoryNamesSomethingElse_Fails()
    {
        var module = WasmModule.Parse(Wasmtime.Module.ConvertText("""
            (module (import "env" "memory" (memory 1)) (func (export "memory")))
            """), "t.wasm");
        var e = Assert.Throws<LoadException>(() => MemoryExport.Add(module));
        Assert.Equal("t.wasm: calls WASI but exports \"memory\" as something other than its memory", e.Message);
    }
}
