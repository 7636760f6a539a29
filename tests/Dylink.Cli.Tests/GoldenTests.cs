using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary>
/// What <c>dylink readelf</c> and <c>dylink nm</c> print for every fixture, pinned in <c>golden/*.txt</c>.
/// Run with <c>UPDATE_GOLDEN=1</c> to rewrite the files after a deliberate change, then review the diff.
/// </summary>
public class GoldenTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var fixture in Fixtures.WellFormed())
        {
            data.Add("readelf", fixture);
            data.Add("nm", fixture);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_MatchesGoldenFile(string command, string fixture)
    {
        var (code, stdout, stderr) = CliRunner.Run(command, Fixtures.PathOf(fixture));
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        var golden = Path.Combine(Fixtures.RepoRoot, "tests", "Dylink.Cli.Tests", "golden",
            fixture.Replace('/', '_') + "." + command + ".txt");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(golden, stdout);
        }

        Assert.True(File.Exists(golden), $"missing golden file {golden}: run the tests with UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(golden), stdout);
    }
}
