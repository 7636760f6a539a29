using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary>
/// Every option value is checked before anything runs (issue 13, item 6): a negative, NaN, infinite, overflowing or
/// otherwise unusable value is a usage error (exit 1) whose line names the option and the value, and no input at all
/// gets a .NET stack trace to the user.
/// </summary>
public class OptionValidationTests
{
    private const string Hint = "Try 'dylink run --help' for more information.\n";

    [Theory]
    [InlineData("--max-memory", "-1", "a number of bytes between 0 and 9223372036854775807")]
    [InlineData("--max-memory", "9223372036854775808", "a number of bytes between 0 and 9223372036854775807")]
    [InlineData("--max-memory", "1e6", "a number of bytes between 0 and 9223372036854775807")]
    [InlineData("--max-memory", "nan", "a number of bytes between 0 and 9223372036854775807")]
    [InlineData("--max-file-size", "-5", "a number of bytes between 0 and 9223372036854775807")]
    [InlineData("--max-file-size", "99999999999999999999", "a number of bytes between 0 and 9223372036854775807")]
    [InlineData("--max-file-size", " 5", "a number of bytes between 0 and 9223372036854775807")]
    [InlineData("--max-libraries", "0", "a whole number between 1 and 2147483647")]
    [InlineData("--max-libraries", "-1", "a whole number between 1 and 2147483647")]
    [InlineData("--max-libraries", "2147483648", "a whole number between 1 and 2147483647")]
    [InlineData("--max-table", "-1", "a whole number between 0 and 4294967295")]
    [InlineData("--max-table", "4294967296", "a whole number between 0 and 4294967295")]
    [InlineData("--max-table", "+3", "a whole number between 0 and 4294967295")]
    [InlineData("--timeout", "nan", "a number of seconds greater than 0 and at most 1000000000")]
    [InlineData("--timeout", "NaN", "a number of seconds greater than 0 and at most 1000000000")]
    [InlineData("--timeout", "1e300", "a number of seconds greater than 0 and at most 1000000000")]
    [InlineData("--timeout", "1e400", "a number of seconds greater than 0 and at most 1000000000")]
    [InlineData("--timeout", "Infinity", "a number of seconds greater than 0 and at most 1000000000")]
    [InlineData("--timeout", "-1", "a number of seconds greater than 0 and at most 1000000000")]
    [InlineData("--timeout", "0", "a number of seconds greater than 0 and at most 1000000000")]
    [InlineData("--timeout", "1000000001", "a number of seconds greater than 0 and at most 1000000000")]
    [InlineData("--timeout", "1,5", "a number of seconds greater than 0 and at most 1000000000")]
    [InlineData("--timeout", "ten", "a number of seconds greater than 0 and at most 1000000000")]
    public void Run_BadNumber_IsAUsageError_NamingOptionAndValue(string option, string value, string accepted)
    {
        var (code, stdout, stderr) = CliRunner.Run("run", option, value, Fixtures.PathOf("host-libc.wasm"));
        Assert.Equal($"dylink: {option}: '{value}' is not {accepted}\n" + Hint, stderr);
        Assert.Equal("", stdout);
        Assert.Equal(1, code);
    }

    [Theory]
    [InlineData("--max-memory", "9223372036854775807")]
    [InlineData("--max-file-size", "0")]
    [InlineData("--max-libraries", "2147483647")]
    [InlineData("--max-table", "4294967295")]
    [InlineData("--timeout", "1e9")]
    [InlineData("--timeout", "0.5")]
    public void Run_NumberAtTheEdgeOfItsRange_IsAccepted(string option, string value)
    {
        // Accepted by the parser: the run itself then goes as far as the limit allows (host-libc.wasm lacks a library).
        var (code, _, stderr) = CliRunner.Run("run", option, value, Fixtures.PathOf("host-libc.wasm"));
        Assert.Equal("dylink: host-libc.wasm: undefined symbol: side_hello (function (i32) -> i32)\n", stderr);
        Assert.Equal(127, code);
    }

    [Fact]
    public void Run_DirThatDoesNotExist_IsAUsageError()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--dir", "/no/such/dir::/x", Fixtures.PathOf("host-libc.wasm"));
        Assert.Equal("dylink: --dir: '/no/such/dir::/x': no such directory\n" + Hint, stderr);
        Assert.Equal(1, code);
    }

    [Fact]
    public void Run_DirWithAnEmptyGuestPath_IsAUsageError()
    {
        var (code, _, stderr) = CliRunner.Run("run", "--dir", $"{Fixtures.BinDir}::", Fixtures.PathOf("host-libc.wasm"));
        Assert.Equal($"dylink: --dir: '{Fixtures.BinDir}::': no guest path after '::'\n" + Hint, stderr);
        Assert.Equal(1, code);
    }

    [Theory]
    [InlineData("=x")]
    [InlineData("")]
    public void Run_EnvWithoutAName_IsAUsageError(string value)
    {
        var (code, _, stderr) = CliRunner.Run("run", "--env", value, Fixtures.PathOf("host-libc.wasm"));
        Assert.Equal($"dylink: --env: '{value}' has no variable name\n" + Hint, stderr);
        Assert.Equal(1, code);
    }

    [Fact]
    public void Run_CacheThatCannotBeADirectory_IsAUsageError()
    {
        var file = Path.GetTempFileName();
        try
        {
            var (code, _, stderr) = CliRunner.Run("run", "--cache", Path.Combine(file, "sub"), Fixtures.PathOf("host-libc.wasm"));
            Assert.Equal($"dylink: --cache: '{Path.Combine(file, "sub")}' cannot be used as a directory\n", stderr);
            Assert.Equal(1, code);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AnUnexpectedException_IsOneInternalErrorLine_Exit70_NoStackTrace()
    {
        // Output that cannot be written (here a writer that fails as a closed pipe does) is nothing a command expects.
        using var stderr = new StringWriter { NewLine = "\n" };
        var code = DylinkCommand.Run(["nm", Fixtures.PathOf("libhello.so")], new FailingWriter(), stderr);
        Assert.Equal("dylink: internal error: IOException: Broken pipe\n", stderr.ToString());
        Assert.Equal(DylinkCommand.InternalError, code);
        Assert.Equal(70, code);
    }

    private sealed class FailingWriter : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value) => throw new IOException("Broken pipe");

        public override void Flush() => throw new IOException("Broken pipe");
    }
}
