using Dylink.Linking;
using Dylink.Linking.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

/// <summary>Run-time linking from C#: Open, Symbol, Close, scopes, transactions, unloading.</summary>
public class OpenCloseTests
{
    private const string Plugin = """
        (global $counter_ptr (import "GOT.mem" "counter") (mut i32))
        (func $answer (export "answer") (result i32) (i32.const 42))
        (func (export "bump") (result i32)
          (i32.store (global.get $counter_ptr) (i32.add (i32.load (global.get $counter_ptr)) (i32.const 1)))
          (i32.load (global.get $counter_ptr)))
        (global (export "counter") i32 (i32.const 0))
        """;

    private static (DynamicLinker Linker, InMemorySource Source) Host(Action<InMemorySource> add)
    {
        var source = new InMemorySource();
        add(source);
        var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir] });
        return (linker, source);
    }

    private static int Call(DynamicLinker linker, long functionPointer) =>
        (int)((Wasmtime.Function)linker.Table.GetElement((uint)functionPointer)!).Invoke()!;

    [Fact]
    public void Open_Symbol_Call()
    {
        var (linker, _) = Host(s => s.Add("libplugin.so", Side(Plugin, memory: 4)));
        using (linker)
        {
            var handle = linker.Open("libplugin.so");
            Assert.True(linker.IsLoaded(handle));
            Assert.Equal(42, Call(linker, linker.Symbol(handle, "answer")));
            Assert.Equal(1, Call(linker, linker.Symbol(handle, "bump")));
            Assert.Equal(1, linker.Memory.ReadInt32(linker.Symbol(handle, "counter")));
            Assert.Equal(linker.Symbol(handle, "answer"), linker.Symbol(handle, "answer"));
            var e = Assert.Throws<SymbolNotFoundException>(() => linker.Symbol(handle, "nope"));
            Assert.Equal("nope: symbol not found in libplugin.so", e.Message);
        }
    }

    [Fact]
    public void GetFunction_FromAHandle_TellsLocalLibrariesApart()
    {
        var (linker, _) = Host(s =>
        {
            s.Add("libone.so", Side("""(func (export "plugin_run") (result i32) (i32.const 1)) (global (export "plugin_data") i32 (i32.const 0))""", memory: 4));
            s.Add("libtwo.so", Side("""(func (export "plugin_run") (result i32) (i32.const 2))"""));
        });
        using (linker)
        {
            var one = linker.Open("libone.so", OpenMode.Now | OpenMode.Local);
            var two = linker.Open("libtwo.so", OpenMode.Now | OpenMode.Local);
            Assert.Equal(1, linker.GetFunction(one, "plugin_run").WrapFunc<int>()!());
            Assert.Equal(2, linker.GetFunction(two, "plugin_run").WrapFunc<int>()!());
            Assert.Equal("plugin_data: a data, not a function", Assert.Throws<SymbolNotFoundException>(() => linker.GetFunction(one, "plugin_data")).Message);
            Assert.Equal("nope: symbol not found in libtwo.so", Assert.Throws<SymbolNotFoundException>(() => linker.GetFunction(two, "nope")).Message);
            linker.Close(two);
            Assert.Throws<ArgumentException>(() => linker.GetFunction(two, "plugin_run"));
        }
    }

    [Fact]
    public void Reopen_GivesTheSameHandle_AndCloseUnloadsAtZero()
    {
        var (linker, _) = Host(s => s.Add("libplugin.so", Side(Plugin, memory: 4)));
        using (linker)
        {
            var first = linker.Open("libplugin.so");
            Assert.Equal(first, linker.Open("libplugin.so"));
            Call(linker, linker.Symbol(first, "bump"));
            linker.Close(first);
            // A successful NOLOAD is a reference too (glibc): two closes to go.
            Assert.Equal(first, linker.Open("libplugin.so", OpenMode.NoLoad));
            linker.Close(first);
            Assert.True(linker.IsLoaded(first));
            linker.Close(first);
            Assert.False(linker.IsLoaded(first));
            Assert.Throws<LibraryNotLoadedException>(() => linker.Open("libplugin.so", OpenMode.NoLoad));

            var again = linker.Open("libplugin.so");
            Assert.NotEqual(first, again);
            Assert.Equal(1, Call(linker, linker.Symbol(again, "bump")));
            Assert.Equal(1, linker.UnloadedInstances);
        }
    }

    [Fact]
    public void LocalLibrary_StaysOutOfGlobalLookups_UntilPromoted()
    {
        var (linker, _) = Host(s => s
            .Add("liba.so", Side("""(func (export "a_func") (result i32) (i32.const 7))"""))
            .Add("libb.so", Side("""(import "env" "a_func" (func $a (result i32))) (func (export "b_func") (result i32) (i32.add (call $a) (i32.const 1)))""")));
        using (linker)
        {
            linker.Open("liba.so", OpenMode.Now | OpenMode.Local);
            var e = Assert.Throws<LinkException>(() => linker.Open("libb.so"));
            Assert.Equal<string>(["libb.so: undefined symbol: a_func (function () -> i32)"], e.Errors);
            Assert.Throws<SymbolNotFoundException>(() => linker.Symbol(LibraryHandle.Default, "a_func"));

            linker.Open("liba.so", OpenMode.Now | OpenMode.Global);
            var b = linker.Open("libb.so");
            Assert.Equal(8, Call(linker, linker.Symbol(b, "b_func")));
            Assert.NotEqual(0, linker.Symbol(LibraryHandle.Default, "a_func"));
        }
    }

    [Fact]
    public void LocalLibrary_SeesItsOwnDependencies()
    {
        var (linker, _) = Host(s => s
            .Add("libdep.so", Side("""(func (export "dep") (result i32) (i32.const 5))"""))
            .Add("liblocal.so", Side("""(import "env" "dep" (func $d (result i32))) (func (export "local") (result i32) (call $d))""", needed: "\"libdep.so\"")));
        using (linker)
        {
            var h = linker.Open("liblocal.so", OpenMode.Local);
            Assert.Equal(5, Call(linker, linker.Symbol(h, "local")));
            Assert.Equal(5, Call(linker, linker.Symbol(h, "dep")));
            Assert.Throws<SymbolNotFoundException>(() => linker.Symbol(LibraryHandle.Default, "dep"));
        }
    }

    [Fact]
    public void FailedOpen_TrapInConstructor_LeavesNoTrace()
    {
        var (linker, _) = Host(s => s
            .Add("libbad.so", Side("""(func (export "bad_func")) (func (export "__wasm_call_ctors") unreachable)""", memory: 64, table: 2))
            .Add("libplugin.so", Side(Plugin, memory: 4)));
        using (linker)
        {
            var tableBefore = linker.Table.GetSize();
            var e = Assert.Throws<LoadException>(() => linker.Open("libbad.so", OpenMode.Global));
            Assert.StartsWith("libbad.so: constructor (__wasm_call_ctors) failed: ", e.Message, StringComparison.Ordinal);
            Assert.Throws<SymbolNotFoundException>(() => linker.Symbol(LibraryHandle.Default, "bad_func"));
            Assert.Throws<LibraryNotLoadedException>(() => linker.Open("libbad.so", OpenMode.NoLoad));

            // The failed load's table block is reused by the next one; the program works on.
            var h = linker.Open("libplugin.so");
            Assert.Equal(42, Call(linker, linker.Symbol(h, "answer")));
            Assert.Equal(tableBefore + 2, linker.Table.GetSize());
        }
    }

    [Fact]
    public void FailedOpen_UndefinedSymbol_LeavesNoTrace()
    {
        var (linker, _) = Host(s => s.Add("libundef.so", Side("""(import "env" "missing" (func))""")));
        using (linker)
        {
            var e = Assert.Throws<LinkException>(() => linker.Open("libundef.so"));
            Assert.Equal("libundef.so: undefined symbol: missing (function () -> nil)", e.Message);
            Assert.Throws<LibraryNotLoadedException>(() => linker.Open("libundef.so", OpenMode.NoLoad));
            Assert.Equal("Open: the library name is empty", Assert.Throws<LinkException>(() => linker.Open("")).Message);
            var missing = Assert.Throws<LinkException>(() => linker.Open("libnope.so"));
            Assert.Equal("libnope.so: library not found (requested by Open); searched: /lib", missing.Message);
        }
    }

    [Fact]
    public void StaleFunctionPointer_TrapsNamingTheLibraryAndSymbol()
    {
        var (linker, _) = Host(s => s.Add("libplugin.so", Side(Plugin, memory: 4)));
        using (linker)
        {
            var h = linker.Open("libplugin.so");
            var pointer = linker.Symbol(h, "answer");
            linker.Close(h);
            var e = Assert.ThrowsAny<Wasmtime.WasmtimeException>(() => Call(linker, pointer));
            Assert.Contains("libplugin.so: answer was called after libplugin.so was unloaded (dlclose)", e.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SlotInTheLibrarysOwnRegion_IsFreedOnce()
    {
        // f's slot comes from the library's own element segment; dlsym registers it too. Unloading must free it once,
        // or two later libraries would be given the same slot.
        const string Own = """(func $f (export "f") (result i32) (i32.const 7)) (elem (global.get 1) $f)""";
        var (linker, _) = Host(s => s
            .Add("libown.so", Side(Own, table: 1))
            .Add("libx.so", Side(Own.Replace("7", "8", StringComparison.Ordinal).Replace("\"f\"", "\"x\"", StringComparison.Ordinal), table: 1))
            .Add("liby.so", Side(Own.Replace("7", "9", StringComparison.Ordinal).Replace("\"f\"", "\"y\"", StringComparison.Ordinal), table: 1)));
        using (linker)
        {
            var own = linker.Open("libown.so");
            Assert.Equal(7, Call(linker, linker.Symbol(own, "f")));
            linker.Close(own);
            var x = linker.Open("libx.so");
            var y = linker.Open("liby.so");
            Assert.NotEqual(linker.Symbol(x, "x"), linker.Symbol(y, "y"));
            Assert.Equal((8, 9), (Call(linker, linker.Symbol(x, "x")), Call(linker, linker.Symbol(y, "y"))));
        }
    }

    [Fact]
    public void NoDelete_KeepsTheLibraryLoaded()
    {
        var (linker, _) = Host(s => s.Add("libplugin.so", Side(Plugin, memory: 4)));
        using (linker)
        {
            var h = linker.Open("libplugin.so", OpenMode.Now | OpenMode.NoDelete);
            Call(linker, linker.Symbol(h, "bump"));
            linker.Close(h);
            Assert.True(linker.IsLoaded(h));
            Assert.Equal(2, Call(linker, linker.Symbol(h, "bump")));
        }
    }

    [Fact]
    public void Destructors_RegisteredWithCxaAtexit_RunAtClose_LastFirst()
    {
        var recorded = new List<int>();
        using var host = new DynamicLinker();
        host.DefineFunction("record", (int x) => recorded.Add(x));
        var source = new InMemorySource().Add("libdtor.so", Side("""
            (import "env" "__cxa_atexit" (func $atexit (param i32 i32 i32) (result i32)))
            (import "env" "record" (func $record (param i32)))
            (global (export "__dso_handle") i32 (i32.const 0))
            (elem (global.get 1) $first $second)
            (func $first (param i32) (call $record (local.get 0)))
            (func $second (param i32) (call $record (i32.mul (local.get 0) (i32.const 10))))
            (func (export "__wasm_call_ctors")
              (drop (call $atexit (global.get 1) (i32.const 1) (global.get 0)))
              (drop (call $atexit (i32.add (global.get 1) (i32.const 1)) (i32.const 2) (global.get 0))))
            """, memory: 4, table: 2));
        host.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir] });
        var h = host.Open("libdtor.so");
        Assert.Empty(recorded);
        host.Close(h);
        Assert.Equal([20, 1], recorded);
    }

    [Fact]
    public void ManyOpenCloseCycles_ReuseSlotsAndMemory()
    {
        var (linker, _) = Host(s => s.Add("libplugin.so", Side(Plugin + """(func $static) (elem (global.get 1) $static)""", memory: 64, table: 1)));
        using (linker)
        {
            var h = linker.Open("libplugin.so");
            Call(linker, linker.Symbol(h, "answer"));
            linker.Close(h);
            var tableSize = linker.Table.GetSize();
            var memorySize = linker.Memory.GetLength();
            for (var i = 0; i < 50; i++)
            {
                h = linker.Open("libplugin.so");
                Assert.Equal(1, Call(linker, linker.Symbol(h, "bump")));
                linker.Close(h);
            }

            Assert.Equal(tableSize, linker.Table.GetSize());
            Assert.Equal(memorySize, linker.Memory.GetLength());
            Assert.Equal(51, linker.UnloadedInstances);
        }
    }
}
