using System.Diagnostics;
using System.Globalization;
using Dylink.Linking;
using Dylink.Runtime;
using Wasmtime;

namespace Dylink.Benchmarks;

/// <summary>
/// Load and link of generated workloads (<see cref="Workload"/>), three ways side by side in one run: Dylink, the bare
/// Wasmtime floor (<see cref="BareLoader"/>), and — for the emcc build — emscripten 3.1.6's own loader on node
/// dlopen'ing the same files. Every figure is the median of <see cref="Repeats"/> runs, in µs per library; every run
/// checks the last library's <c>check</c> value, and the loaders must agree on it.
/// </summary>
internal static class LoadScenarios
{
    private const int Repeats = 5;
    private const int Functions = 20;
    private const int Seed = 8;

    public static void Run(IReadOnlyList<int> counts, Dictionary<string, double> results)
    {
        foreach (var toolchain in new[] { Toolchain.Emcc, Toolchain.Clang19 })
        {
            foreach (var n in counts)
            {
                var workload = new Workload(toolchain, n, Functions, Seed);
                var dir = workload.Build(Console.Error.WriteLine);
                var prefix = $"load_{toolchain.ToString().ToLowerInvariant()}_n{n}";
                Measure(workload, dir, prefix, results);
            }
        }
    }

    private static void Measure(Workload workload, string dir, string prefix, Dictionary<string, double> results)
    {
        var n = workload.Count;
        var names = workload.LibraryNames.ToList();
        var options = new LinkOptions { SearchPaths = [dir], Libraries = names };
        var check = $"check{n - 1}";
        uint? expected = null;
        void Agree(string who, uint value)
        {
            expected ??= value;
            if (value != expected)
            {
                throw new InvalidOperationException($"{who}: {check}(1) = {value}, expected {expected}");
            }
        }

        double PerLibrary(Func<double> microseconds) => Median(Enumerable.Range(0, Repeats).Select(_ => microseconds())) / n;
        void Record(string name, double value) => results[$"{prefix}_{name}_us"] = value;

        // Floor: compile (cold), deserialize (warm), instantiate compiled modules in a fresh store (reuse).
        var bare = new BareLoader(dir, names);
        using var engine = new Engine();
        var serialized = Path.Combine(Path.GetTempPath(), $"dylink-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(serialized);
        try
        {
            Record("floor_cold", PerLibrary(() => Time(() =>
            {
                var modules = bare.Compile(engine);
                using var store = new Store(engine);
                Agree("bare", (uint)bare.Instantiate(store, modules).GetFunction<int, int>(check)!(1));
                Dispose(modules);
            })));
            var compiled = bare.Compile(engine);
            for (var i = 0; i < n; i++)
            {
                File.WriteAllBytes(Path.Combine(serialized, names[i]), compiled[i].Serialize());
            }

            Record("floor_warm", PerLibrary(() => Time(() =>
            {
                var modules = names.Select(name => Module.DeserializeFile(engine, name, Path.Combine(serialized, name))).ToArray();
                using var store = new Store(engine);
                bare.Instantiate(store, modules);
                Dispose(modules);
            })));
            Record("floor_instantiate", PerLibrary(() =>
            {
                using var store = new Store(engine);
                return Time(() => bare.Instantiate(store, compiled));
            }));
            Dispose(compiled);
        }
        finally
        {
            Directory.Delete(serialized, recursive: true);
        }

        // Dylink: a fresh linker (engine, store) per run; cold compiles, warm hits the on-disk cache.
        var cache = Directory.CreateTempSubdirectory("dylink-bench-cache").FullName;
        try
        {
            Record("plan", PerLibrary(() => Time(() => LinkPlanner.PlanHosted(options))));
            Record("dylink_cold", PerLibrary(() => Time(() =>
            {
                using var linker = new DynamicLinker();
                linker.LoadLibraries(options);
                Agree("dylink", (uint)linker.GetFunction<int, int>(check)(1));
            })));
            using (var program = PreparedProgram.Prepare(LinkPlanner.PlanHosted(options), options))
            {
                // Memory per library: process working set (native instances and their vmctx, globals, the store's
                // bookkeeping, managed objects) over ten tenants kept alive at once, after a warm-up tenant; and the linear
                // memory the libraries' data takes.
                program.Instantiate().Dispose();
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var before = Environment.WorkingSet;
                var tenants = Enumerable.Range(0, 10).Select(_ => program.Instantiate()).ToList();
                GC.Collect();
                results[$"{prefix}_working_set_bytes_per_library"] = (double)(Environment.WorkingSet - before) / (10 * n);
                results[$"{prefix}_linear_memory_bytes_per_library"] = (double)tenants[0].Plan.Memory.BlockSize / n;
                tenants.ForEach(t => t.Dispose());
                Record("dylink_reuse", PerLibrary(() =>
                {
                    DynamicLinker? tenant = null;
                    var time = Time(() => tenant = program.Instantiate());
                    Agree("dylink tenant", (uint)tenant!.GetFunction<int, int>(check)(1));
                    tenant!.Dispose();
                    return time;
                }));
            }

            using (var first = new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache }))
            {
                first.LoadLibraries(options);
            }

            Record("dylink_warm", PerLibrary(() => Time(() =>
            {
                using var linker = new DynamicLinker(new DynamicLinkerOptions { CacheDirectory = cache });
                linker.LoadLibraries(options);
            })));
        }
        finally
        {
            DeleteCache(cache);
        }

