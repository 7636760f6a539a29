using Dylink.Linking;
using Dylink.Linking.Tests;
using Dylink.Tests;

namespace Dylink.Runtime.Tests;

/// <summary>
/// wasm64 programs built by clang-19 and clang-22 (tests/fixtures/src/wasm64): a PIE main64.wasm that NEEDs
/// libside64.so, which NEEDs libbase64.so. 64-bit memory and table, i64 bases, stack pointer and GOT entries.
/// </summary>
public class Wasm64Tests
{
    /// <summary>A wasm64 library whose constructor registers a handler (noting 0x1_0000_0007) with <c>__cxa_atexit</c>.</summary>
    internal const string Dtor64Library = """
        (module
          (@dylink.0 (mem-info (memory 0 0) (table 1 0)))
          (import "env" "memory" (memory i64 0))
          (import "env" "__indirect_function_table" (table $t i64 0 funcref))
          (import "env" "__table_base" (global $tb i64))
          (import "env" "__cxa_atexit" (func $atexit (param i64 i64 i64) (result i32)))
          (import "env" "note" (func $note (param i64)))
          (elem (table $t) (offset (global.get $tb)) func $handler)
          (func $handler (param i64) (call $note (local.get 0)))
          (func (export "__wasm_call_ctors")
            (drop (call $atexit (global.get $tb) (i64.const 0x1_0000_0007) (i64.const 0)))))
        """;

    [Theory]
    [InlineData("llvm19")]
    [InlineData("llvm22")]
    public void Wasm64Program_LinksAndRuns(string toolchain)
    {
        using var linker = new DynamicLinker();
        linker.Load(Fixtures.PathOf($"wasm64/{toolchain}/main64.wasm"));
        Assert.True(linker.Plan.Memory.Is64);
        Assert.True(linker.Plan.Memory.Table64);
        Assert.True(linker.Memory.Is64Bit);
        Assert.Equal(["main64.wasm", "libside64.so", "libbase64.so"], linker.Plan.Modules.Select(m => m.Name));

        // Cross-module calls both ways (main -> side -> main's host_add), data through GOT.mem and an 8-byte data
        // relocation, the side's static function through its own table slot, a GOT.func pointer in data.
        Assert.Equal(2 + 42 + 5 + 2 + 0, linker.GetFunction<int>("call_side")());
        Assert.Equal(42, linker.GetFunction<int>("read_side_data")());
        Assert.Equal(11, linker.GetFunction<int>("call_side_f1")());
        Assert.Equal(1, linker.GetFunction<int>("same_host_add")());

        // libbase64.so's constructor ran (NEEDED of NEEDED), and its i64 counter.
        Assert.Equal(1000 + 102, linker.GetFunction<long>("call_base")());
        Assert.Equal(102L, linker.ReadData<long>("base_counter"));

        // Addresses are the 8-byte pointers the modules themselves store.
        var sideData = linker.GetDataAddress("side_data");
        Assert.Equal(42, linker.ReadData<int>("side_data"));
        Assert.Equal(sideData, linker.Memory.ReadInt64(linker.GetDataAddress("side_data_ptr")));
        Assert.Equal(linker.Symbol(LibraryHandle.Default, "host_add"), linker.Memory.ReadInt64(linker.GetDataAddress("side_host_add")));
    }

    [Fact]
    public void Wasm64Main_WithAWasm32Library_IsALinkErrorNamingBoth()
    {
        var e = Assert.Throws<LinkException>(() => LinkPlanner.Plan(Fixtures.PathOf("wasm64/llvm19/main64.wasm"),
            new LinkOptions { SearchPaths = [Fixtures.BinDir], Libraries = ["libfptr.so"] }));
        Assert.Equal<string>(
            [
                "libfptr.so: a wasm32 module (32-bit memory) cannot be linked with main64.wasm, a wasm64 module (64-bit memory): one program has one memory",
                "libfptr.so: 32-bit table indices cannot be linked with main64.wasm, 64-bit table indices (table64): one program has one table",
            ],
            e.Errors);
    }

