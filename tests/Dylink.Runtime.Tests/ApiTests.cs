using Dylink.Linking;
using Dylink.Linking.Tests;
using Dylink.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

public class ApiTests
{
    // A library with one thread-local int at offset 4 of an 8-byte TLS block whose initial value is 3.
    private const string TlsLibrary = """
        (module
          (@dylink.0 (mem-info (memory 0 0)) (export-info "tls_counter" tls))
          (import "env" "memory" (memory 0))
          (import "env" "__memory_base" (global i32))
          (global $tls_base (export "__tls_base") (mut i32) (i32.const 0))
          (global (export "__tls_size") i32 (i32.const 8))
          (global (export "__tls_align") i32 (i32.const 8))
          (global (export "tls_counter") i32 (i32.const 4))
          (func (export "__wasm_init_tls") (param i32)
            (global.set $tls_base (local.get 0))
            (i32.store offset=4 (local.get 0) (i32.const 3)))
          (func (export "tls_base") (result i32) (global.get $tls_base)))
        """;

    private const string TlsUser = """
        (module
          (@dylink.0 (mem-info (memory 0 0)) (needed "libtls.so"))
          (import "env" "memory" (memory 0))
          (import "GOT.mem" "tls_counter" (global $p (mut i32)))
          (func (export "bump") (result i32)
            (i32.store (global.get $p) (i32.add (i32.load (global.get $p)) (i32.const 1)))
            (i32.load (global.get $p))))
        """;

    [Fact]
    public void ThreadLocal_FromAnotherLibrary_LivesInItsOwnersTlsBlock()
    {
        var source = new InMemorySource().Add("libtls.so", TlsLibrary).Add("libuser.so", TlsUser);
        var plan = source.PlanHosted("libuser.so");
        var owner = plan.Modules.Single(m => m.Name == "libtls.so");
        Assert.NotNull(owner.TlsOffset);
        Assert.Equal(0u, owner.TlsOffset!.Value % 8);
        using var linker = new DynamicLinker();
        linker.Load(plan);
        Assert.Equal(4, linker.GetFunction<int>("bump")());
        var tlsBase = linker.GetFunction<int>("tls_base")();
        Assert.Equal((int)(plan.Memory.FixedBase!.Value + owner.TlsOffset.Value), tlsBase);
        Assert.Equal(4, linker.Memory.ReadInt32(tlsBase + 4));
    }

    [Fact]
    public void ThreadLocal_InAModuleWithoutTlsBlock_IsALinkError()
    {
        var source = new InMemorySource()
            .Add("libtls.so", Side("""(global (export "t") i32 (i32.const 0))""").Replace("(mem-info (memory 0 0) (table 0 0))", "(mem-info (memory 0 0)) (export-info \"t\" tls)", StringComparison.Ordinal))
            .Add("libuser.so", Side("""(import "GOT.mem" "t" (global (mut i32)))""", needed: "\"libtls.so\""));
        var e = Assert.Throws<LinkException>(() => source.PlanHosted("libuser.so"));
        Assert.Equal<string>(["libtls.so: defines thread-local t but exports no TLS block (__wasm_init_tls, __tls_size, __tls_align), so its thread-locals cannot be placed: wasm-ld writes such a module for -pthread or -matomics without --shared-memory (its __tls_base is the constant 0) or without --export-if-defined for the three; see docs/threads.md"], e.Errors);
        // Loaded alone, nobody importing it, it is refused all the same: its own code would use address 0.
        Assert.Equal(e.Errors, Assert.Throws<LinkException>(() => source.PlanHosted("libtls.so")).Errors);
    }

