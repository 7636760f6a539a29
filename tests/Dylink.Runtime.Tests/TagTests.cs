using Dylink.Linking;
using Dylink.Linking.Tests;
using Wasmtime;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

/// <summary>
/// Exceptions across modules with the standard exception-handling encoding (<c>try_table</c>, <c>throw</c>): every
/// importer of a tag gets the same tag, whether the loader creates it or a module defines it.
/// </summary>
public class TagTests
{
    // Throws its argument with the C++ exception tag, which nobody defines: the loader creates it.
    private const string Thrower = """
        (import "env" "__cpp_exception" (tag $cpp (param i32)))
        (func (export "thrower") (param i32) (throw $cpp (local.get 0)))
        """;

    // Calls thrower and catches with its own import of the tag: the payload + 1, or -1 when nothing was thrown.
    private const string Catcher = """
        (import "env" "__cpp_exception" (tag $cpp (param i32)))
        (import "env" "thrower" (func $thrower (param i32)))
        (func (export "catch_it") (param i32) (result i32)
          (i32.add
            (block $caught (result i32)
              (try_table (catch $cpp $caught) (call $thrower (local.get 0)))
              (return (i32.const -1)))
            (i32.const 1)))
        """;

    private static DynamicLinker Host(InMemorySource source, params string[] libraries)
    {
        var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = libraries });
        return linker;
    }

    private static int Call(DynamicLinker linker, string symbol, int argument) => (int)linker.GetFunction(symbol).Invoke(argument)!;

    [Fact]
    public void ThrownInOneLibrary_CaughtInAnother_ThroughTheLoadersTag()
    {
        var source = new InMemorySource()
            .Add("libthrow.so", Side(Thrower))
            .Add("libcatch.so", Side(Catcher, needed: "\"libthrow.so\""));
        using var linker = Host(source, "libcatch.so");
        Assert.Equal(42, Call(linker, "catch_it", 41));
    }

    [Fact]
    public void ATagOfTheCatchersOwn_DoesNotCatch()
    {
        // The same catcher with a tag it defines itself: proof that catching above depends on sharing the tag.
        var source = new InMemorySource()
            .Add("libthrow.so", Side(Thrower))
            .Add("libcatch.so", Side(Catcher.Replace("""(import "env" "__cpp_exception" (tag $cpp (param i32)))""",
                "(tag $cpp (param i32))", StringComparison.Ordinal), needed: "\"libthrow.so\""));
        using var linker = Host(source, "libcatch.so");
        var e = Assert.ThrowsAny<WasmtimeException>(() => Call(linker, "catch_it", 1));
        Assert.Contains("thrown Wasm exception", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TagDefinedByALibrary_IsTheOneItsImportersCatch()
    {
        // libdef.so defines and exports __c_longjmp and throws it; libcatch.so imports it and catches.
        var source = new InMemorySource()
            .Add("libdef.so", Side("""
                (tag $ljmp (export "__c_longjmp") (param i32))
                (func (export "thrower") (param i32) (throw $ljmp (local.get 0)))
                """))
            .Add("libcatch.so", Side(Catcher.Replace("__cpp_exception", "__c_longjmp", StringComparison.Ordinal), needed: "\"libdef.so\""));
        using var linker = Host(source, "libcatch.so");
        Assert.Equal(8, Call(linker, "catch_it", 7));
    }

    [Fact]
    public void LibraryOpenedLater_SharesTheLoadersTag()
    {
        var source = new InMemorySource()
            .Add("libthrow.so", Side(Thrower))
            .Add("libcatch.so", Side(Catcher));
        using var linker = Host(source, "libthrow.so");
        linker.Open("libcatch.so", OpenMode.Now | OpenMode.Global);
        Assert.Equal(100, Call(linker, "catch_it", 99));
    }

    [Fact]
    public void ALibraryWhoseTagIsImported_StaysLoadedUntilItsImporterGoes()
    {
        // libuser.so binds to nothing of libdef.so but its tag (no NEEDED entry): that binding alone is a dependency.
        var source = new InMemorySource()
            .Add("libdef.so", Side("""(tag (export "__c_longjmp") (param i32))"""))
            .Add("libuser.so", Side("""(import "env" "__c_longjmp" (tag (param i32)))"""));
        using var linker = Host(source);
        var definer = linker.Open("libdef.so", OpenMode.Now | OpenMode.Global);
        var user = linker.Open("libuser.so", OpenMode.Now | OpenMode.Global);
        linker.Close(definer);
        Assert.True(linker.IsLoaded(definer));
        linker.Close(user);
        Assert.False(linker.IsLoaded(definer));
    }

    [Fact]
    public void CatchAll_InAThirdLibrary_RethrowsToTheFirst()
    {
        // librethrow.so catches everything with catch_all_ref and rethrows with throw_ref; libcatch.so still sees the payload.
        var source = new InMemorySource()
            .Add("libthrow.so", Side(Thrower))
            .Add("librethrow.so", Side("""
                (import "env" "__cpp_exception" (tag $cpp (param i32)))
                (import "env" "thrower" (func $thrower (param i32)))
                (global $seen (mut i32) (i32.const 0))
                (func (export "relay") (param i32)
                  (throw_ref
                    (block $all (result exnref)
                      (try_table (catch_all_ref $all) (call $thrower (local.get 0)))
                      (return))))
                """, needed: "\"libthrow.so\""))
            .Add("libcatch.so", Side(Catcher.Replace("\"thrower\"", "\"relay\"", StringComparison.Ordinal), needed: "\"librethrow.so\""));
        using var linker = Host(source, "libcatch.so");
        Assert.Equal(6, Call(linker, "catch_it", 5));
    }
}
