using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary>
/// The end-to-end matrix (tests/fixtures/bin/e2e, modelled on emscripten's test_dylink_* list): each scenario's
/// main.wasm runs under <c>dylink run</c>, finding its libraries through NEEDED, and must print exactly expected.txt
/// and exit with expected-exit.txt.
/// </summary>
public class EndToEndTests
{
    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.EnumerateDirectories(Path.Combine(Fixtures.BinDir, "e2e")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario_PrintsExpectedOutput(string scenario)
    {
        var dir = Path.Combine(Fixtures.BinDir, "e2e", scenario);
        var (code, stdout, stderr) = CliRunner.Run("run", Path.Combine(dir, "main.wasm"));
        Assert.Equal("", stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "expected.txt")), stdout);
        var expectedExit = Path.Combine(dir, "expected-exit.txt");
        Assert.Equal(File.Exists(expectedExit) ? int.Parse(File.ReadAllText(expectedExit).Trim(), System.Globalization.CultureInfo.InvariantCulture) : 0, code);
    }

    [Fact]
    public void TheMatrixIsThere() => Assert.True(Scenarios().Count >= 19);
}
