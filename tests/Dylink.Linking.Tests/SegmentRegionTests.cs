using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Linking.Tests;

/// <summary>Issue 13, item 7: a relocatable module's active segments lie inside its MEM_INFO regions.</summary>
public sealed class SegmentRegionTests
{
    private const string Sixteen = "\"0123456789abcdef\"";

    private static LinkException Fails(InMemorySource source) => Assert.Throws<LinkException>(() => source.PlanHosted("liba.so"));

    [Fact]
    public void SegmentsFillingTheirRegionsExactly_Link()
    {
        var source = new InMemorySource().Add("liba.so", Side($"""
            (func $f)
            (data (global.get 0) {Sixteen})
            (data (i32.add (global.get 0) (i32.const 16)) {Sixteen})
            (data (i32.add (i32.const 32) (global.get 0)) {Sixteen})
            (elem (global.get 1) func $f)
            (elem (i32.add (global.get 1) (i32.const 1)) func $f)
            """, memory: 48, table: 2));
        Assert.Single(source.PlanHosted("liba.so").Modules);
    }

    [Fact]
    public void DataSegmentPastMemInfo_NamesModuleSegmentAndOverflow()
    {
        var source = new InMemorySource().Add("liba.so", Side($"""
            (data (global.get 0) {Sixteen})
            (data {Sixteen})
            (data (i32.add (global.get 0) (i32.const 0x110)) {Sixteen})
            """, memory: 0x100));
        Assert.Equal<string>(["liba.so: data segment 2 ends at 0x120, past its 0x100 bytes of memory (MEM_INFO)"], Fails(source).Errors);
    }

    [Fact]
    public void DataSegmentBeforeMemInfo_IsRefused()
    {
        var source = new InMemorySource().Add("liba.so", Side($"""
            (data (i32.sub (global.get 0) (i32.const 16)) {Sixteen})
            """, memory: 0x100));
        Assert.Equal<string>(["liba.so: data segment 0 starts at -0x10, before its memory (MEM_INFO)"], Fails(source).Errors);
    }

    [Fact]
    public void DataSegmentAtAnAbsoluteAddress_IsRefused()
    {
        var source = new InMemorySource().Add("liba.so", Side($"""
            (data (i32.const 1024) {Sixteen})
            """, memory: 0x100));
        Assert.Equal<string>(
            ["liba.so: data segment 0 is placed at the absolute address 0x400, outside its memory (MEM_INFO): a relocatable module's data goes at __memory_base"],
            Fails(source).Errors);
    }

    [Fact]
    public void ElementSegmentPastMemInfo_NamesModuleSegmentAndOverflow()
    {
        var source = new InMemorySource().Add("liba.so", Side("""
            (func $f)
            (elem (global.get 1) func $f $f $f)
            """, table: 2));
        Assert.Equal<string>(["liba.so: element segment 0 ends at slot 3, past its 2 table slots (MEM_INFO)"], Fails(source).Errors);
    }

    [Fact]
    public void ElementSegmentBeforeOrOutsideItsSlots_IsRefused()
    {
        var source = new InMemorySource().Add("liba.so", Side("""
            (func $f)
            (elem (i32.sub (global.get 1) (i32.const 1)) func $f)
            (elem (i32.const 1) func $f)
            """, table: 2));
        Assert.Equal<string>(
            [
                "liba.so: element segment 0 starts at slot -1, before its table slots (MEM_INFO)",
                "liba.so: element segment 1 is placed at the absolute slot 1, outside its table slots (MEM_INFO): a relocatable module's functions go at __table_base",
            ],
            Fails(source).Errors);
    }

    [Fact]
    public void SegmentsTheLoaderDoesNotPlace_AreNotChecked()
    {
        // Passive segments (TLS data is passive) are copied by the module's own code; a segment placed from another
        // global (a TLS block's __tls_base) is measured against that block, not MEM_INFO; empty segments write nothing.
        var source = new InMemorySource().Add("liba.so", Side($"""
            (global $tls_base i32 (i32.const 0))
            (func $f)
            (data {Sixteen})
            (data (global.get $tls_base) {Sixteen})
            (data (i32.add (global.get 0) (i32.const 0x1000)) "")
            (elem func $f)
            (elem (i32.add (global.get 1) (i32.const 9)) func)
            """, memory: 8));
        Assert.Single(source.PlanHosted("liba.so").Modules);
    }

    [Fact]
    public void DlopenedLibraryPastMemInfo_IsRefused()
    {
        var source = new InMemorySource()
            .Add("libstart.so", Side(""))
            .Add("libopen.so", Side($"(data (i32.add (global.get 0) (i32.const 4)) {Sixteen})", memory: 16));
        var scope = new ProgramScope(source.PlanHosted("libstart.so"), []);
        var e = Assert.Throws<LinkException>(() => LinkPlanner.PlanOpen(scope, "libopen.so", new LinkOptions { Source = source, SearchPaths = [Dir] }));
        Assert.Equal<string>(["libopen.so: data segment 0 ends at 0x14, past its 0x10 bytes of memory (MEM_INFO)"], e.Errors);
    }

    [Fact]
    public void EveryModulesOverflow_IsReportedAtOnce()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side($"(data (global.get 0) {Sixteen})", memory: 8, needed: "\"libb.so\""))
            .Add("libb.so", Side("(func $f) (elem (global.get 1) func $f)"));
        Assert.Equal<string>(
            [
                "liba.so: data segment 0 ends at 0x10, past its 0x8 bytes of memory (MEM_INFO)",
                "libb.so: element segment 0 ends at slot 1, past its 0 table slots (MEM_INFO)",
            ],
            Fails(source).Errors);
    }
}
