using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary>
/// The end-to-end matrices, each scenario a C program built by real toolchains: tests/fixtures/bin/e2e (load-time
/// linking, after emscripten's test_dylink_* list; libraries found through NEEDED) and tests/fixtures/bin/dl
/// (run-time linking through the guest dlopen family, after test_dlfcn_*), and tests/fixtures/bin/real (third-party
/// libraries nobody on the team wrote — stb, xxHash — whose expected output comes from a native build of the same
/// sources). Each main.wasm runs under
/// <c>dylink run</c> and must print exactly expected.txt and exit with expected-exit.txt.
/// </summary>
public class EndToEndTests
{
    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (var matrix in new[] { "e2e", "dl", "real", "cxx" })
        {
            foreach (var dir in Directory.EnumerateDirectories(Path.Combine(Fixtures.BinDir, matrix)).Order(StringComparer.Ordinal))
            {
                data.Add($"{matrix}/{Path.GetFileName(dir)}");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario_PrintsExpectedOutput(string scenario)
    {
        var dir = Path.Combine(Fixtures.BinDir, scenario);
        var (code, stdout, stderr) = CliRunner.Run("run", Path.Combine(dir, "main.wasm"));
        var expectedExit = Path.Combine(dir, "expected-exit.txt");
        var exit = File.Exists(expectedExit) ? int.Parse(File.ReadAllText(expectedExit).Trim(), System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (exit != 134)
        {
            Assert.Equal("", stderr);
        }

        Assert.Equal(File.ReadAllText(Path.Combine(dir, "expected.txt")), stdout);
        Assert.Equal(exit, code);
    }

    [Fact]
    public void TheMatricesAreThere() => Assert.True(Scenarios().Count >= 35);

    [Fact]
    public void StaleCall_ReportsTheUnloadedLibraryAndSymbol()
    {
        var (code, _, stderr) = CliRunner.Run("run", Path.Combine(Fixtures.BinDir, "dl", "stale_call", "main.wasm"));
        Assert.Equal(134, code);
        var lines = stderr.Split('\n');
        Assert.Equal("dylink: dl/stale_call/main.wasm: the program trapped: libstale.so: stale_fn was called after libstale.so was unloaded (dlclose)", lines[0]);
        Assert.Equal("wasm backtrace:", lines[1]);
        Assert.Matches(@"^ +0: +0x[0-9a-f]+ - main\.wasm!__original_main$", lines[2]);
    }
}
