using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dylink.Linking;
using Dylink.Runtime;

namespace Dylink.Benchmarks;

/// <summary>
/// Side-by-side measurements in one process, reported as ratios (the machine is small and noisy): the cost of one
/// call by each path the loader can bind, against a call inside one module; and the time to plan and load the
/// shipped example. Writes a table to stdout and JSON to the path given.
/// </summary>
internal static class Scenarios
{
    private const int Calls = 20_000_000;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // A side module with nothing of its own in memory or table: the imports every one of them has, then its body.
    private static string Side(string dylink, string body) => $$"""
        (module
          (@dylink.0 {{dylink}})
          (import "env" "memory" (memory 0))
          (import "env" "__indirect_function_table" (table 0 funcref))
          (import "env" "__memory_base" (global i32))
          (import "env" "__table_base" (global i32))
          {{body}})
        """;

    // A measured loop: calls `call` (which takes and returns the accumulator) $n times, threading the accumulator through
    // every call so that none can be skipped.
    private static string Loop(string name, string call) => $$"""
        (func (export "{{name}}") (param $n i32) (result i32) (local $acc i32)
          (loop $l (local.set $acc {{call}})
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
          (local.get $acc))
        """;

    // tiny(x) = x + 1.
    private static readonly string Provider = Side("""(mem-info (memory 0 0)) (needed "libcaller.so")""", """
        (func $tiny (export "tiny") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
        """ + Loop("loop_intra", "(call $tiny (local.get $acc))"));

    // libcaller is needed by libprovider, so it is instantiated first: its import of tiny is late-bound (its call goes
    // through its call table; the thunk is what the import itself is bound to).
    private static readonly string Caller = Side("(mem-info (memory 0 0))", """
        (import "env" "tiny" (func $tiny (param i32) (result i32)))
        (import "GOT.func" "tiny" (global $tiny_ptr (mut i32)))
        (type $t (func (param i32) (result i32)))
        """ + Loop("loop_forwarded", "(call $tiny (local.get $acc))")
            + Loop("loop_indirect", "(call_indirect (type $t) (local.get $acc) (global.get $tiny_ptr))"));

    // libdirect needs libprovider, so libprovider exists first and the import is bound directly.
    private static readonly string Direct = Side("""(mem-info (memory 0 0)) (needed "libprovider.so")""", """
        (import "env" "tiny" (func $tiny (param i32) (result i32)))
        """ + Loop("loop_direct", "(call $tiny (local.get $acc))"));

    // A C# function called from wasm: host_tiny(x) = x + 1, the same work as tiny.
    private static readonly string Host = Side("(mem-info (memory 0 0))", """
        (import "env" "host_tiny" (func $host_tiny (param i32) (result i32)))
        """ + Loop("loop_host", "(call $host_tiny (local.get $acc))"));

    // A library nothing else depends on, so that dlclose really unloads it (libprovider and libcaller need each other).
    internal static readonly string Small = Side("(mem-info (memory 4 2))",
        """(func (export "small") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))""");

    /// <summary>The scenario names <c>--only</c> accepts, in the order they run.</summary>
    public static readonly string[] Names = ["calls", "callpaths", "load", "scaling", "soak", "dlsym", "fresh"];

