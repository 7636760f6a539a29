using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Linking.Tests;

public class MainExportsTests
{
    private static IReadOnlyList<MainExport> For(InMemorySource source, params string[] libraries) =>
        MainExports.For(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = libraries });

    [Fact]
    public void WhatNoLibraryDefines_TheLoaderDoesNotProvide_IsTheMains()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""
                (import "env" "printf" (func $printf (param i32 i32) (result i32)))
                (import "env" "b_func" (func $b (result i32)))
                (import "env" "dlopen" (func $dlopen (param i32 i32) (result i32)))
                (import "env" "__cxa_atexit" (func $atexit (param i32 i32 i32) (result i32)))
                (import "env" "__stack_pointer" (global (mut i32)))
                (import "GOT.mem" "environ" (global (mut i32)))
                (import "GOT.func" "qsort" (global (mut i32)))
                (func (export "a_func") (result i32) (call $b))
                """, memory: 16, needed: "\"libb.so\""))
            .Add("libb.so", Side("""
                (import "env" "printf" (func $printf (param i32 i32) (result i32)))
                (import "env" "strlen" (func $strlen (param i32) (result i32)))
                (func (export "b_func") (result i32) (i32.const 1))
                """));

        var exports = For(source, "liba.so");

        // b_func is libb.so's; dlopen and __cxa_atexit are the loader's to give libraries; __memory_base and __table_base
        // are per module. The allocator is there because liba.so has data to place, __cxa_atexit so that the loader can
        // have the libraries' destructors run at exit.
        Assert.Equal(
            ["__cxa_atexit Function the loader", "__stack_pointer Global liba.so", "aligned_alloc Function the loader", "environ Data liba.so", "printf Function liba.so", "qsort Function liba.so", "strlen Function libb.so"],
            exports.Select(e => $"{e.Name} {e.Kind} {e.NeededBy}"));
        Assert.All(exports, e => Assert.False(e.IsWeak));
    }

    [Fact]
    public void AWeakReference_IsOptional_UnlessAnotherLibraryNeedsItStrongly()
    {
        var source = new InMemorySource()
            .Add("liba.so", """
                (module
                  (@dylink.0 (mem-info (memory 0 0)) (import-info "env" "maybe" binding-weak undefined) (import-info "env" "both" binding-weak undefined))
                  (import "env" "maybe" (func (result i32)))
                  (import "env" "both" (func (result i32))))
                """)
            .Add("libb.so", Side("""(import "env" "both" (func (result i32)))"""));

        var exports = For(source, "liba.so", "libb.so");

        Assert.Equal(["__cxa_atexit False", "both False", "maybe True"], exports.Select(e => $"{e.Name} {e.IsWeak}"));
        // No library has data: no allocator needed.
        Assert.DoesNotContain(exports, e => e.Name == "aligned_alloc");
    }

    [Fact]
    public void AMissingLibrary_IsALinkError_NamingWhoNeedsIt()
    {
        var source = new InMemorySource().Add("liba.so", Side("", needed: "\"libgone.so\""));

        var e = Assert.Throws<LinkException>(() => For(source, "liba.so"));

        Assert.Equal("libgone.so: library not found (needed by liba.so); searched: /lib", e.Message);
    }
}
