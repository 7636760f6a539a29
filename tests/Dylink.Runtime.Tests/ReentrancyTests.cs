using System.Text;
using Dylink.Tests;

namespace Dylink.Runtime.Tests;

/// <summary>
/// The re-entrancy programs of the dl matrix (clang-19 guests whose constructors and destructors call <c>dlopen</c>,
/// <c>dlsym</c> and <c>dlclose</c>; expected output from glibc), run through the C# API by four threads at once, each
/// with its own linker, over and over (DYLINK_SOAK_MINUTES=N for minutes): what one load does to the shared compiled
/// modules and engine must not change what another sees. The CLI's end-to-end test runs each once.
/// </summary>
public class ReentrancyTests
{
    public static TheoryData<string> Scenarios() =>
        [.. new[] { "ctor_at_startup", "ctor_atexit_trap", "ctor_dlopen_other", "ctor_dlopen_self", "ctor_drops_provider", "dtor_noload_close", "nested_fail" }];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task ReentrantProgram_PrintsWhatGlibcPrints_OnFourThreadsAtOnce(string scenario)
    {
        var directory = Path.Combine(Fixtures.BinDir, "dl", scenario);
        var expected = await File.ReadAllTextAsync(Path.Combine(directory, "expected.txt"));
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() => Soak.Repeat(rounds: 3, _ =>
        {
            var output = new StringBuilder();
            using var linker = new DynamicLinker();
            linker.ConfigureWasi(new Wasmtime.WasiConfiguration().WithArgs("main.wasm")
                .WithStandardOutputCallback(bytes => output.Append(Encoding.UTF8.GetString(bytes))));
            linker.Load(Path.Combine(directory, "main.wasm"));
            var exit = linker.RunMain();
            Assert.Equal(expected, output.ToString());
            Assert.Equal(0, exit);
        }))).ToArray();
        await Task.WhenAll(workers);
    }
}
