using Dylink.Linking;
using Dylink.Linking.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

/// <summary>Every failure while executing a plan, pinned: each names the module.</summary>
public class LoadErrorTests
{
    private static LoadException Fails(InMemorySource source, string main)
    {
        using var linker = new DynamicLinker();
        var plan = main.EndsWith(".wasm", StringComparison.Ordinal) ? source.Plan(main) : source.PlanHosted(main);
        return Assert.Throws<LoadException>(() => linker.Load(plan));
    }

    [Fact]
    public void TrappingConstructor_NamesTheLibrary()
    {
        var source = new InMemorySource().Add("liba.so", Side("""(func (export "__wasm_call_ctors") unreachable)"""));
        var e = Fails(source, "liba.so");
        Assert.StartsWith("liba.so: constructor (__wasm_call_ctors) failed: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("unreachable", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrappingDataRelocations_NameTheLibrary()
    {
        var source = new InMemorySource().Add("liba.so", Side("""(func (export "__wasm_apply_data_relocs") unreachable)"""));
        Assert.StartsWith("liba.so: data relocations (__wasm_apply_data_relocs) failed: ", Fails(source, "liba.so").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BothInitialisers_AreRefused()
    {
        var source = new InMemorySource().Add("liba.so", Side("""(func (export "__wasm_call_ctors")) (func (export "_initialize"))"""));
        Assert.Equal("liba.so: exports both __wasm_call_ctors and _initialize; a module may have only one initialiser", Fails(source, "liba.so").Message);
    }

    [Fact]
    public void TrapInAStartFunction_IsAnInstantiationFailure()
    {
        var source = new InMemorySource().Add("liba.so", Side("""(func $s unreachable) (start $s)"""));
        Assert.StartsWith("liba.so: instantiation failed: ", Fails(source, "liba.so").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AllocatorReturningNull_IsReported()
    {
        var source = new InMemorySource()
            .Add("main.wasm", """
                (module (@dylink.0 (mem-info (memory 0 0)) (needed "liba.so"))
                  (memory (export "memory") 1)
                  (func (export "malloc") (param i32) (result i32) (i32.const 0))
                  (func (export "_start")))
                """)
            .Add("liba.so", Side("", memory: 64));
        Assert.Equal("main.wasm: malloc could not allocate 64 bytes for the libraries", Fails(source, "main.wasm").Message);
    }

    [Fact]
    public void MainTableThatCannotGrow_IsReported()
    {
        var source = new InMemorySource()
            .Add("main.wasm", """
                (module (@dylink.0 (mem-info (memory 0 0)) (needed "liba.so"))
                  (memory (export "memory") 1)
                  (table (export "__indirect_function_table") 1 1 funcref)
                  (func (export "_start")))
                """)
            .Add("liba.so", Side("", table: 2));
        Assert.Equal("main.wasm: its function table cannot grow by 2 slots (link it with --growable-table)", Fails(source, "main.wasm").Message);
    }

    [Fact]
    public void MissingHostModuleFunction_IsReported()
    {
        var source = new InMemorySource().Add("liba.so", Side("""(import "wasi_snapshot_preview1" "no_such_call" (func))"""));
        Assert.Equal("liba.so: the host does not provide wasi_snapshot_preview1.no_such_call", Fails(source, "liba.so").Message);
    }

    [Fact]
    public void CallingAWeakUndefinedFunction_Traps_NamingIt()
    {
        var source = new InMemorySource().Add("liba.so", """
            (module (@dylink.0 (mem-info (memory 0 0)) (import-info "env" "maybe" binding-weak undefined))
              (import "env" "maybe" (func $maybe (result i32)))
              (func (export "call_maybe") (result i32) (call $maybe)))
            """);
        using var linker = new DynamicLinker();
        linker.Load(source.PlanHosted("liba.so"));
        var e = Assert.ThrowsAny<Wasmtime.WasmtimeException>(() => linker.GetFunction("call_maybe").Invoke());
        Assert.Contains("liba.so: called weak undefined function maybe", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void HostFunctions_SatisfyImports_AndAreSignatureChecked()
    {
        var source = new InMemorySource().Add("liba.so", Side("""
            (import "env" "twice" (func $twice (param i32) (result i32)))
            (func (export "four_times") (param i32) (result i32) (call $twice (call $twice (local.get 0))))
            """));
        using (var linker = new DynamicLinker())
        {
            linker.DefineFunction("twice", (int x) => 2 * x);
            linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["liba.so"] });
            Assert.Equal(20, linker.GetFunction("four_times").Invoke(5));
        }

        using var wrong = new DynamicLinker();
        wrong.DefineFunction("twice", (long x) => 2 * x);
        var e = Assert.Throws<LinkException>(() => wrong.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["liba.so"] }));
        Assert.Equal<string>(["liba.so: twice: imported as function (i32) -> i32 but the host defines function (i64) -> i64"], e.Errors);
    }

    [Fact]
    public void AlignmentPadding_CountsAgainstMaxMemory_AndTheMessageNamesIt()
    {
        // 16 bytes asking for 2^31 alignment: placing them may take 2 GiB of padding, which the limit must see.
        var source = new InMemorySource().Add("libalign.so", Side("", memory: 16, align: 31));
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], MaxMemory = 8 << 20 });
        var before = linker.Memory.GetLength();
        var e = Assert.Throws<LinkException>(() => linker.Open("libalign.so"));
        Assert.Equal<string>(["libalign.so: needs 16 bytes of memory aligned to 2147483648 (up to 2147483663 with padding), more than the limit of 8388608"], e.Errors);
        Assert.Equal(before, linker.Memory.GetLength());
    }
}
