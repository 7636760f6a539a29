using Dylink.Tests;

namespace Dylink.Cli.Tests;

public class CommandTests
{
    [Fact]
    public void MissingFile_IsOneLineOnStderr_ExitCode2()
    {
        var (code, stdout, stderr) = CliRunner.Run("readelf", "no-such-file.so");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("dylink: no-such-file.so: cannot read: no such file\n", stderr);
    }

    [Fact]
    public void MalformedModule_IsOneLineOnStderr_ExitCode2()
    {
        var (code, stdout, stderr) = CliRunner.Run("nm", Fixtures.PathOf("handmade-bad-truncated.so"));
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("dylink: handmade-bad-truncated.so: ", stderr, StringComparison.Ordinal);
        Assert.Contains("(at offset 0x", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void NotAModule_SaysSo()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dylink-cli-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "hello");
        try
        {
            var (code, _, stderr) = CliRunner.Run("readelf", path);
            Assert.Equal(2, code);
            Assert.Equal($"dylink: {path}: not a WebAssembly module: bad magic number (expected 00 61 73 6d) (at offset 0x0)\n", stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UndefinedOnly_AndDefinedOnly_Together_IsAUsageError()
    {
        var (code, stdout, stderr) = CliRunner.Run("nm", "-u", "--defined-only", Fixtures.PathOf("libside.so"));
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("dylink: --undefined-only and --defined-only cannot be used together.\nTry 'dylink nm --help' for more information.\n", stderr);
    }

    [Theory]
    [InlineData("readelf")]
    [InlineData("nm")]
    public void MissingArgument_IsAUsageError(string command)
    {
        var (code, _, stderr) = CliRunner.Run(command);
        Assert.Equal(1, code);
        Assert.Equal($"dylink: Required argument 'FILE' missing for command: '{command}'.\nTry 'dylink {command} --help' for more information.\n", stderr);
    }

    [Theory]
    [InlineData("readelf")]
    [InlineData("nm")]
    [InlineData("precompile")]
    public void Help_HasExamplesAndExitStatus(string command)
    {
        var (code, stdout, _) = CliRunner.Run(command, "--help");
        Assert.Equal(0, code);
        Assert.Contains("Examples:\n  dylink " + command, stdout, StringComparison.Ordinal);
        Assert.Contains("Exit status:\n  0    success\n  1    usage error", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOption_IsAUsageError()
    {
        var (code, stdout, stderr) = CliRunner.Run("readelf", Fixtures.PathOf("libside.so"), "--frobnicate");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("dylink readelf: unknown option '--frobnicate'\nTry 'dylink readelf --help' for more information.\n", stderr);
    }

    [Fact]
    public void Version_PrintsTheAssemblyVersion()
    {
        var (code, stdout, _) = CliRunner.Run("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout);
    }

    [Fact]
    public void Nm_UndefinedOnly_ListsOnlyImports()
    {
        var (code, stdout, _) = CliRunner.Run("nm", "-u", Fixtures.PathOf("libside.so"));
        Assert.Equal(0, code);
        Assert.Equal(
            """
                     U global __memory_base    i32
                     U global __stack_pointer  i32 mut
                     U global __table_base     i32
                     U data   external_counter
                     U func   host_add         (i32, i32) -> i32

            """, stdout);
    }

    [Fact]
    public void Nm_DefinedOnly_ListsOnlyExports()
    {
        var (_, stdout, _) = CliRunner.Run("nm", "--defined-only", Fixtures.PathOf("libweak_tls.so"));
        Assert.DoesNotContain(" U ", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(" w ", stdout, StringComparison.Ordinal);
        Assert.Contains("00000000 L tls    tls_counter", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Nm_NumericSort_PutsUndefinedFirst_ThenByValue()
    {
        var lines = CliRunner.Run("nm", "-n", "--defined-only", Fixtures.PathOf("libside.so")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["side_data", "__wasm_call_ctors", "__wasm_apply_data_relocs", "side_data_ptr", "side_func", "host_add_ptr"], lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]));
        var all = CliRunner.Run("nm", "-n", Fixtures.PathOf("libside.so")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(all.Take(5), l => Assert.StartsWith("         U ", l, StringComparison.Ordinal));
    }

    [Fact]
    public void Nm_NoSort_KeepsTheModulesOrder_ImportsFirst()
    {
        var names = CliRunner.Run("nm", "-p", Fixtures.PathOf("libside.so")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l[18..].Split(' ')[0]).ToList();
        var module = Dylink.Format.WasmModule.Parse(Fixtures.Bytes("libside.so"), "libside.so");
        Assert.Equal(Dylink.Linking.ModuleSymbols.Of(module).Select(s => s.Name), names);
        Assert.NotEqual(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void Nm_NumericSort_AndNoSort_Together_IsAUsageError()
    {
        var (code, _, stderr) = CliRunner.Run("nm", "-n", "-p", Fixtures.PathOf("libside.so"));
        Assert.Equal(1, code);
        Assert.Equal("dylink: --numeric-sort and --no-sort cannot be used together.\nTry 'dylink nm --help' for more information.\n", stderr);
    }

    [Fact]
    public void Nm_ExternOnly_LeavesOutHiddenDefinitions()
    {
        // A side module whose dylink.0 EXPORT_INFO marks "inner" hidden (flags 0x4), as wasm-ld does for
        // -fvisibility=hidden functions that are exported anyway.
        var body = Wasmtime.Module.ConvertText("""
            (module (func (export "inner") (result i32) (i32.const 1)) (func (export "outer") (result i32) (i32.const 2)))
            """);
        byte[] dylink = [0x00, 0x19, 0x08, .. "dylink.0"u8, 0x01, 0x04, 0, 0, 0, 0, 0x03, 0x08, 0x01, 0x05, .. "inner"u8, 0x04];
        var path = Path.Combine(Path.GetTempPath(), $"dylink-nm-hidden-{Environment.ProcessId}.so");
        File.WriteAllBytes(path, [.. body[..8], .. dylink, .. body[8..]]);
        try
        {
            Assert.Equal("00000000 t func   inner () -> i32\n00000001 T func   outer () -> i32\n", CliRunner.Run("nm", path).Stdout);
            Assert.Equal("00000001 T func   outer () -> i32\n", CliRunner.Run("nm", "-g", path).Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Readelf_SectionHeadersOrDynamic_PrintOnlyThatPart()
    {
        var library = Fixtures.PathOf("libside.so");
        var sections = CliRunner.Run("readelf", "-S", library).Stdout;
        Assert.Contains("Sections:", sections, StringComparison.Ordinal);
        Assert.DoesNotContain("Dynamic section", sections, StringComparison.Ordinal);
        Assert.DoesNotContain("Imports:", sections, StringComparison.Ordinal);
        var dynamic = CliRunner.Run("readelf", "-d", library).Stdout;
        Assert.Equal("File: libside.so\nSize: 1086 bytes\n\nDynamic section (dylink.0 at offset 0x00000013):\n", dynamic.Split("  Memory size")[0]);
        Assert.DoesNotContain("Sections:", dynamic, StringComparison.Ordinal);
        // No part selected: -S and -d, then the import/export summary (-a adds the file header and symbols: binutils' -a).
        Assert.StartsWith(CliRunner.Run("readelf", "-S", "-d", library).Stdout, CliRunner.Run("readelf", library).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Ldd_Unused_ListsNeededEntriesNothingBindsTo()
    {
        // libtop.so needs liba.so and libb.so and calls both; nothing is unused.
        Assert.Equal("", CliRunner.Run("ldd", "-u", Fixtures.PathOf("libtop.so")).Stdout);
        // The main names libhello.so in NEEDED and calls side_hello: used. A library added with -l that nothing calls is
        // a NEEDED entry of the main too (as if its list ended with it): unused.
        var (code, stdout, stderr) = CliRunner.Run("ldd", "-u", "-l", Fixtures.PathOf("libbase.so"), Fixtures.PathOf("host-libc-needed.wasm"));
        Assert.Equal((0, ""), (code, stderr));
        Assert.Equal("unused: libbase.so (needed by host-libc-needed.wasm)\n", stdout);
    }
}