    [Fact]
    public void Dlopen_OfAWasm64Library_IntoAWasm32Program_IsALinkError()
    {
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { SearchPaths = [Fixtures.PathOf("wasm64/llvm19")] });
        var e = Assert.Throws<LinkException>(() => linker.Open("libbase64.so"));
        Assert.Equal<string>(
            [
                "libbase64.so: a wasm64 module (64-bit memory) cannot be loaded into this program, whose memory the loader created with a wasm32 module (32-bit memory)",
                "libbase64.so: 64-bit table indices (table64) cannot be loaded into this program, whose table the loader created with 32-bit table indices",
            ],
            e.Errors);
    }

    [Fact]
    public void Dlopen_IntoAWasm64Program_Works()
    {
        var source = new InMemorySource()
            .AddBytes("main64.wasm", Fixtures.Bytes("wasm64/llvm22/main64.wasm"))
            .AddBytes("libside64.so", Fixtures.Bytes("wasm64/llvm22/libside64.so"))
            .AddBytes("libbase64.so", Fixtures.Bytes("wasm64/llvm22/libbase64.so"))
            .Add("libextra64.so", """
                (module
                  (@dylink.0 (mem-info (memory 8 3)))
                  (import "env" "memory" (memory i64 0))
                  (import "env" "__memory_base" (global $base i64))
                  (import "GOT.mem" "side_data" (global $side (mut i64)))
                  (data (global.get $base) "\07\00\00\00\00\00\00\00")
                  (func (export "extra") (result i32)
                    (i32.add (i32.load (global.get $side)) (i32.load (global.get $base)))))
                """);
        using var linker = new DynamicLinker();
        linker.Load(source.Plan("main64.wasm"), new LinkOptions { Source = source, SearchPaths = [InMemorySource.Dir] });
        var handle = linker.Open("libextra64.so", OpenMode.Now | OpenMode.Global);
        Assert.Equal(42 + 7, linker.GetFunction<int>("extra")());
        linker.Close(handle);
    }

    [Fact]
    public void Wasm64ThreadLocal_GetsAnI64TlsBlock()
    {
        // wasm-ld's TLS machinery with i64 addresses (as libtls_def.so, in wasm64): __wasm_init_tls takes an i64.
        var source = new InMemorySource().Add("libtls64.so", """
            (module
              (@dylink.0 (mem-info (memory 0 0)) (export-info "tls_counter" tls))
              (import "env" "memory" (memory i64 0))
              (import "env" "__memory_base" (global i64))
              (import "GOT.mem" "tls_counter" (global $p (mut i64)))
              (global $tls_base (export "__tls_base") (mut i64) (i64.const 0))
              (global (export "__tls_size") i64 (i64.const 8))
              (global (export "__tls_align") i64 (i64.const 8))
              (global (export "tls_counter") i64 (i64.const 4))
              (func (export "__wasm_init_tls") (param i64)
                (global.set $tls_base (local.get 0))
                (i32.store offset=4 (local.get 0) (i32.const 3)))
              (func (export "tls_addr") (result i64) (global.get $p))
              (func (export "tls_base") (result i64) (global.get $tls_base)))
            """);
        using var linker = new DynamicLinker();
        var plan = source.PlanHosted("libtls64.so");
        linker.Load(plan);
        var tlsBase = linker.GetFunction<long>("tls_base")();
        Assert.Equal((long)(plan.Memory.FixedBase!.Value + plan.Modules[0].TlsOffset!.Value), tlsBase);
        Assert.Equal(tlsBase + 4, linker.GetFunction<long>("tls_addr")());
        Assert.Equal(tlsBase + 4, linker.GetDataAddress("tls_counter"));
        Assert.Equal(3, linker.ReadData<int>("tls_counter"));
    }

    [Fact]
    public void Wasm64NonPieMain_PlacesLibrariesWithItsI64Allocator()
    {
        // A non-PIE wasm64 main that owns its 64-bit memory and table and exports a bump aligned_alloc(i64, i64) -> i64.
        var source = new InMemorySource()
            .Add("main64.wasm", """
                (module
                  (@dylink.0 (mem-info (memory 0 0)) (needed "libdata64.so"))
                  (import "env" "side_value" (func $side_value (result i32)))
                  (memory (export "memory") i64 2)
                  (table (export "__indirect_function_table") i64 1 funcref)
                  (global (export "__stack_pointer") (mut i64) (i64.const 65536))
                  (global $next (mut i64) (i64.const 65536))
                  (func (export "aligned_alloc") (param $align i64) (param $size i64) (result i64)
                    (local $p i64)
                    (local.set $p (i64.and (i64.add (global.get $next) (i64.sub (local.get $align) (i64.const 1)))
                                           (i64.sub (i64.const 0) (local.get $align))))
                    (global.set $next (i64.add (local.get $p) (local.get $size)))
                    (local.get $p))
                  (func (export "run") (result i32) (call $side_value)))
                """)
            .Add("libdata64.so", """
                (module
                  (@dylink.0 (mem-info (memory 8 3)))
                  (import "env" "memory" (memory i64 0))
                  (import "env" "__indirect_function_table" (table i64 0 funcref))
                  (import "env" "__memory_base" (global $base i64))
                  (import "env" "__table_base" (global i64))
                  (data (global.get $base) "\2a\00\00\00")
                  (global (export "value64") i64 (i64.const 0))
                  (func (export "side_value") (result i32) (i32.load (global.get $base))))
                """);
        using var linker = new DynamicLinker();
        var plan = source.Plan("main64.wasm");
        Assert.Equal(MainKind.Fixed, plan.Kind);
        Assert.True(plan.Memory.Is64);
        linker.Load(plan);
        Assert.Equal(42, linker.GetFunction<int>("run")());
        Assert.Equal(65536, linker.GetDataAddress("value64"));
    }

    [Fact]
    public void Wasm64Library_Destructors_RunAtDlclose_WithTheirI64Argument()
    {
        // What clang makes of __attribute__((destructor)) in a wasm64 side module: its constructor registers a handler
        // through env.__cxa_atexit(i64 function, i64 argument, i64 dso).
        var source = new InMemorySource()
            .Add("libstart64.so", """
                (module (@dylink.0 (mem-info (memory 0 0))) (import "env" "memory" (memory i64 0))
                  (import "env" "__indirect_function_table" (table i64 0 funcref)))
                """)
            .Add("libdtor64.so", Dtor64Library);
        var noted = new List<long>();
        using var linker = new DynamicLinker();
        linker.DefineFunction("note", (long value) => noted.Add(value));
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [InMemorySource.Dir], Libraries = ["libstart64.so"] });
        var handle = linker.Open("libdtor64.so");
        Assert.Empty(noted);
        linker.Close(handle);
        Assert.Equal([0x1_0000_0007L], noted);
    }

    [Fact]
    public void Wasm64Library_ImportingDlsym_IsALinkError()
    {
        var source = new InMemorySource().Add("libdl64.so", """
            (module (@dylink.0 (mem-info (memory 0 0)))
              (import "env" "memory" (memory i64 0))
              (import "env" "dlsym" (func (param i64 i64) (result i64))))
            """);
        var e = Assert.Throws<LinkException>(() => source.PlanHosted("libdl64.so"));
        Assert.Equal<string>(["libdl64.so: dlsym: the loader provides dlsym to wasm32 programs only, and this one is wasm64"], e.Errors);
    }
}