    [Fact]
    public void MainFromBytes_FindsLibrariesThroughSearchPaths()
    {
        using var linker = new DynamicLinker();
        var output = new System.Text.StringBuilder();
        linker.ConfigureWasi(new Wasmtime.WasiConfiguration().WithStandardOutputCallback(b => output.Append(System.Text.Encoding.UTF8.GetString(b))));
        linker.Load("host.wasm", Fixtures.Bytes("host-libc-needed.wasm"), new LinkOptions { SearchPaths = [Fixtures.BinDir] });
        Assert.Null(linker.Plan.Main!.Path);
        Assert.Equal(0, linker.RunMain());
        Assert.EndsWith("host: side_hello(5) returned 40\n", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TypedFunctions_AndData()
    {
        using var linker = new DynamicLinker();
        linker.Load(Fixtures.PathOf("main-pie.wasm"), new LinkOptions { SearchPaths = [Fixtures.BinDir], Libraries = ["libside.so"] });
        Assert.Equal(52, linker.GetFunction<int>("run")());
        Assert.Equal(42, linker.ReadData<int>("side_data"));
        linker.WriteData("side_data", 50);
        // side_data 42 -> 50, and side_func bumped external_counter once more: 52 + 8 + 1.
        Assert.Equal(61, linker.GetFunction<int>("run")());
        var e = Assert.Throws<SignatureMismatchException>(() => linker.GetFunction<long>("run"));
        Assert.Equal("run has signature () -> i32, not () -> i64 as asked", e.Message);
        Assert.Null(linker.TryGetFunction<long>("run"));
        Assert.Null(linker.TryGetFunction<int>("no_such_function"));
        Assert.Throws<SymbolNotFoundException>(() => linker.GetFunction("no_such_function"));
    }

    [Fact]
    public void UseBeforeLoadAndAfterDispose_AreClearErrors()
    {
        var linker = new DynamicLinker();
        var e = Assert.Throws<InvalidOperationException>(() => linker.Memory);
        Assert.Equal("no program is loaded: call Load first", e.Message);
        linker.Dispose();
        Assert.Throws<ObjectDisposedException>(() => linker.Memory);
    }
}

public class ApiMisuseTests
{
    [Fact]
    public void Misuse_IsReportedWithClearMessages()
    {
        var source = new Dylink.Linking.Tests.InMemorySource().Add("liba.so", Dylink.Linking.Tests.InMemorySource.Side("""
            (global (export "counter") (mut i32) (i32.const 0))
            """));
        using var linker = new DynamicLinker();
        Assert.Equal("host functions take and return int, long, float or double, not String",
            Assert.Throws<ArgumentException>(() => linker.DefineFunction("bad", (string s) => 0)).Message);
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dylink.Linking.Tests.InMemorySource.Dir] });
        Assert.Equal("host functions must be defined before the program is loaded",
            Assert.Throws<InvalidOperationException>(() => linker.DefineFunction("late", () => 1)).Message);
        Assert.Equal("a program is loaded already; use Open to add libraries, or a new DynamicLinker",
            Assert.Throws<InvalidOperationException>(() => linker.LoadLibraries(new LinkOptions())).Message);
        Assert.Equal("libnope.so: not loaded (RTLD_NOLOAD)",
            Assert.Throws<LibraryNotLoadedException>(() => linker.Open("libnope.so", OpenMode.NoLoad)).Message);
        var handle = linker.Open("liba.so");
        Assert.Equal("counter: a global, not a function or data",
            Assert.Throws<SymbolNotFoundException>(() => linker.Symbol(handle, "counter")).Message);
        linker.Close(handle);
        Assert.StartsWith("invalid handle 1: not a loaded library",
            Assert.Throws<ArgumentException>(() => linker.Close(handle)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreadableLibrary_IsALinkError()
    {
        var source = new UnreadableSource();
        var e = Assert.Throws<LinkException>(() =>
            LinkPlanner.PlanHosted(new LinkOptions { Source = source, SearchPaths = ["/lib"], Libraries = ["liba.so"] }));
        Assert.Equal<string>(["liba.so: cannot read /lib/liba.so (requested by -l): disk on fire"], e.Errors);
    }

    private sealed class UnreadableSource : IModuleSource
    {
        public bool Exists(string path) => path == "/lib/liba.so";

        public byte[] Read(string path) => throw new IOException("disk on fire");
    }
}
