using Dylink.Tests;

namespace Dylink.Cli.Tests;

public class RunAndLddTests
{
    /// <summary>The directory searched last: the checkout's kit (the default library directory, where libc.so is).</summary>
    private static readonly string KitLibraries = Path.Combine(Fixtures.RepoRoot, "kit", "sysroot", "lib", "wasm32-wasi");

    // The imports every position-independent module has, for the hand-written modules below.
    private const string PicImports = """
        (import "env" "memory" (memory 1)) (import "env" "__indirect_function_table" (table 0 funcref))
        (import "env" "__memory_base" (global i32)) (import "env" "__table_base" (global i32))
        """;

    private static string E2e(string scenario) => Path.Combine(Fixtures.BinDir, "e2e", scenario, "main.wasm");

    [Fact]
    public void Run_MissingLibrary_Exits127_WithOneLinePerProblem()
    {
        // host-libc.wasm needs side_hello but names no library: nothing provides it.
        var (code, stdout, stderr) = CliRunner.Run("run", Fixtures.PathOf("host-libc.wasm"));
        Assert.Equal(127, code);
        Assert.Equal("", stdout);
        Assert.Equal("dylink: host-libc.wasm: undefined symbol: side_hello (function (i32) -> i32)\n", stderr);
    }

    [Fact]
    public void Run_WithDashL_LoadsTheLibrary()
    {
        var (code, stdout, stderr) = CliRunner.Run("run", "-L", Fixtures.BinDir, "-l", "libhello.so", Fixtures.PathOf("host-libc.wasm"));
        Assert.Equal("", stderr);
        Assert.Equal("hello from libhello.so: x=5 ready=1\nhost: side_hello(5) returned 40\n", stdout);
        Assert.Equal(0, code);
    }

    [Fact]
    public void Run_LibraryNotFound_Exits127()
    {
        var (code, _, stderr) = CliRunner.Run("run", "-l", "libnope.so", Fixtures.PathOf("host-libc.wasm"));
        Assert.Equal(127, code);
        // Symbols are not resolved while libraries are missing: that would only add noise.
        Assert.Equal($"dylink: libnope.so: library not found (requested by -l); searched: {Fixtures.BinDir}, {KitLibraries}\n", stderr);
    }

    [Fact]
    public void Run_MissingMain_Exits2_AsAnyUnreadableInput()
    {
        // The file named on the command line is input, as for readelf and nm (2); 127 is for what it needs.
        var (code, _, stderr) = CliRunner.Run("run", "nope.wasm");
        Assert.Equal(2, code);
        Assert.Equal("dylink: nope.wasm: cannot read: no such file\n", stderr);
    }

    [Fact]
    public void Run_PassesArgumentsAfterMain_ToTheProgram_OptionsIncluded()
    {
        // exit_in_side exits with 3 whatever its arguments; what matters is that "--weird" is not parsed as dylink's.
        var (code, _, stderr) = CliRunner.Run("run", E2e("exit_in_side"), "--weird", "-l", "x");
        Assert.Equal("", stderr);
        Assert.Equal(3, code);
    }

