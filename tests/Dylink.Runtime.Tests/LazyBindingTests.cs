using Dylink.Linking;
using Dylink.Linking.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

/// <summary><c>RTLD_LAZY</c> as glibc means it (issue 14): a function no module defines yet is bound at its first call.</summary>
public class LazyBindingTests
{
    private static DynamicLinker Start()
    {
        var source = new InMemorySource()
            .Add("libeager.so", Side("""
                (import "env" "later" (func $later (param i32) (result i32)))
                (func (export "call_later") (param i32) (result i32) (call $later (local.get 0)))
                (func (export "other") (result i32) (i32.const 5))
                """))
            .Add("libprovider.so", Side("""(func (export "later") (param i32) (result i32) (i32.add (local.get 0) (i32.const 100)))"""));
        var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir] });
        return linker;
    }

    [Fact]
    public void Lazy_LoadsWithAnUndefinedFunction_TrapsNamingIt_ThenBindsOnceDefined()
    {
        using var linker = Start();
        var eager = Assert.Throws<LinkException>(() => linker.Open("libeager.so", OpenMode.Now));
        Assert.Equal(["libeager.so: undefined symbol: later (function (i32) -> i32)"], eager.Errors);

        var handle = linker.Open("libeager.so", OpenMode.Lazy);
        var call = linker.GetFunction<int, int>(handle, "call_later");
        Assert.Equal(5, linker.GetFunction<int>(handle, "other")()); // the rest of the library works
        var trap = Assert.ThrowsAny<Wasmtime.WasmtimeException>(() => call(1));
        Assert.Contains("libeager.so: undefined symbol: later (function (i32) -> i32), called at last (bound lazily, RTLD_LAZY)", trap.ToString(), StringComparison.Ordinal);

        var provider = linker.Open("libprovider.so", OpenMode.Global);
        Assert.Equal(101, call(1));   // resolved against the scope as it is now
        Assert.Equal(102, call(2));   // and bound for good

        // The first call wrote the importer's call table entry too: its calls no longer go through the thunk and the
        // resolver's forwarding slot.
        linker.ForwardingTable!.SetElement(0, null);
        Assert.Equal(103, call(3));

        // The binding made at the first call keeps the provider loaded while the importer is.
        linker.Close(provider);
        Assert.True(linker.IsLoaded(provider));
        Assert.Equal(104, call(4));
        linker.Close(handle);
        Assert.False(linker.IsLoaded(provider));
    }
}
