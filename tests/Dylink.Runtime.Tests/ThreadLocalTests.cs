using Dylink.Linking;
using Dylink.Linking.Tests;
using Dylink.Tests;

namespace Dylink.Runtime.Tests;

/// <summary>
/// Thread-local data in side modules, on clang-19 and clang-22 output (tests/fixtures/src/tls): libtls_def.so defines
/// <c>tls_counter</c> (3), <c>tls_zero</c>, a hidden <c>tls_hidden</c> (5) and <c>tls_ptr</c> (= &amp;plain_data, a TLS
/// relocation); libtls_use.so reaches <c>tls_counter</c> through <c>GOT.mem</c>. The -pthread builds import a shared
/// memory and are refused; <c>tls/unshared/</c> holds the same bytes with only the memory's shared bit cleared.
/// </summary>
public class ThreadLocalTests
{
    /// <summary>clang-19's modules (tls/) or clang-22's (tls/llvm22/).</summary>
    public static TheoryData<string> Toolchains => new("", "llvm22/");

    private static InMemorySource Unshared(string toolchain) => new InMemorySource()
        .AddBytes("libtls_def.so", Fixtures.Bytes($"tls/{toolchain}unshared/libtls_def.so"))
        .AddBytes("libtls_use.so", Fixtures.Bytes($"tls/{toolchain}unshared/libtls_use.so"));

    [Theory]
    [MemberData(nameof(Toolchains))]
    public void PthreadBuild_IsRefusedWithTheSharedMemoryMessage_NotAWasmtimeError(string toolchain)
    {
        var e = Assert.Throws<LinkException>(() => LinkPlanner.PlanHosted(new LinkOptions
        {
            SearchPaths = [Path.Combine(Fixtures.BinDir, "tls", toolchain)],
            Libraries = ["libtls_use.so"],
        }));
        Assert.Equal<string>(
            [
                "libtls_use.so: imports a shared memory (it was built for threads); Wasmtime's .NET embedding cannot create shared memories",
                "libtls_def.so: imports a shared memory (it was built for threads); Wasmtime's .NET embedding cannot create shared memories",
            ],
            e.Errors);
    }

    [Theory]
    [MemberData(nameof(Toolchains))]
    public void ThreadLocal_DefinedInOneLibrary_UsedFromAnother_SharesTheOwnersBlock(string toolchain)
    {
        var plan = Unshared(toolchain).PlanHosted("libtls_use.so");
        var owner = plan.Modules.Single(m => m.Name == "libtls_def.so");
        Assert.NotNull(owner.TlsOffset);
        using var linker = new DynamicLinker();
        linker.Load(plan);
        var tlsBase = (int)(plan.Memory.FixedBase!.Value + owner.TlsOffset!.Value);

        // __wasm_init_tls moved the thread's block to the loader's TLS block and initialised it from .tdata.
        Assert.Equal(tlsBase, linker.GetFunction<int>("tls_addr")());
        Assert.Equal(tlsBase + 8, linker.GetFunction<int>("tls_hidden_addr")());
        Assert.Equal(tlsBase, linker.GetFunction<int>("use_addr")());

        // One variable seen from both libraries: 3 -> 4 in libtls_use.so, then 5 + tls_zero + tls_hidden + *tls_ptr.
        Assert.Equal(4, linker.GetFunction<int>("use_bump")());
        Assert.Equal(5 + 0 + 5 + 7, linker.GetFunction<int>("tls_bump")());
        Assert.Equal(5, linker.Memory.ReadInt32(tlsBase));
    }

    [Theory]
    [MemberData(nameof(Toolchains))]
    public void TlsRelocation_PointsAtTheOwnersData(string toolchain)
    {
        using var linker = new DynamicLinker();
        linker.Load(Unshared(toolchain).PlanHosted("libtls_use.so"));
        // tls_ptr = &plain_data: __wasm_apply_tls_relocs (called by __wasm_init_tls) wrote it into the block.
        Assert.Equal(linker.GetDataAddress("plain_data"), linker.Memory.ReadInt32(linker.GetDataAddress("tls_ptr")));
        Assert.Equal(7, linker.ReadData<int>("plain_data"));
    }

