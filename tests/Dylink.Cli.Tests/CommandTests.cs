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
        Assert.Contains("Examples:\n    dylink " + command, stdout, StringComparison.Ordinal);
        Assert.Contains("Exit status:\n    0  success\n    1  usage error", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOption_IsAUsageError()
    {
        var (code, stdout, stderr) = CliRunner.Run("readelf", Fixtures.PathOf("libside.so"), "--frobnicate");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("dylink: Unrecognized command or argument '--frobnicate'.\nTry 'dylink readelf --help' for more information.\n", stderr);
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
}
