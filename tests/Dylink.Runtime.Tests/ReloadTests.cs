using Dylink.Linking;
using Dylink.Linking.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

public class ReloadTests
{
    private static string Version(int value, string signature = "(result i32)") => Side($$"""
        (import "env" "note_ctor" (func $note (param i32)))
        (func (export "version") {{signature}} (i32.const {{value}}))
        (func (export "__wasm_call_ctors") (call $note (i32.const {{value}})))
        """);

    private const string Caller = """
        (import "env" "version" (func $version (result i32)))
        (import "GOT.func" "version" (global $ptr (mut i32)))
        (type $t (func (result i32)))
        (func (export "call_direct") (result i32) (call $version))
        (func (export "call_pointer") (result i32) (call_indirect (type $t) (global.get $ptr)))
        """;

    private static (DynamicLinker Linker, List<int> Constructors) Start()
    {
        var source = new InMemorySource().Add("libv.so", Version(1)).Add("libcaller.so", Side(Caller));
        var constructors = new List<int>();
        var linker = new DynamicLinker();
        linker.DefineFunction("note_ctor", (int v) => constructors.Add(v));
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Rebindable = true });
        return (linker, constructors);
    }

    [Fact]
    public void Reload_FromBytes_WorksUnderASandbox()
    {
        var source = new InMemorySource().Add("libv.so", Version(1));
        using var linker = new DynamicLinker();
        linker.DefineFunction("note_ctor", (int _) => { });
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], AllowedDirectories = [Dir] });
        var v = linker.Open("libv.so", OpenMode.Global);
        var v2 = linker.Reload(v, Wasmtime.Module.ConvertText(Version(2)));
        Assert.Equal(2, linker.GetFunction(v2, "version").Invoke());
        Assert.Equal(v2, linker.Open("libv.so", OpenMode.NoLoad)); // the new version keeps the name
    }

    [Fact]
    public void Reload_FromBytes_TakesOverDirectAndPointerCalls_AndRunsTheNewConstructor()
    {
        var (linker, constructors) = Start();
        using (linker)
        {
            var v = linker.Open("libv.so", OpenMode.Global);
            var caller = linker.Open("libcaller.so", OpenMode.Global);
            var direct = linker.GetFunction<int>("call_direct");
            var pointer = linker.GetFunction<int>("call_pointer");
            Assert.Equal((1, 1), (direct(), pointer()));

            var v2 = linker.Reload(v, Wasmtime.Module.ConvertText(Version(2)));
            Assert.Equal((2, 2), (direct(), pointer()));
            Assert.Equal([1, 2], constructors);
            Assert.NotEqual(v, v2);

            // The old version is still referenced by libcaller's bindings, so it stays; once libcaller goes, both can go.
            Assert.True(linker.IsLoaded(v));
            linker.Close(caller);
            Assert.False(linker.IsLoaded(v));
            Assert.True(linker.IsLoaded(v2));
            var again = linker.Reload(v2, Wasmtime.Module.ConvertText(Version(3)));
            Assert.False(linker.IsLoaded(v2));
            Assert.Equal(3, (int)((Wasmtime.Function)linker.Table.GetElement((uint)linker.Symbol(again, "version"))!).Invoke()!);
        }
    }

    [Fact]
    public void Reload_WithAnotherSignature_IsRefused_AndTheOldVersionStays()
    {
        var (linker, _) = Start();
        using (linker)
        {
            var v = linker.Open("libv.so", OpenMode.Global);
            var e = Assert.Throws<LinkException>(() => linker.Reload(v, Wasmtime.Module.ConvertText(Version(2, "(result i64)").Replace("i32.const 2", "i64.const 2", StringComparison.Ordinal))));
            Assert.Equal("libv.so: version: the new version is () -> i64, the loaded one () -> i32", e.Message);
            Assert.True(linker.IsLoaded(v));
        }
    }
}