    [Theory]
    [MemberData(nameof(Toolchains))]
    public void DataApi_OnAThreadLocal_UsesTheThreadsBlock(string toolchain)
    {
        using var linker = new DynamicLinker();
        linker.Load(Unshared(toolchain).PlanHosted("libtls_use.so"));
        var address = linker.GetFunction<int>("tls_addr")();
        Assert.Equal(address, linker.GetDataAddress("tls_counter"));
        Assert.Equal(address + 4, linker.GetDataAddress("tls_ptr"));
        Assert.Equal(3, linker.ReadData<int>("tls_counter"));
        linker.WriteData("tls_counter", 40);
        Assert.Equal(41, linker.GetFunction<int>("use_bump")());
    }

    [Theory]
    [MemberData(nameof(Toolchains))]
    public void Dlsym_OfAThreadLocal_GivesTheCallingThreadsAddress_FromCSharpAndFromTheGuest(string toolchain)
    {
        // A guest that asks env.dlsym(RTLD_DEFAULT, "tls_counter") and dlsym(dlopen("libtls_def.so"), "tls_zero").
        var source = Unshared(toolchain).Add("libprobe.so", """
            (module
              (@dylink.0 (mem-info (memory 48 0)))
              (import "env" "memory" (memory 0))
              (import "env" "__memory_base" (global $base i32))
              (import "env" "dlopen" (func $dlopen (param i32 i32) (result i32)))
              (import "env" "dlsym" (func $dlsym (param i32 i32) (result i32)))
              (data (global.get $base) "tls_counter\00tls_zero\00libtls_def.so\00")
              (func (export "default_tls_counter") (result i32)
                (call $dlsym (i32.const 0) (global.get $base)))
              (func (export "handle_tls_zero") (result i32)
                (call $dlsym
                  (call $dlopen (i32.add (global.get $base) (i32.const 21)) (i32.const 2))
                  (i32.add (global.get $base) (i32.const 12)))))
            """);
        using var linker = new DynamicLinker();
        linker.Load(source.PlanHosted("libtls_use.so", "libprobe.so"));
        var counter = linker.GetFunction<int>("tls_addr")();
        Assert.Equal(counter, linker.Symbol(linker.Open("libtls_def.so"), "tls_counter"));
        Assert.Equal(counter, linker.Symbol(default, "tls_counter"));
        Assert.Equal(counter, linker.GetFunction<int>("default_tls_counter")());
        Assert.Equal(counter + 12, linker.GetFunction<int>("handle_tls_zero")());
    }

    [Theory]
    [MemberData(nameof(Toolchains))]
    public void Dlopen_OfATlsLibrary_GetsAFreshInitialisedBlock(string toolchain)
    {
        // The -pthread modules import a memory of at most 65536 pages, so the program's memory is created with that maximum.
        var source = Unshared(toolchain).Add("libstart.so", """
            (module (@dylink.0 (mem-info (memory 0 0))) (import "env" "memory" (memory 1 65536)))
            """);
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [InMemorySource.Dir], Libraries = ["libstart.so"] });
        Assert.Equal(65536, linker.Memory.Maximum);
        var handle = linker.Open("libtls_use.so", OpenMode.Now | OpenMode.Global);
        var address = linker.Symbol(handle, "tls_counter");
        Assert.Equal(address, linker.GetFunction<int>("use_addr")());
        Assert.Equal(4, linker.GetFunction<int>("use_bump")());
        Assert.Equal(address, linker.GetFunction<int>("tls_addr")());
        Assert.Equal(address + 8, linker.GetFunction<int>("tls_hidden_addr")());
    }

    [Theory]
    [MemberData(nameof(Toolchains))]
    public void Dlopen_OfALibraryWhoseMemoryImportHasAMaximum_IntoAnUnboundedMemory_IsALinkError(string toolchain)
    {
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = Unshared(toolchain), SearchPaths = [InMemorySource.Dir] });
        var e = Assert.Throws<LinkException>(() => linker.Open("libtls_use.so"));
        Assert.Equal<string>(
            [
                "libtls_use.so: imports a memory of at most 65536 pages, but the program's memory has no maximum",
                "libtls_def.so: imports a memory of at most 65536 pages, but the program's memory has no maximum",
            ],
            e.Errors);
    }

    [Fact]
    public void MemoryImportMaximum_BelowWhatTheProgramNeeds_IsALinkError()
    {
        var source = new InMemorySource().Add("libsmall.so", """
            (module (@dylink.0 (mem-info (memory 0 0))) (import "env" "memory" (memory 1 2)))
            """);
        var e = Assert.Throws<LinkException>(() => source.PlanHosted("libsmall.so"));
        Assert.Equal<string>(["program: needs 17 pages of memory, but a memory import allows at most 2"], e.Errors);
    }
}
