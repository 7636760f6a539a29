using System.Text.Json;
using Dylink.Tests;

namespace Dylink.Cli.Tests;

public class JsonTests
{
    private static JsonElement Run(params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        return JsonDocument.Parse(stdout).RootElement;
    }

    [Fact]
    public void Nm_Json_ListsTheSameSymbolsAsTheText()
    {
        var symbols = Run("nm", "--json", Fixtures.PathOf("libside.so")).EnumerateArray().ToList();
        var text = CliRunner.Run("nm", Fixtures.PathOf("libside.so")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(text.Length, symbols.Count);
        var hostAdd = symbols.Single(s => s.GetProperty("name").GetString() == "host_add");
        Assert.False(hostAdd.GetProperty("defined").GetBoolean());
        Assert.Equal("(i32, i32) -> i32", hostAdd.GetProperty("signature").GetString());
        var sideData = symbols.Single(s => s.GetProperty("name").GetString() == "side_data");
        Assert.Equal("data", sideData.GetProperty("kind").GetString());
        Assert.Equal(0, sideData.GetProperty("value").GetInt64());
    }

    [Fact]
    public void Readelf_Json_HasTheDynamicSection()
    {
        var report = Run("readelf", "--json", Fixtures.PathOf("libweak_tls.so"));
        var dylink = report.GetProperty("dylink");
        Assert.Equal("dylink.0", dylink.GetProperty("section").GetString());
        Assert.Equal(8, dylink.GetProperty("memorySize").GetInt32());
        Assert.Equal("tls", dylink.GetProperty("exportInfo")[0].GetProperty("flags").GetString());
        Assert.Equal("maybe_there", dylink.GetProperty("importInfo")[0].GetProperty("field").GetString());
        Assert.Equal(JsonValueKind.Null, Run("readelf", "--json", Fixtures.PathOf("seed_volatile.wasm")).GetProperty("dylink").ValueKind);
    }

    [Fact]
    public void Ldd_Json_HasModulesLayoutAndOrders()
    {
        var plan = Run("ldd", "--json", Path.Combine(Fixtures.BinDir, "e2e", "needed_diamond", "main.wasm"));
        Assert.Equal("fixed", plan.GetProperty("mainKind").GetString());
        Assert.Equal(["main.wasm", "libdia_a.so", "libdia_b.so", "libdia_base.so"],
            plan.GetProperty("modules").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Equal(["libdia_base.so", "libdia_a.so", "libdia_b.so", "main.wasm"],
            plan.GetProperty("constructorOrder").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("MainAllocator", plan.GetProperty("memory").GetProperty("placement").GetString());
    }
}