    /// <summary>Runs the scenarios in <paramref name="only"/> (all of <see cref="Names"/> when null).</summary>
    public static void Run(string? jsonPath, IReadOnlyList<int> libraryCounts, IReadOnlySet<string>? only, int soakCycles, int dlsymExports)
    {
        bool Selected(string name) => only is null || only.Contains(name);
        var dir = Directory.CreateTempSubdirectory("dylink-bench").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "libprovider.so"), Wasmtime.Module.ConvertText(Provider));
            File.WriteAllBytes(Path.Combine(dir, "libcaller.so"), Wasmtime.Module.ConvertText(Caller));
            File.WriteAllBytes(Path.Combine(dir, "libdirect.so"), Wasmtime.Module.ConvertText(Direct));
            File.WriteAllBytes(Path.Combine(dir, "libhost.so"), Wasmtime.Module.ConvertText(Host));
            File.WriteAllBytes(Path.Combine(dir, "libsmall.so"), Wasmtime.Module.ConvertText(Small));
            var results = new Dictionary<string, double>(StringComparer.Ordinal);
            var notes = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Selected("calls"))
            {
                RunCalls(dir, results);
            }

            if (Selected("callpaths"))
            {
                CallScenarios.Run(dir, results);
            }

            if (Selected("load"))
            {
                LoadScenarios.Run(libraryCounts, results);
            }

            if (Selected("scaling"))
            {
                LoadScenarios.RunScaling(results);
            }

            if (Selected("soak"))
            {
                RuntimeScenarios.Soak(dir, soakCycles, results, notes);
            }

            if (Selected("dlsym"))
            {
                RuntimeScenarios.Dlsym(dir, dlsymExports, results);
            }

            if (Selected("fresh"))
            {
                FreshScenarios.Run(results, notes);
            }

            if (Selected("calls"))
            {
                Print(results);
            }

            CallScenarios.Print(results);

            if (Selected("load"))
            {
                LoadScenarios.Print(libraryCounts, results);
                LoadScenarios.PrintMemory(libraryCounts, results);
            }

            LoadScenarios.PrintScaling(results);
            RuntimeScenarios.PrintSoak(results, notes);
            RuntimeScenarios.PrintDlsym(results);
            if (jsonPath is not null)
            {
                var json = results.ToDictionary(kv => kv.Key, kv => (object)kv.Value, StringComparer.Ordinal);
                foreach (var (key, note) in notes)
                {
                    json[key] = note;
                }

                File.WriteAllText(jsonPath, JsonSerializer.Serialize(json, Indented));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void RunCalls(string dir, Dictionary<string, double> results)
    {
        using (var linker = new DynamicLinker())
        {
            linker.DefineFunction("host_tiny", (int x) => x + 1);
            linker.LoadLibraries(new LinkOptions { SearchPaths = [dir], Libraries = ["libdirect.so", "libhost.so"] });
            foreach (var loop in new[] { "loop_intra", "loop_direct", "loop_forwarded", "loop_indirect" })
            {
                results[loop] = NanosecondsPerCall(linker, loop, Calls);
            }

            results["loop_host"] = NanosecondsPerCall(linker, "loop_host", Calls / 10);
            results["csharp_to_wasm"] = CSharpToWasm(linker.GetFunction<int, int>("tiny"));
        }

        results["unload_reload_bytes_per_cycle"] = LeakPerCycle(dir);
        results["dlopen_cached_small_us"] = DlopenLatency(dir);
        results["example_load_warm_cache_ms"] = WarmCacheLoadTime(dir);
        var (plan, load) = ExampleLoadTimes();
        results["example_plan_ms"] = plan;
        results["example_plan_and_load_ms"] = load;
    }

    /// <summary>C# calling a wasm function through the typed delegate, in a C# loop (the same accumulator chain).</summary>
    private static double CSharpToWasm(Func<int, int> tiny)
    {
        const int N = Calls / 10;
        var best = double.MaxValue;
        for (var run = 0; run < 5; run++)
        {
            var watch = Stopwatch.StartNew();
            var acc = 0;
            for (var i = 0; i < N; i++)
            {
                acc = tiny(acc);
            }

            watch.Stop();
            if (acc != N)
            {
                throw new InvalidOperationException($"tiny computed {acc}");
            }

            best = Math.Min(best, watch.Elapsed.TotalNanoseconds / N);
        }

        return best;
    }

    private static double NanosecondsPerCall(DynamicLinker linker, string loop, int calls)
    {
        var function = linker.GetFunction(loop).WrapFunc<int, int>()!;
        if (function(1000) != 1000)
        {
            throw new InvalidOperationException($"{loop} computed a wrong result");
        }

        var best = double.MaxValue;
        for (var run = 0; run < 5; run++)
        {
            var watch = Stopwatch.StartNew();
            var result = function(calls);
            watch.Stop();
            if (result != calls)
            {
                throw new InvalidOperationException($"{loop} computed {result}");
            }

            best = Math.Min(best, watch.Elapsed.TotalNanoseconds / calls);
        }

        return best;
    }

    /// <summary>
    /// What one dlopen/dlclose cycle leaks: Wasmtime frees an instance only with its store, so every unloaded
    /// library's instance (and its compiled code's per-instance state) stays. Table slots and the library's memory
    /// region are reused, so the linear memory does not grow. Measured as process working-set growth over 2000 cycles.
    /// </summary>
    private static double LeakPerCycle(string dir)
    {
        const int Cycles = 2000;
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { SearchPaths = [dir] });
        // libsmall.so, which nothing needs, so that every Close really unloads it (checked below): a library that stays
        // loaded would measure nothing.
        void Cycle()
        {
            var handle = linker.Open("libsmall.so");
            linker.Symbol(handle, "small");
            linker.Close(handle);
        }

        for (var i = 0; i < 100; i++)
        {
            Cycle();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Environment.WorkingSet;
        var memoryBefore = linker.Memory.GetLength();
        for (var i = 0; i < Cycles; i++)
        {
            Cycle();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (linker.Memory.GetLength() != memoryBefore)
        {
            throw new InvalidOperationException("linear memory grew over open/close cycles");
        }

        if (linker.UnloadedInstances != Cycles + 100)
        {
            throw new InvalidOperationException($"libsmall.so was unloaded {linker.UnloadedInstances} times in {Cycles + 100} cycles");
        }

        return (double)(Environment.WorkingSet - before) / Cycles;
    }

    /// <summary>
    /// dlopen of a small library whose code this linker has compiled before (the usual plugin re-open): median of 200
    /// <c>Open</c> calls, each followed by a <c>Close</c> (which unloads it) outside the clock. Each open plans,
    /// instantiates, fills slots and runs constructors.
    /// </summary>
    private static double DlopenLatency(string dir)
    {
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { SearchPaths = [dir] });
        var times = new List<double>();
        for (var i = 0; i < 220; i++)
        {
            var watch = Stopwatch.StartNew();
            var handle = linker.Open("libsmall.so");
            times.Add(watch.Elapsed.TotalMicroseconds);
            linker.Close(handle);
        }

        if (linker.UnloadedInstances != times.Count)
        {
            throw new InvalidOperationException("libsmall.so was not unloaded by every dlclose");
        }

        return Median(times.Skip(20));
    }

    /// <summary>Median of 20 loads of the hello example in fresh linkers sharing a warm on-disk compiled-code cache.</summary>
    private static double WarmCacheLoadTime(string dir)
    {
        var main = FindUp(Path.Combine("examples", "hello", "host.wasm"));
        var options = new DynamicLinkerOptions { CacheDirectory = Path.Combine(dir, "cache") };
        var times = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var watch = Stopwatch.StartNew();
            using var linker = new DynamicLinker(options);
            linker.Load(main);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        return Median(times.Skip(1));
    }

    /// <summary>Median over 20 runs of planning, and of planning plus loading, the shipped hello example.</summary>
    private static (double PlanMs, double LoadMs) ExampleLoadTimes()
    {
        var main = FindUp(Path.Combine("examples", "hello", "host.wasm"));
        var plans = new List<double>();
        var loads = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var watch = Stopwatch.StartNew();
            var plan = LinkPlanner.Plan(main, new LinkOptions());
            plans.Add(watch.Elapsed.TotalMilliseconds);
            using var linker = new DynamicLinker();
            linker.Load(plan);
            loads.Add(watch.Elapsed.TotalMilliseconds);
        }

        // The first run pays JIT and native-library start-up; report the steady state.
        return (Median(plans.Skip(1)), Median(loads.Skip(1)));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, relative);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException(relative);
    }

    private static void Print(Dictionary<string, double> r)
    {
        var intra = r["loop_intra"];
        Console.WriteLine("call path                                       ns/call   ratio to intra-module");
        foreach (var (name, label) in new[]
        {
            ("loop_intra", "intra-module call"),
            ("loop_direct", "cross-module import (bound directly)"),
            ("loop_forwarded", "cross-module import (late-bound, call table)"),
            ("loop_indirect", "call_indirect through GOT.func slot"),
        })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-46} {r[name],8:F2}   {r[name] / intra,6:F2}x"));
        }

        foreach (var (name, label) in new[] { ("loop_host", "wasm -> C# host function"), ("csharp_to_wasm", "C# -> wasm (typed delegate)") })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-46} {r[name],8:F2}   {r[name] / intra,6:F2}x"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"late-bound (a rebound call costs the same) vs direct cross-module call: {r["loop_forwarded"] / r["loop_direct"]:F2}x; GOT.func call_indirect vs direct: {r["loop_indirect"] / r["loop_direct"]:F2}x"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"dlopen of a small library compiled before (opened and closed 200 times): {r["dlopen_cached_small_us"]:F1} µs (median)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"one dlopen/dlclose cycle leaks {r["unload_reload_bytes_per_cycle"] / 1024:F1} KiB of process memory (unloaded instances stay in the store); linear memory: 0"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"examples/hello: plan {r["example_plan_ms"]:F2} ms, plan + load (compile, instantiate, ctors) {r["example_plan_and_load_ms"]:F2} ms (median of 20)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"examples/hello with a warm compiled-code cache: {r["example_load_warm_cache_ms"]:F2} ms ({r["example_plan_and_load_ms"] / r["example_load_warm_cache_ms"]:F1}x faster)"));
    }
}
