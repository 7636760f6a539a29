namespace Dylink.Runtime.Tests;

/// <summary>The C# examples under examples/, run as a user would (their Run methods, on the shipped modules).</summary>
public class ExampleProgramTests
{
    private static (int Code, string[] Lines) Run(Func<string, TextWriter, int> run, params string[] directory)
    {
        using var output = new StringWriter { NewLine = "\n" };
        var code = run(Path.Combine([Dylink.Tests.Fixtures.RepoRoot, "examples", .. directory]), output);
        return (code, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void PluginHost_TwoPluginsShareOneSdk_AndUnloadWithIt()
    {
        var (code, lines) = Run(PluginHost.Program.Run, "plugin-host", "plugins");
        Assert.Equal(
        [
            "loaded libgreet.so: plugin \"greet\"",
            "loaded libstats.so: plugin \"stats\"",
            "the SDK has 2 plugins registered",
            "  [wasm] greet: hello from plugin #0 of 2",
            "  [wasm] stats: event from greet, value 7, total 7",
            "plugin_run(7) = 15",
            "  [wasm] stats: event from stats, value 5, total 12",
            "plugin_run(5) = 1202",
            "closed both plugins: 3 modules unloaded (the plugins, then the SDK)",
        ], lines);
        Assert.Equal(0, code);
    }

    [Fact]
    public void HotReload_TotalCarriesOnAcrossExplicitAndWatchedReloads()
    {
        var (code, lines) = Run(HotReload.Program.Run, "hot-reload");
        Assert.Equal(
        [
            "counter v1: ticks give 1, 2, 3",
            "Reload(libcounter.so, v2/libcounter.so): counter v2: ticks give 103, 203 (libapp's total carried on)",
            "watching a copy in a temporary directory: tick gave 1; libcounter.so replaced by v2; reloaded libcounter.so from <dir>/libcounter.so",
            "counter v2: next tick gives 101",
        ], lines);
        Assert.Equal(0, code);
    }
}
