using BenchmarkDotNet.Attributes;
using Dylink.Format;

namespace Dylink.Benchmarks;

/// <summary>
/// Reading cost of real fixtures: the section walk alone (should allocate only custom-section names) against the
/// full parse into a <see cref="WasmModule"/>. Compare the two side by side; absolute times on a 2-core CI box are noise.
/// </summary>
[MemoryDiagnoser]
public class ReaderBenchmarks
{
    private byte[] _bytes = [];

    [Params("libside.so", "host-libc.wasm", "libem_side.so")]
    public string Fixture { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "tests", "fixtures", "bin", Fixture);
            if (File.Exists(path))
            {
                _bytes = File.ReadAllBytes(path);
                return;
            }
        }

        throw new FileNotFoundException("fixture not found above " + AppContext.BaseDirectory, Fixture);
    }

    [Benchmark(Baseline = true)]
    public int WalkSections()
    {
        var count = 0;
        foreach (var section in new SectionWalker(_bytes, Fixture))
        {
            count += section.PayloadSize;
        }

        return count;
    }

    [Benchmark]
    public WasmModule Parse() => WasmModule.Parse(_bytes, Fixture);
}