        if (workload.Toolchain == Toolchain.Emcc)
        {
            var runs = Enumerable.Range(0, Repeats).Select(_ => Node(dir, n)).ToList();
            foreach (var (_, value) in runs)
            {
                Agree("emscripten", value);
            }

            Record("emscripten_node", Median(runs.Select(r => r.LoadUs)) / n);
        }
    }

    /// <summary>
    /// Link time against the number of symbols: clang-19 workloads of ~1k symbols (10 libraries × 100 functions) and
    /// ~100k (100 × 1000). "plan" is reading, resolving and laying out (every symbol hashed once); "link" executes the
    /// plan in a fresh store from already compiled modules (imports, GOT, slots, relocations, constructors).
    /// </summary>
    public static void RunScaling(Dictionary<string, double> results)
    {
        foreach (var (n, m) in new[] { (10, 100), (100, 1000) })
        {
            var workload = new Workload(Toolchain.Clang19, n, m, Seed);
            var dir = workload.Build(Console.Error.WriteLine);
            var options = new LinkOptions { SearchPaths = [dir], Libraries = [.. workload.LibraryNames] };
            var symbols = LinkPlanner.PlanHosted(options).Modules.Sum(module => ModuleSymbols.Of(module.Module).Count(s => s.IsDefined));
            results[$"scaling_{symbols}_plan_us"] = Median(Enumerable.Range(0, Repeats).Select(_ => Time(() => LinkPlanner.PlanHosted(options))));
            using var program = PreparedProgram.Prepare(LinkPlanner.PlanHosted(options), options);
            program.Instantiate().Dispose();
            results[$"scaling_{symbols}_link_us"] = Median(Enumerable.Range(0, Repeats).Select(_ =>
            {
                DynamicLinker? tenant = null;
                var time = Time(() => tenant = program.Instantiate());
                tenant!.Dispose();
                return time;
            }));
        }
    }

    public static void PrintMemory(IReadOnlyList<int> counts, Dictionary<string, double> r)
    {
        Console.WriteLine();
        Console.WriteLine("memory per loaded library (10 tenants)  process working set   linear memory (data)");
        foreach (var toolchain in new[] { "emcc", "clang19" })
        {
            foreach (var n in counts)
            {
                var key = $"load_{toolchain}_n{n}";
                if (r.TryGetValue($"{key}_working_set_bytes_per_library", out var ws))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{toolchain,-7} N={n,-5}                        {ws / 1024,12:F1} KiB   {r[$"{key}_linear_memory_bytes_per_library"],12:F0} bytes"));
                }
            }
        }
    }

    public static void PrintScaling(Dictionary<string, double> r)
    {
        var rows = r.Keys.Where(k => k.StartsWith("scaling_", StringComparison.Ordinal) && k.EndsWith("_plan_us", StringComparison.Ordinal))
            .Select(k => int.Parse(k.Split('_')[1], CultureInfo.InvariantCulture)).Order().ToList();
        if (rows.Count != 2)
        {
            return;
        }

        Console.WriteLine();
        Console.WriteLine("link time against symbols (clang-19; median)   plan ms    link ms (fresh store, compiled modules)");
        foreach (var symbols in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{symbols,8} defined symbols                      {r[$"scaling_{symbols}_plan_us"] / 1000,8:F2}   {r[$"scaling_{symbols}_link_us"] / 1000,8:F2}"));
        }

        double Ratio(string what) => r[$"scaling_{rows[1]}_{what}_us"] / r[$"scaling_{rows[0]}_{what}_us"];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{rows[1]}/{rows[0]} symbols ({(double)rows[1] / rows[0]:F0}x): plan {Ratio("plan"):F0}x, link {Ratio("link"):F0}x"));
    }

    /// <summary>emscripten's loader, timed inside node (start-up excluded): the µs for all dlopens, and the check value.</summary>
    private static (double LoadUs, uint Check) Node(string dir, int n)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("main.js");
        start.ArgumentList.Add(n.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        string Field(string key) => lines.FirstOrDefault(l => l.StartsWith(key + " ", StringComparison.Ordinal))?[(key.Length + 1)..]
            ?? throw new InvalidOperationException($"node main.js {n} in {dir}: no '{key}' line (exit {process.ExitCode}): {string.Join('\n', lines)} {stderr.Result}");
        return (double.Parse(Field("load_us"), CultureInfo.InvariantCulture), uint.Parse(Field("check"), CultureInfo.InvariantCulture));
    }

    public static void Print(IReadOnlyList<int> counts, Dictionary<string, double> r)
    {
        Console.WriteLine();
        Console.WriteLine($"load + link, µs per library (median of {Repeats}; {Functions} functions per library, seed {Seed})");
        Console.WriteLine("build   N     plan  dylink-cold  floor-cold  emscripten  dylink-warm  floor-warm  dylink-reuse  floor-inst   cold/floor  warm/floor  reuse/inst  emscripten/warm  emscripten/cold");
        foreach (var toolchain in new[] { "emcc", "clang19" })
        {
            foreach (var n in counts)
            {
                double V(string name) => r.TryGetValue($"load_{toolchain}_n{n}_{name}_us", out var v) ? v : double.NaN;
                var em = V("emscripten_node");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{toolchain,-7} {n,-5} {V("plan"),5:F0} {V("dylink_cold"),12:F0} {V("floor_cold"),11:F0} {em,11:F0} {V("dylink_warm"),12:F0} {V("floor_warm"),11:F0} {V("dylink_reuse"),13:F1} {V("floor_instantiate"),11:F1} {V("dylink_cold") / V("floor_cold"),11:F2}x {V("dylink_warm") / V("floor_warm"),10:F2}x {V("dylink_reuse") / V("floor_instantiate"),10:F2}x {em / V("dylink_warm"),15:F1}x {em / V("dylink_cold"),15:F2}x"));
            }
        }
    }

    /// <summary>Deletes a cache directory, retrying a little: Wasmtime's cache worker (used before issue 13) wrote usage
    /// statistics in the background after a hit; Dylink's store writes nothing after a load returns.</summary>
    private static void DeleteCache(string cache)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                Directory.Delete(cache, recursive: true);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(200);
            }
        }
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMicroseconds;
    }

    private static void Dispose(Module[] modules)
    {
        foreach (var module in modules)
        {
            module.Dispose();
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
