using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dylink.Linking;
using Dylink.Runtime;

namespace Dylink.Benchmarks;

/// <summary>
/// The run-time linker under sustained use, through the public API only: a soak of many dlopen/dlclose cycles of a
/// library that really unloads (is each cycle as cheap as the first, does the process grow, does any cycle fail?), and
/// dlsym throughput on a library with very many exports, from its handle and from <c>RTLD_DEFAULT</c>.
/// </summary>
internal static class RuntimeScenarios
{
    private const int Buckets = 20;

    /// <summary>
    /// <paramref name="cycles"/> cycles of Open + Symbol + Close of <c>libsmall.so</c> (which nothing needs, so each
    /// Close unloads it: checked through <see cref="DynamicLinker.UnloadedInstances"/>). Each cycle is timed; the
    /// cycles are cut into <see cref="Buckets"/> equal buckets, each reported as its median, so that a cost that grows
    /// with the number of cycles done shows as a slope rather than disappearing in one overall median. A cycle whose
    /// Open fails is counted (the first failure's cycle and message are kept) and the soak goes on, so that a limit
    /// reached half-way shows as the failure count of the later buckets. Process memory is read before and after
    /// (after a full GC), and the working set at the end of each bucket.
    /// </summary>
    public static void Soak(string dir, int cycles, Dictionary<string, double> results, Dictionary<string, string> notes)
    {
        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { SearchPaths = [dir] });
        // A few cycles outside the measurement: the JIT and the first compilation of libsmall.so would otherwise be the
        // first bucket's cost, not the linker's.
        for (var i = 0; i < 10; i++)
        {
            linker.Close(linker.Open("libsmall.so"));
        }

