using System.Diagnostics;
using System.Globalization;
using Dylink.Linking;
using Dylink.Runtime;

namespace Dylink.Benchmarks;

/// <summary>
/// What each call path costs against a call inside one module, for the ways a program can be loaded, side by side in
/// one process (each loop measured in turn, round after round, so every configuration sees the same machine load).
/// The program is a non-PIE main (instantiated first, so its calls into its library are late-bound) and one library
/// that calls back into the main (bound directly) and through a function pointer (a <c>GOT.func</c> slot).
/// </summary>
internal static class CallScenarios
{
    private const int Calls = 100_000_000;
    private const int Rounds = 5;

    // A loop calling `call` $n times, threading the accumulator through every call so that none can be skipped.
    private static string Loop(string name, string call) => $$"""
        (func (export "{{name}}") (param $n i32) (result i32) (local $acc i32)
          (loop $l (local.set $acc {{call}})
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
          (local.get $acc))
        """;

    private const string Tiny = "(param i32) (result i32) (i32.add (local.get 0) (i32.const 1))";

    // A non-PIE main: its own memory, table, stack pointer and allocator; tiny is its library's.
    private static readonly string Main = $$"""
        (module
          (@dylink.0 (mem-info (memory 0 0)) (needed "libcallee.so"))
          (import "env" "tiny" (func $tiny (param i32) (result i32)))
          (memory (export "memory") 2)
          (table (export "__indirect_function_table") 1 funcref)
          (global (export "__stack_pointer") (mut i32) (i32.const 65536))
          (global $next (mut i32) (i32.const 65536))
          (func (export "aligned_alloc") (param $align i32) (param $size i32) (result i32) (local $p i32)
            (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
                                   (i32.sub (i32.const 0) (local.get $align))))
            (global.set $next (i32.add (local.get $p) (local.get $size)))
            (local.get $p))
          (func $local_tiny (export "main_tiny") {{Tiny}})
          (func (export "main_tiny2") {{Tiny}})
          {{Loop("loop_local", "(call $local_tiny (local.get $acc))")}}
          {{Loop("loop_main_to_lib", "(call $tiny (local.get $acc))")}})
        """;

    private static readonly string Library = $$"""
        (module
          (@dylink.0 (mem-info (memory 0 0)))
          (import "env" "memory" (memory 0))
          (import "env" "__indirect_function_table" (table 0 funcref))
          (import "env" "__memory_base" (global i32))
          (import "env" "__table_base" (global i32))
          (import "env" "main_tiny" (func $main_tiny (param i32) (result i32)))
          (import "GOT.func" "tiny" (global $tiny_ptr (mut i32)))
          (type $t (func (param i32) (result i32)))
          (func (export "tiny") {{Tiny}})
          (func (export "tiny2") {{Tiny}})
          {{Loop("loop_lib_to_main", "(call $main_tiny (local.get $acc))")}}
          {{Loop("loop_pointer", "(call_indirect (type $t) (local.get $acc) (global.get $tiny_ptr))")}})
        """;

    private sealed record Configuration(string Key, string Title, bool CallTables, bool Rebindable);

    private static readonly Configuration[] Configurations =
    [
        new("thunks", "thunks (before)", CallTables: false, Rebindable: false),
        new("thunks_rebindable", "thunks, Rebindable", CallTables: false, Rebindable: true),
        new("call_tables", "call tables", CallTables: true, Rebindable: false),
    ];

    private static readonly (string Key, string Title, string Loop, bool Rebound)[] Paths =
    [
        ("local", "local call (in the main)", "loop_local", false),
        ("main_to_lib", "main → library (late-bound: main instantiated first)", "loop_main_to_lib", false),
        ("pointer", "function pointer (GOT.func slot, call_indirect)", "loop_pointer", false),
        ("lib_to_main", "library → main (bound directly)", "loop_lib_to_main", false),
        ("main_to_lib_rebound", "main → library after Rebind", "loop_main_to_lib", true),
        ("lib_to_main_rebound", "library → main after Rebind", "loop_lib_to_main", true),
    ];