    [Fact]
    public void Run_Watch_RunsTheProgramAsUsual()
    {
        var (code, stdout, stderr) = CliRunner.Run("run", "--watch", E2e("basics"));
        Assert.Equal("", stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(Fixtures.BinDir, "e2e", "basics", "expected.txt")), stdout);
        Assert.Equal(0, code);
    }

    [Fact]
    public void Run_Timeout_Exits124()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dylink-forever-{Guid.NewGuid():N}.wasm");
        File.WriteAllBytes(path, Wasmtime.Module.ConvertText("""(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))"""));
        try
        {
            var (code, _, stderr) = CliRunner.Run("run", "--timeout", "0.2", path);
            Assert.Equal(124, code);
            Assert.Equal($"dylink: {Path.GetFileName(path)}: stopped after 0.2 s (timeout)\n", stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Run_MaxTableTooSmallForTheProgram_IsALoadFailure_NamingWhatCannotBeCreated()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--max-table", "0", E2e("basics"));
        Assert.Equal(127, code);
        Assert.Equal("dylink: main.wasm: the forwarding table cannot be created: table minimum size of 1 elements exceeds table limits\n", stderr);
    }

    [Fact]
    public void Run_Timeout_CoversLibraryConstructors()
    {
        var dir = Directory.CreateTempSubdirectory("dylink-loop").FullName;
        File.WriteAllBytes(Path.Combine(dir, "main.wasm"), Wasmtime.Module.ConvertText(
            $$"""(module (@dylink.0 (mem-info (memory 0 0) (table 0 0))) {{PicImports}} (func (export "_start")))"""));
        File.WriteAllBytes(Path.Combine(dir, "libloop.so"), Wasmtime.Module.ConvertText(
            $$"""(module (@dylink.0 (mem-info (memory 8 0) (table 0 0))) {{PicImports}} (func (export "__wasm_call_ctors") (loop $l (br $l))))"""));
        try
        {
            var (code, _, stderr) = CliRunner.Run("run", "--timeout", "0.2", "-l", "libloop.so", Path.Combine(dir, "main.wasm"));
            Assert.Equal(124, code);
            Assert.Equal("dylink: libloop.so: constructor (__wasm_call_ctors): stopped after 0.2 s (timeout)\n", stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("/plugins/libx.so", true, 0)]      // through the guest's --dir view
    [InlineData("/plugins/libx.so", false, 1)]     // no such directory in its view
    [InlineData("HOST/libx.so", true, 1)]          // a host path is not the guest's
    public void Run_GuestDlopen_ReadsPathsInTheGuestsView(string guestPath, bool mapped, int exit)
    {
        var dir = Directory.CreateTempSubdirectory("dylink-view").FullName;
        var host = Directory.CreateDirectory(Path.Combine(dir, "plugins-host")).FullName;
        guestPath = guestPath.Replace("HOST", host, StringComparison.Ordinal);
        File.WriteAllBytes(Path.Combine(dir, "main.wasm"), Wasmtime.Module.ConvertText($$"""
            (module (@dylink.0 (mem-info (memory 256 0) (table 0 0))) {{PicImports}}
              (import "env" "dlopen" (func $dlopen (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (data (global.get 0) "{{guestPath}}\00")
              (func (export "_start") (call $exit (i32.eqz (call $dlopen (global.get 0) (i32.const 2))))))
            """));
        File.WriteAllBytes(Path.Combine(host, "libx.so"), Wasmtime.Module.ConvertText(
            $$"""(module (@dylink.0 (mem-info (memory 0 0) (table 0 0))) {{PicImports}} (func (export "x")))"""));
        try
        {
            string[] view = mapped ? ["--dir", $"{host}::/plugins"] : [];
            var (code, _, stderr) = CliRunner.Run(["run", .. view, Path.Combine(dir, "main.wasm")]);
            Assert.Equal("", stderr);
            Assert.Equal(exit, code);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Run_LibrarySandbox_RefusesLibrariesElsewhere()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--library-sandbox", "-l", Fixtures.PathOf("libhello.so"), E2e("basics"));
        Assert.Equal(127, code);
        // Paths under the fixture folder are shown relative to it.
        Assert.Equal("dylink: libhello.so: libhello.so is outside the allowed library directories (e2e/basics) (requested by -l)\n", stderr);
    }

    [Fact]
    public void Run_MaxLibraries_Exits127()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--max-libraries", "1", E2e("basics"));
        Assert.Equal(127, code);
        Assert.Equal("dylink: libbasics.so: too many modules: the limit is 1 (needed by main.wasm)\n", stderr);
    }

    [Fact]
    public void Run_MaxFileSize_Exits127()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--max-file-size", "100", E2e("basics"));
        Assert.Equal(127, code);
        Assert.StartsWith("dylink: libbasics.so: e2e/basics/libbasics.so has ", stderr, StringComparison.Ordinal);
        Assert.EndsWith(" bytes, more than the limit of 100 (needed by main.wasm)\n", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithACacheDirectory_RunsAsUsual_AndFillsIt()
    {
        var cache = Directory.CreateTempSubdirectory("dylink-cli-cache").FullName;
        try
        {
            var (code, stdout, stderr) = CliRunner.Run("run", "--cache", cache, E2e("basics"));
            Assert.Equal("", stderr);
            Assert.Equal(File.ReadAllText(Path.Combine(Fixtures.BinDir, "e2e", "basics", "expected.txt")), stdout);
            Assert.Equal(0, code);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(cache, "code-v1"), "*.code"));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public void Run_DebugTrace_GoesToStderr()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--debug", "libs,bindings", E2e("basics"));
        Assert.Equal(0, code);
        Assert.Contains("dylink: instantiated main.wasm\n", stderr, StringComparison.Ordinal);
        Assert.Contains("dylink: main.wasm: env.side_compute <- libbasics.so:side_compute (forwarded)\n", stderr, StringComparison.Ordinal);
        Assert.Contains(": calling __wasm_call_ctors\n", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_UnknownDebugWord_IsAUsageError()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--debug", "everything", E2e("basics"));
        Assert.Equal(1, code);
        Assert.Equal("dylink: unknown DYLINK_DEBUG word 'everything' (use libs, bindings, symbols, all or timing)\n", stderr);
    }

    [Fact]
    public void Ldd_ShowsTreeAndOrders()
    {
        var (code, stdout, stderr) = CliRunner.Run("ldd", E2e("needed_diamond"));
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        Assert.Equal(
            """
            main: main.wasm (non-PIE: owns memory, table and stack; libraries' data from its aligned_alloc)
            	libdia_a.so => e2e/needed_diamond/libdia_a.so (memory block+0x0, 0 bytes; table +0, 0 slots)
            	libdia_b.so => e2e/needed_diamond/libdia_b.so (memory block+0x0, 0 bytes; table +0, 0 slots)
            	libdia_base.so => e2e/needed_diamond/libdia_base.so (memory block+0x0, 8 bytes; table +0, 0 slots)
            libraries' block: 8 bytes, alignment 4; table block: 0 slots (0 function slots)
            instantiation order: main.wasm, libdia_base.so, libdia_a.so, libdia_b.so
            constructor order: libdia_base.so, libdia_a.so, libdia_b.so, main.wasm

            """.Replace("\r", "", StringComparison.Ordinal), stdout);
    }

    [Fact]
    public void Ldd_Wasm64_SaysSo()
    {
        var (code, stdout, stderr) = CliRunner.Run("ldd", Fixtures.PathOf("wasm64/llvm19/main64.wasm"));
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        Assert.Contains("memory 17 pages (wasm64: 64-bit memory); 64-bit table\n", stdout, StringComparison.Ordinal);
        Assert.Contains("constructor order: libbase64.so, libside64.so, main64.wasm\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Ldd_Wasm64MainWithAWasm32Library_Exits127NamingBoth()
    {
        var (code, _, stderr) = CliRunner.Run("ldd", "-L", Fixtures.BinDir, "-l", "libbase.so", Fixtures.PathOf("wasm64/llvm19/main64.wasm"));
        Assert.Equal(127, code);
        Assert.StartsWith("dylink: libbase.so: a wasm32 module (32-bit memory) cannot be linked with main64.wasm, a wasm64 module (64-bit memory): one program has one memory\n", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Ldd_PthreadModules_Exit127WithTheSharedMemoryMessage()
    {
        var (code, stdout, stderr) = CliRunner.Run("ldd", Fixtures.PathOf("tls/libtls_use.so"));
        Assert.Equal(127, code);
        // The tree is still shown; the reason it would not load is on stderr.
        Assert.StartsWith("root: libtls_use.so (relocatable, no _start", stdout, StringComparison.Ordinal);
        Assert.Equal(
            "dylink: libtls_use.so: imports a shared memory (it was built for threads); Wasmtime's .NET embedding cannot create shared memories\n" +
            "dylink: libtls_def.so: imports a shared memory (it was built for threads); Wasmtime's .NET embedding cannot create shared memories\n",
            stderr);
    }

    [Fact]
    public void Ldd_ThreadLocalsWithoutATlsBlock_Exit127_RatherThanSitAtAddressZero()
    {
        // Real clang-19 -pthread output linked without --shared-memory: __tls_base is the constant 0.
        var (code, stdout, stderr) = CliRunner.Run("ldd", Fixtures.PathOf("tls/broken/libtls_noshm.so"));
        Assert.Equal(127, code);
        Assert.StartsWith("root: libtls_noshm.so (relocatable, no _start", stdout, StringComparison.Ordinal);
        Assert.Equal("dylink: libtls_noshm.so: defines thread-local tls_counter but exports no TLS block (__wasm_init_tls, __tls_size, __tls_align), so its thread-locals cannot be placed: wasm-ld writes such a module for -pthread or -matomics without --shared-memory (its __tls_base is the constant 0) or without --export-if-defined for the three; see docs/threads.md\n", stderr);
    }

    [Fact]
    public void Ldd_OfALibrary_CallsItTheRoot_NotAMain()
    {
        Assert.StartsWith("root: libtop.so (relocatable, no _start: a library or a reactor)\n", CliRunner.Run("ldd", Fixtures.PathOf("libtop.so")).Stdout, StringComparison.Ordinal);
        Assert.StartsWith("main: main.wasm (PIE)\n", CliRunner.Run("ldd", E2e("pie")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Ldd_ShowsTheTlsBlock()
    {
        var (code, stdout, _) = CliRunner.Run("ldd", Fixtures.PathOf("tls/unshared/libtls_use.so"));
        Assert.Equal(0, code);
        Assert.Contains("/libtls_def.so (memory 0x100400, 24 bytes; table +0, 0 slots; TLS block 0x100418)\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void LddBindings_ShowTheExceptionTags_AsTheLoaders()
    {
        var (code, stdout, stderr) = CliRunner.Run("ldd", "--bindings", Path.Combine(Fixtures.BinDir, "cxx", "exceptions", "main.wasm"));
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        // libwasmeh.so throws with both tags and libcatch.so catches with __cpp_exception (libthrow.so only throws
        // through libwasmeh.so and unwinds with catch_all): one loader tag per name, three importers in all.
        Assert.Equal(2, stdout.Split('\n').Count(l => l == "\tenv.__cpp_exception <- tag created by the loader (shared by every importer)"));
        Assert.Single(stdout.Split('\n'), l => l == "\tenv.__c_longjmp <- tag created by the loader (shared by every importer)");
    }

    [Fact]
    public void Ldd_UndefinedSymbol_ShowsTheTree_ThenTheSymbolWithWhoNeedsIt_AndExits127()
    {
        var (code, stdout, stderr) = CliRunner.Run("ldd", Fixtures.PathOf("host-libc.wasm"));
        Assert.Equal(127, code);
        Assert.StartsWith("main: host-libc.wasm (non-PIE", stdout, StringComparison.Ordinal);
        Assert.Contains("\nconstructor order: host-libc.wasm\n", stdout, StringComparison.Ordinal);
        Assert.EndsWith("\nundefined symbol: side_hello\t(host-libc.wasm)\n", stdout, StringComparison.Ordinal);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void Ldd_MissingLibrary_IsNotFoundInTheTree_AndTheRestIsShown()
    {
        var dir = Directory.CreateTempSubdirectory("dylink-ldd").FullName;
        // A PIE main needing libhello.so (there) and libgone.so (not), and calling gone() that only libgone.so would define.
        File.WriteAllBytes(Path.Combine(dir, "main.wasm"), Wasmtime.Module.ConvertText("""
            (module
              (@dylink.0 (mem-info (memory 0 0)) (needed "libhello.so" "libgone.so"))
              (import "env" "memory" (memory 0))
              (import "env" "__memory_base" (global i32))
              (import "env" "gone" (func))
              (func (export "_start")))
            """));
        File.Copy(Path.Combine(Fixtures.RepoRoot, "examples", "hello", "libhello.so"), Path.Combine(dir, "libhello.so"));
        var (code, stdout, stderr) = CliRunner.Run("ldd", "-l", "libnope.so", Path.Combine(dir, "main.wasm"));
        Assert.Equal(127, code);
        var lines = stdout.Split('\n');
        Assert.Equal("main: main.wasm (PIE)", lines[0]);
        Assert.StartsWith($"\tlibhello.so => {Path.Combine(dir, "libhello.so")} (memory 0x", lines[1], StringComparison.Ordinal);
        Assert.Equal(["\tlibgone.so => not found", "\tlibnope.so => not found"], lines[3..5]);
        // libhello.so's libc imports and the main's gone(), each with the module that needs it.
        Assert.Contains("undefined symbol: gone\t(main.wasm)", lines);
        Assert.Contains("undefined symbol: printf\t(libhello.so)", lines);
        Assert.Equal(
            $"dylink: libgone.so: library not found (needed by main.wasm); searched: {dir}, {KitLibraries}\n"
            + $"dylink: libnope.so: library not found (requested by -l); searched: {dir}, {KitLibraries}\n",
            stderr);
    }

    [Fact]
    public void Ldd_LoneLibrary_ShowsItsTree_AndTheSymbolsAMainWouldProvide()
    {
        var plugins = Path.Combine(Fixtures.RepoRoot, "examples", "plugin-host", "plugins");
        var (code, stdout, stderr) = CliRunner.Run("ldd", Path.Combine(plugins, "libgreet.so"));
        Assert.Equal((0, ""), (code, stderr));
        var lines = stdout.Split('\n');
        Assert.Equal("root: libgreet.so (relocatable, no _start: a library or a reactor)", lines[0]);
        Assert.StartsWith($"\tlibsdk.so => {Path.Combine(plugins, "libsdk.so")} (memory 0x", lines[1], StringComparison.Ordinal);
        Assert.Contains("undefined symbol: host_log\t(libsdk.so)", lines);
        Assert.Contains("note: libgreet.so is a library, not a program: the main that loads it would normally provide the undefined symbols above", lines);
        // A library that is missing still counts.
        Assert.Equal(127, CliRunner.Run("ldd", "-l", "libnope.so", Path.Combine(plugins, "libgreet.so")).Code);
    }

    [Fact]
    public void Ldd_UnreadableOrMalformedFile_IsBadInput_AsItsHelpSays()
    {
        var dir = Directory.CreateTempSubdirectory("dylink-ldd").FullName;
        Assert.Equal((2, "", $"dylink: {dir} is a directory\n"), CliRunner.Run("ldd", dir));
        var bad = Path.Combine(dir, "bad.wasm");
        File.WriteAllBytes(bad, [0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]);
        Assert.Equal((2, "", $"dylink: {bad}: unsupported binary version 0x2 (expected 0x1) (at offset 0x4)\n"), CliRunner.Run("ldd", bad));
        Assert.Contains("  2    the input cannot be read", CliRunner.Run("ldd", "--help").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Ldd_GraphJsonAndUnused_OfAProgramThatWouldNotLoad_GiveTheErrorsOnly()
    {
        foreach (var option in new[] { "--json", "-u", "--graph=svg" })
        {
            Assert.Equal(
                (127, "", "dylink: host-libc.wasm: undefined symbol: side_hello (function (i32) -> i32)\n"),
                CliRunner.Run("ldd", option, Fixtures.PathOf("host-libc.wasm")));
        }
    }

    [Fact]
    public void Run_Env_NameAlonePassesTheHostsValue_AsWasmtimeDoes()
    {
        // A command that writes its whole environment block (NUL-separated) to stdout.
        var printEnv = Wasmtime.Module.ConvertText("""
            (module
              (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "environ_get" (func $get (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "_start")
                (drop (call $sizes (i32.const 0) (i32.const 4)))
                (drop (call $get (i32.const 1024) (i32.const 4096)))
                (i32.store (i32.const 8) (i32.const 4096))
                (i32.store (i32.const 12) (i32.load (i32.const 4)))
                (drop (call $write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 16)))))
            """);
        var path = Path.Combine(Path.GetTempPath(), $"dylink-printenv-{Environment.ProcessId}.wasm");
        File.WriteAllBytes(path, printEnv);
        Environment.SetEnvironmentVariable("DYLINK_TEST_FROM_HOST", "host value");
        try
        {
            var (code, stdout, stderr) = CliRunner.Run("run", "--env", "A=1", "--env", "DYLINK_TEST_FROM_HOST", "--env", "DYLINK_TEST_UNSET_ON_HOST", path);
            Assert.Equal((0, ""), (code, stderr));
            Assert.Equal(["A=1", "DYLINK_TEST_FROM_HOST=host value"], stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            Environment.SetEnvironmentVariable("DYLINK_TEST_FROM_HOST", null);
            File.Delete(path);
        }
    }
}