        var before = MemoryNow();
        var linearBefore = linker.Memory.GetLength();
        var unloadedBefore = linker.UnloadedInstances;
        var bucketSize = Math.Max(1, cycles / Buckets);
        var times = new double[cycles];
        var failed = new bool[cycles];
        var failures = 0;
        var workingSetAtBucketEnd = new List<long>();
        for (var i = 0; i < cycles; i++)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                var handle = linker.Open("libsmall.so");
                linker.Symbol(handle, "small");
                linker.Close(handle);
            }
            catch (DylinkException e)
            {
                failed[i] = true;
                if (failures++ == 0)
                {
                    notes["soak_first_failure"] = $"cycle {i + 1}: {e.GetType().Name}: {e.Message.Split('\n')[0]}";
                    results["soak_first_failed_cycle"] = i + 1;
                }
            }

            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            if ((i + 1) % bucketSize == 0)
            {
                workingSetAtBucketEnd.Add(Environment.WorkingSet);
            }
        }

        var after = MemoryNow();
        results["soak_cycles"] = cycles;
        results["soak_failed_cycles"] = failures;
        results["soak_unloads"] = linker.UnloadedInstances - unloadedBefore;
        results["soak_linear_memory_growth_bytes"] = linker.Memory.GetLength() - linearBefore;
        for (var b = 0; b * bucketSize < cycles && b < Buckets; b++)
        {
            var range = Enumerable.Range(b * bucketSize, Math.Min(bucketSize, cycles - (b * bucketSize))).ToList();
            results[$"soak_bucket{b:D2}_median_us"] = Median(range.Select(i => times[i]));
            results[$"soak_bucket{b:D2}_failed"] = range.Count(i => failed[i]);
            if (b < workingSetAtBucketEnd.Count)
            {
                results[$"soak_bucket{b:D2}_working_set_kib"] = workingSetAtBucketEnd[b] / 1024.0;
            }
        }

        results["soak_bucket_size"] = bucketSize;
        results["soak_working_set_kib_per_cycle"] = (after.WorkingSet - before.WorkingSet) / 1024.0 / cycles;
        results["soak_gc_heap_kib_per_cycle"] = (after.GcHeap - before.GcHeap) / 1024.0 / cycles;
        results["soak_private_kib_per_cycle"] = (after.Private - before.Private) / 1024.0 / cycles;
        results["soak_working_set_before_mib"] = before.WorkingSet / 1048576.0;
        results["soak_working_set_after_mib"] = after.WorkingSet / 1048576.0;
        results["soak_gc_heap_before_mib"] = before.GcHeap / 1048576.0;
        results["soak_gc_heap_after_mib"] = after.GcHeap / 1048576.0;
        results["soak_private_before_mib"] = before.Private / 1048576.0;
        results["soak_private_after_mib"] = after.Private / 1048576.0;
    }

    public static void PrintSoak(Dictionary<string, double> r, Dictionary<string, string> notes)
    {
        if (!r.TryGetValue("soak_cycles", out var cycles))
        {
            return;
        }

        var size = (int)r["soak_bucket_size"];
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: {cycles:F0} cycles of Open + Symbol + Close of libsmall.so ({r["soak_unloads"]:F0} unloads), buckets of {size} cycles"));
        Console.WriteLine("cycles            median µs/cycle   failed   working set MiB");
        for (var b = 0; r.ContainsKey($"soak_bucket{b:D2}_median_us"); b++)
        {
            var ws = r.TryGetValue($"soak_bucket{b:D2}_working_set_kib", out var w) ? (w / 1024).ToString("F1", CultureInfo.InvariantCulture) : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(b * size) + 1,6}-{(b + 1) * size,-6}    {r[$"soak_bucket{b:D2}_median_us"],15:F1}   {r[$"soak_bucket{b:D2}_failed"],6:F0}   {ws,15}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"failed cycles: {r["soak_failed_cycles"]:F0}{(notes.TryGetValue("soak_first_failure", out var first) ? $" (first: {first})" : "")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"process growth per cycle: working set {r["soak_working_set_kib_per_cycle"]:F2} KiB ({r["soak_working_set_before_mib"]:F1} -> {r["soak_working_set_after_mib"]:F1} MiB), " +
            $"GC heap {r["soak_gc_heap_kib_per_cycle"]:F2} KiB ({r["soak_gc_heap_before_mib"]:F1} -> {r["soak_gc_heap_after_mib"]:F1} MiB), " +
            $"private bytes {r["soak_private_kib_per_cycle"]:F2} KiB ({r["soak_private_before_mib"]:F1} -> {r["soak_private_after_mib"]:F1} MiB); " +
            $"linear memory growth {r["soak_linear_memory_growth_bytes"]:F0} bytes"));
        // Failed cycles allocate little, so once loads fail the per-cycle figure understates what an unload costs.
        if (r["soak_unloads"] is > 0 and var unloads && unloads < cycles)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"per successful cycle ({unloads:F0}): working set {r["soak_working_set_kib_per_cycle"] * cycles / unloads:F2} KiB, " +
                $"GC heap {r["soak_gc_heap_kib_per_cycle"] * cycles / unloads:F2} KiB, private bytes {r["soak_private_kib_per_cycle"] * cycles / unloads:F2} KiB"));
        }
    }

    /// <summary>
    /// <c>dlsym</c> lookups per second on one library with <paramref name="exports"/> exports (a tenth functions, the
    /// rest data addresses), opened RTLD_GLOBAL, through <see cref="DynamicLinker.Symbol"/> with the library's handle
    /// and with <see cref="LibraryHandle.Default"/>. The names looked up are a fixed random sample of both kinds; each
    /// is looked up once before the clock starts, so a function's first lookup (which gives it a table slot) is not
    /// timed. Every result is checked against the address or slot the first lookup returned.
    /// </summary>
    public static void Dlsym(string dir, int exports, Dictionary<string, double> results)
    {
        var functions = Math.Max(1, exports / 10);
        var path = Path.Combine(dir, "libexports.so");
        var generate = Stopwatch.StartNew();
        File.WriteAllBytes(path, Wasmtime.Module.ConvertText(ManyExports(functions, exports - functions)));
        results["dlsym_exports"] = exports;
        results["dlsym_generate_ms"] = generate.Elapsed.TotalMilliseconds;

        using var linker = new DynamicLinker();
        linker.LoadLibraries(new LinkOptions { SearchPaths = [dir] });
        var open = Stopwatch.StartNew();
        var handle = linker.Open("libexports.so", OpenMode.Now | OpenMode.Global);
        results["dlsym_open_ms"] = open.Elapsed.TotalMilliseconds;

        var random = new Random(12);
        var names = Enumerable.Range(0, 64)
            .Select(i => i % 10 == 0 ? $"f{random.Next(functions)}" : $"d{random.Next(exports - functions)}")
            .ToArray();
        var expected = names.Select(n => linker.Symbol(LibraryHandle.Default, n)).ToArray();
        foreach (var (label, h) in new[] { ("handle", handle), ("default", LibraryHandle.Default) })
        {
            // Warm: the first call of each path pays the JIT.
            linker.Symbol(h, names[0]);
            var done = 0;
            var watch = Stopwatch.StartNew();
            // At least 20 lookups and at least a second (the handle path was ~20 ms per lookup), at most 2M.
            while ((done < 20 || watch.Elapsed.TotalSeconds < 1) && done < 2_000_000)
            {
                var k = done % names.Length;
                if (linker.Symbol(h, names[k]) != expected[k])
                {
                    throw new InvalidOperationException($"dlsym({label}, {names[k]}) changed its value");
                }

                done++;
            }

            var seconds = watch.Elapsed.TotalSeconds;
            results[$"dlsym_{label}_lookups_per_s"] = done / seconds;
            results[$"dlsym_{label}_us_per_lookup"] = seconds * 1e6 / done;
        }

        linker.Close(handle);
    }

    public static void PrintDlsym(Dictionary<string, double> r)
    {
        if (!r.TryGetValue("dlsym_exports", out var exports))
        {
            return;
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"dlsym on a library with {exports:F0} exports (generated in {r["dlsym_generate_ms"]:F0} ms, opened in {r["dlsym_open_ms"]:F0} ms)"));
        Console.WriteLine("handle                       lookups/s        µs/lookup");
        foreach (var (label, text) in new[] { ("handle", "the library's handle"), ("default", "LibraryHandle.Default") })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{text,-24} {r[$"dlsym_{label}_lookups_per_s"],12:F0}   {r[$"dlsym_{label}_us_per_lookup"],14:F2}"));
        }
    }

    /// <summary>
    /// A side module exporting <paramref name="functions"/> functions <c>f0…</c> (each returns its number) and
    /// <paramref name="data"/> data symbols <c>d0…</c> (exported immutable globals: 4-byte objects in its data region).
    /// </summary>
    private static string ManyExports(int functions, int data)
    {
        var wat = new StringBuilder(64 * (functions + data));
        wat.Append(CultureInfo.InvariantCulture, $"""
            (module
              (@dylink.0 (mem-info (memory {4 * data} 2)))
              (import "env" "memory" (memory 0))
              (import "env" "__indirect_function_table" (table 0 funcref))
              (import "env" "__memory_base" (global i32))
              (import "env" "__table_base" (global i32))

            """);
        for (var i = 0; i < functions; i++)
        {
            wat.Append(CultureInfo.InvariantCulture, $"  (func (export \"f{i}\") (result i32) (i32.const {i}))\n");
        }

        for (var i = 0; i < data; i++)
        {
            wat.Append(CultureInfo.InvariantCulture, $"  (global (export \"d{i}\") i32 (i32.const {4 * i}))\n");
        }

        return wat.Append(')').ToString();
    }

    private static (long WorkingSet, long GcHeap, long Private) MemoryNow()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return (process.WorkingSet64, GC.GetTotalMemory(forceFullCollection: true), process.PrivateMemorySize64);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }
}
