using Dylink.Linking;
using Dylink.Tests;

namespace Dylink.Runtime.Tests;

/// <summary>Real toolchain-built programs loaded through the C# API and checked against the values their sources compute.</summary>
public class FixtureProgramTests
{
    private static LinkOptions InFixtures(params string[] libraries) => new() { SearchPaths = [Fixtures.BinDir], Libraries = libraries };

    [Theory]
    [InlineData("main-pie.wasm", "libside.so")]
    [InlineData("main14-pie.wasm", "libside14.so")]
    public void PieMain_WithSideModule_ComputesRun(string main, string side)
    {
        // main.c: run() = side_func(1) + main_data + external_counter; side_func adds host_add(1, 42) + host_add_ptr(ctor_ran=1, 0).
        using var linker = new DynamicLinker();
        linker.Load(Fixtures.PathOf(main), InFixtures(side));
        Assert.Equal(MainKind.Relocatable, linker.Plan.Kind);
        Assert.Equal(52, linker.GetFunction("run").Invoke());
        Assert.Equal(42, linker.Memory.ReadInt32(linker.GetDataAddress("side_data")));
    }

    [Fact]
    public void NeededDiamond_LoadsTheSharedLibraryOnce()
    {
        using var linker = new DynamicLinker();
        linker.LoadLibraries(InFixtures("libtop.so"));
        Assert.Equal(["libtop.so", "liba.so", "libb.so", "libbase.so"], linker.Plan.Modules.Select(m => m.Name));
        Assert.Equal(["libbase.so", "liba.so", "libb.so", "libtop.so"], linker.Plan.ConstructorOrder.Select(i => linker.Plan.Modules[i].Name));
        Assert.Equal(303, linker.GetFunction("top_func").Invoke());
    }

    [Fact]
    public void EmscriptenSideModules_WithNeeded()
    {
        using var linker = new DynamicLinker();
        linker.LoadLibraries(InFixtures("libem_user.so"));
        Assert.Equal(2002, linker.GetFunction("user_func").Invoke(1));
    }

    [Fact]
    public void LegacyDylinkSection_IsLoaded()
    {
        using var linker = new DynamicLinker();
        linker.LoadLibraries(InFixtures("handmade-legacy-dylink.so"));
        Assert.Equal(8, linker.GetFunction("legacy_func").Invoke());
    }

    [Fact]
    public void RuntimePath_WithOrigin_FindsTheDependency()
    {
        // libsub.so lives only in bin/sub; the library's RUNTIME_PATH says $ORIGIN/sub.
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { Libraries = [Fixtures.PathOf("handmade-runtime-path.so")] });
        Assert.Equal(Path.Combine(Fixtures.BinDir, "sub", "libsub.so"), linker.Plan.Modules.Single(m => m.Name == "libsub.so").Path);
        Assert.Equal(42, linker.GetFunction("uses_sub").Invoke());
    }

    [Fact]
    public void RustSeed_TableSwapThroughTheSharedTable()
    {
        // The seed's host_swap(slot, with) overwrites a table slot: the hack Dylink replaces, still working on top of it.
        using var linker = new DynamicLinker();
        linker.DefineFunction("host_swap", (int slot, int with) => linker.Table.SetElement((uint)slot, linker.Table.GetElement((uint)with)));
        linker.LoadLibraries(InFixtures("librust_seed.so"));
        // replace_me() returns its own table index + 7: the GOT.func slot the loader gave it.
        var slot = (long)linker.GetFunction("replace_me").Invoke()! - 7;
        Assert.True(slot > 0, "slot 0 stays null");
        Assert.Equal(linker.GetFunction("replace_me").Raw, linker.Table.GetElement((uint)slot));
        Assert.Equal(50L, linker.GetFunction("watch_me").Invoke());
    }

    [Fact]
    public void WasiLibcMain_RunsWithItsLibrary()
    {
        using var linker = new DynamicLinker();
        var output = new System.Text.StringBuilder();
        linker.ConfigureWasi(new Wasmtime.WasiConfiguration().WithStandardOutputCallback(b => output.Append(System.Text.Encoding.UTF8.GetString(b))));
        linker.Load(Fixtures.PathOf("host-libc-needed.wasm"));
        Assert.Equal(MainKind.Fixed, linker.Plan.Kind);
        Assert.Equal(0, linker.RunMain());
        Assert.Equal("hello from libhello.so: x=5 ready=1\nhost: side_hello(5) returned 40\n", output.ToString());
    }
}
