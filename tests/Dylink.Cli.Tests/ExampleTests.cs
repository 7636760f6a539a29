using Dylink.Tests;

namespace Dylink.Cli.Tests;

public class ExampleTests
{
    [Theory]
    [InlineData("examples/hello/host.wasm", "host-libc-needed.wasm")]
    [InlineData("examples/hello/libhello.so", "libhello.so")]
    [InlineData("examples/seed-rebind/seed.wasm", "seed_volatile.wasm")]
    [InlineData("examples/seed-rebind/librust_seed.so", "librust_seed.so")]
    [InlineData("examples/plugin-host/plugins/libsdk.so", "examples/plugin-host/libsdk.so")]
    [InlineData("examples/plugin-host/plugins/libgreet.so", "examples/plugin-host/libgreet.so")]
    [InlineData("examples/plugin-host/plugins/libstats.so", "examples/plugin-host/libstats.so")]
    [InlineData("examples/hot-reload/libapp.so", "examples/hot-reload/libapp.so")]
    [InlineData("examples/hot-reload/libcounter.so", "examples/hot-reload/libcounter.so")]
    [InlineData("examples/hot-reload/v2/libcounter.so", "examples/hot-reload/v2/libcounter.so")]
    public void ShippedExample_IsTheRebuiltFixture(string example, string fixture) =>
        Assert.Equal(Fixtures.Bytes(fixture), File.ReadAllBytes(Path.Combine(Fixtures.RepoRoot, example)));

    [Fact]
    public void ReadmeMainJob_RunsTheExample()
    {
        var (code, stdout, stderr) = CliRunner.Run("run", Path.Combine(Fixtures.RepoRoot, "examples", "hello", "host.wasm"));
        Assert.Equal("", stderr);
        Assert.Equal("hello from libhello.so: x=5 ready=1\nhost: side_hello(5) returned 40\n", stdout);
        Assert.Equal(0, code);
    }
}
