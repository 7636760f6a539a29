using Dylink.Tests;

namespace Dylink.Cli.Tests;

public class ExampleTests
{
    [Theory]
    [InlineData("examples/hello/host.wasm", "host-libc-needed.wasm")]
    [InlineData("examples/hello/libhello.so", "libhello.so")]
    public void ShippedExample_IsTheRebuiltFixture(string example, string fixture) =>
        Assert.Equal(Fixtures.Bytes(fixture), File.ReadAllBytes(Path.Combine(Fixtures.RepoRoot, example)));

    [Fact]
    public void ReadmeMainJob_ShowsTheNeededLibrary()
    {
        var (code, stdout, stderr) = CliRunner.Run("readelf", Path.Combine(Fixtures.RepoRoot, "examples", "hello", "host.wasm"));
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("  Needed          libhello.so\n", stdout, StringComparison.Ordinal);
    }
}