    public static void Run(string dir, Dictionary<string, double> results)
    {
        var directory = Path.Combine(dir, "callpaths");
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "main.wasm"), Wasmtime.Module.ConvertText(Main));
        File.WriteAllBytes(Path.Combine(directory, "libcallee.so"), Wasmtime.Module.ConvertText(Library));

        // Two linkers per configuration: one as loaded, one whose tiny and main_tiny are rebound to their twins.
        var linkers = new List<(Configuration Configuration, bool Rebound, DynamicLinker Linker)>();
        try
        {
            foreach (var configuration in Configurations)
            {
                foreach (var rebound in new[] { false, true })
                {
                    var linker = new DynamicLinker(new DynamicLinkerOptions { CallTables = configuration.CallTables });
                    linkers.Add((configuration, rebound, linker));
                    linker.Load(Path.Combine(directory, "main.wasm"), new LinkOptions { SearchPaths = [directory], Rebindable = configuration.Rebindable });
                    if (rebound)
                    {
                        var followed = linker.Rebind("tiny", "tiny2").Complete & linker.Rebind("main_tiny", "main_tiny2").Complete;
                        results[$"callpaths_{configuration.Key}_rebind_complete"] = followed ? 1 : 0;
                    }
                }
            }

            var best = new Dictionary<string, double>(StringComparer.Ordinal);
            var functions = new List<(string Key, Func<int, int> Function)>();
            foreach (var (configuration, rebound, linker) in linkers)
            {
                foreach (var path in Paths.Where(p => p.Rebound == rebound || p.Key == "local"))
                {
                    var function = linker.GetFunction(path.Loop).WrapFunc<int, int>()!;
                    if (function(1000) != 1000)
                    {
                        throw new InvalidOperationException($"{configuration.Key} {path.Key}: a wrong result");
                    }

                    functions.Add(($"{configuration.Key}_{path.Key}{(rebound && path.Key == "local" ? "_again" : "")}", function));
                }
            }

            for (var round = 0; round < Rounds; round++)
            {
                foreach (var (key, function) in functions)
                {
                    var watch = Stopwatch.StartNew();
                    var result = function(Calls);
                    watch.Stop();
                    if (result != Calls)
                    {
                        throw new InvalidOperationException($"{key} computed {result}");
                    }

                    best[key] = Math.Min(best.GetValueOrDefault(key, double.MaxValue), watch.Elapsed.TotalNanoseconds / Calls);
                }
            }

            foreach (var configuration in Configurations)
            {
                // The local call is measured in both of the configuration's linkers: the better one is the baseline.
                var local = Math.Min(best[$"{configuration.Key}_local"], best[$"{configuration.Key}_local_again"]);
                foreach (var path in Paths)
                {
                    var ns = path.Key == "local" ? local : best[$"{configuration.Key}_{path.Key}"];
                    results[$"callpaths_{configuration.Key}_{path.Key}_ns"] = ns;
                    results[$"callpaths_{configuration.Key}_{path.Key}_ratio"] = ns / local;
                }
            }

            results["callpaths_calls_per_loop"] = Calls;
        }
        finally
        {
            foreach (var (_, _, linker) in linkers)
            {
                linker.Dispose();
            }
        }
    }

    public static void Print(Dictionary<string, double> r)
    {
        if (!r.TryGetValue("callpaths_calls_per_loop", out var calls))
        {
            return;
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"call paths: ratio to a local call (ns per call), best of {Rounds} loops of {calls:F0} calls, measured in turn"));
        Console.WriteLine($"{"call path",-56}{string.Concat(Configurations.Select(c => $"{c.Title,24}"))}");
        foreach (var path in Paths)
        {
            var cells = Configurations.Select(c =>
            {
                var cell = string.Create(CultureInfo.InvariantCulture, $"{r[$"callpaths_{c.Key}_{path.Key}_ratio"]:F2}× ({r[$"callpaths_{c.Key}_{path.Key}_ns"]:F2})");
                // A rebind that does not reach the caller measures the original function: say so.
                return path.Rebound && r[$"callpaths_{c.Key}_rebind_complete"] == 0 && path.Key == "lib_to_main_rebound" ? cell + "*" : cell;
            });
            Console.WriteLine($"{path.Title,-56}{string.Concat(cells.Select(c => $"{c,24}"))}");
        }

        Console.WriteLine("* the rebind does not reach this caller (its call still reaches the original)");
    }
}
