using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Dylink.Benchmarks;

/// <summary>
/// Issue 16's fresh-process measures: what a user pays for <c>dylink run</c> as a new process, against node running
/// emscripten 3.1.6's build of the same C. (a) the hello example with a warm <c>--cache</c>; (b) a main that dlopens K
/// small libraries (K = 1 and 100), whose difference / 99 is the cost of one more library in a fresh process, warm and
/// cold. The dylink side runs the Release build (<c>dotnet dylink.dll</c>), the ReadyToRun publish and the Native AOT one.
/// Every variant runs once per round and the rounds rotate the order, so a burst of load on this shared machine hits
/// all variants alike; medians and minimums are reported.
/// </summary>
internal static class FreshScenarios
{
    private const int Rounds = 9;

    // The dlopen program, the same source for both toolchains: emscripten has <dlfcn.h>; wasi-libc (Debian's
    // 0.0~git20220510) has none, so for clang the declarations of dylink's guest ABI (musl's flag values) are spelled out
    // and become env imports through --unresolved-symbols=import-dynamic.
    private const string DlopenMain = """
        #include <stdio.h>
        #include <stdlib.h>
        #ifdef __EMSCRIPTEN__
        #include <dlfcn.h>
        #else
        #define RTLD_NOW 2
        #define RTLD_GLOBAL 256
        void *dlopen(const char *path, int flags);
        void *dlsym(void *handle, const char *name);
        char *dlerror(void);
        #endif
        int main(int argc, char **argv) {
          int k = argc > 1 ? atoi(argv[1]) : 1;
          char name[32];
          int sum = 0;
          for (int i = 0; i < k; i++) {
            snprintf(name, sizeof name, "lib%d.so", i);
            void *h = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
            if (!h) { printf("dlopen %s: %s\n", name, dlerror()); return 1; }
            snprintf(name, sizeof name, "f%d", i);
            int (*f)(int) = (int (*)(int))dlsym(h, name);
            if (!f) { printf("dlsym %s: %s\n", name, dlerror()); return 1; }
            sum += f(1);
          }
          printf("%d\n", sum);
          return 0;
        }
        """;

    // tests/fixtures/src/crt_start.c: its own _start so that no export of the main gets a .command_export wrapper.
    private const string CrtStart = """
        extern void __wasm_call_ctors(void);
        extern int __main_void(void);
        extern void exit(int) __attribute__((noreturn));
        __attribute__((export_name("_start"))) void _start(void) {
          __wasm_call_ctors();
          exit(__main_void());
        }
        """;

    private const int ManyLibraries = 100;

    // The program prints sum over i < K of f_i(1) = K + K(K-1)/2: the run is checked, not just timed.
    private static string Expected(int k) => (k + (k * (k - 1) / 2)).ToString(CultureInfo.InvariantCulture) + "\n";

    private sealed record Variant(string Name, string Directory, string[] Command, string Expected, string? ColdCacheRoot = null);

    public static void Run(Dictionary<string, double> results, Dictionary<string, string> notes)
    {
        var root = RepoRoot();
        var dir = System.IO.Directory.CreateTempSubdirectory("dylink-fresh").FullName;
        try
        {
            var variants = new List<Variant>();
            var dylinks = BuildDylink(root, dir, notes);
            var hello = Path.Combine(root, "examples", "hello", "host.wasm");
            const string helloOut = "hello from libhello.so: x=5 ready=1\nhost: side_hello(5) returned 40\n";
            var haveClang = OnPath("clang-19") && File.Exists("/usr/lib/wasm32-wasi/libc.a");
            if (!haveClang)
            {
                notes["fresh_dlopen_dylink_skipped"] = "clang-19 or wasi-libc (/usr/lib/wasm32-wasi/libc.a) missing";
            }

            var dyDir = Path.Combine(dir, "dylink-k");
            if (haveClang)
            {
                BuildClangDlopen(dyDir);
            }

            foreach (var (name, command) in dylinks)
            {
                var warm = Path.Combine(dir, $"cache-{name}");
                variants.Add(new($"version_{name}", dir, [.. command, "--version"], ""));
                variants.Add(new($"hello_warm_{name}", dir, [.. command, "run", "--cache", warm, hello], helloOut));
                if (haveClang)
                {
                    foreach (var k in new[] { 1, ManyLibraries })
                    {
                        var main = Path.Combine(dyDir, "main.wasm");
                        variants.Add(new($"dlopen{k}_warm_{name}", dyDir, [.. command, "run", "--cache", warm, main, $"{k}"], Expected(k)));
                        // The cache directory is replaced by an empty one before each run (outside the timed span).
                        variants.Add(new($"dlopen{k}_cold_{name}", dyDir, [.. command, "run", "--cache", "COLD", main, $"{k}"], Expected(k),
                            Path.Combine(dir, $"cold-{name}")));
                    }
                }
            }

            if (!OnPath("emcc") || !OnPath("node"))
            {
                notes["fresh_emscripten_skipped"] = "emcc or node not on PATH: no emscripten side by side";
            }
            else
            {
                var emDir = Path.Combine(dir, "emscripten");
                BuildEmscripten(root, emDir);
                variants.Add(new("version_node", dir, ["node", "-e", "0"], ""));
                variants.Add(new("hello_node", emDir, ["node", "host.js"], helloOut));
                foreach (var k in new[] { 1, ManyLibraries })
                {
                    variants.Add(new($"dlopen{k}_node", emDir, ["node", "main.js", $"{k}"], Expected(k)));
                }
            }

            // One untimed run of each: fills the warm caches and checks every output.
            foreach (var v in variants)
            {
                Launch(v, check: true);
            }

            var times = variants.ToDictionary(v => v.Name, _ => new List<double>(), StringComparer.Ordinal);
            for (var round = 0; round < Rounds; round++)
            {
                for (var i = 0; i < variants.Count; i++)
                {
                    var v = variants[(i + (round * 3)) % variants.Count];
                    times[v.Name].Add(Launch(v, check: false));
                }
            }

            foreach (var (name, list) in times)
            {
                results[$"fresh_{name}_median_ms"] = Median(list);
                results[$"fresh_{name}_min_ms"] = list.Min();
            }

            // Per further library: (t(K=100) - t(K=1)) / 99, from the medians and from the minimums. Node keeps no wasm
            // code cache between processes, so its one figure stands for both warm and cold.
            foreach (var suffix in times.Keys.Where(n => n.StartsWith("dlopen1_", StringComparison.Ordinal)).Select(n => n["dlopen1_".Length..]).ToList())
            {
                foreach (var stat in new[] { "median", "min" })
                {
                    results[$"fresh_per_library_{suffix}_{stat}_ms"] =
                        (results[$"fresh_dlopen{ManyLibraries}_{suffix}_{stat}_ms"] - results[$"fresh_dlopen1_{suffix}_{stat}_ms"]) / (ManyLibraries - 1);
                }
            }

            notes["fresh_load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";
            Print(results, notes, [.. dylinks.Select(d => d.Name)]);
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }

    private static void Print(Dictionary<string, double> results, Dictionary<string, string> notes, string[] dylinks)
    {
        string Cell(string key) => results.TryGetValue($"fresh_{key}_median_ms", out var median)
            ? string.Create(CultureInfo.InvariantCulture, $"{median,8:F1} ({results[$"fresh_{key}_min_ms"]:F1})")
            : "       –";
        string PerLib(string key) => results.TryGetValue($"fresh_per_library_{key}_median_ms", out var median)
            ? string.Create(CultureInfo.InvariantCulture, $"{median,8:F2} ({results[$"fresh_per_library_{key}_min_ms"]:F2})")
            : "       –";
        Console.WriteLine();
        Console.WriteLine($"Fresh process (ms, median (min) of {Rounds} interleaved runs; load average {notes["fresh_load_average"]})");
        Console.WriteLine($"{"measure",-36} {"node",-18} {string.Join(" ", dylinks.Select(d => $"{d,-18}"))}");
        Console.WriteLine($"{"--version / node -e 0",-36} {Cell("version_node"),-18} {string.Join(" ", dylinks.Select(d => $"{Cell($"version_{d}"),-18}"))}");
        Console.WriteLine($"{"hello, warm cache",-36} {Cell("hello_node"),-18} {string.Join(" ", dylinks.Select(d => $"{Cell($"hello_warm_{d}"),-18}"))}");
        foreach (var k in new[] { 1, ManyLibraries })
        {
            foreach (var temp in new[] { "warm", "cold" })
            {
                Console.WriteLine($"{$"dlopen K={k}, {temp}",-36} {Cell($"dlopen{k}_node"),-18} {string.Join(" ", dylinks.Select(d => $"{Cell($"dlopen{k}_{temp}_{d}"),-18}"))}");
            }
        }

        foreach (var temp in new[] { "warm", "cold" })
        {
            Console.WriteLine($"{$"per further library, {temp}",-36} {PerLib("node"),-18} {string.Join(" ", dylinks.Select(d => $"{PerLib($"{temp}_{d}"),-18}"))}");
        }

        foreach (var (key, note) in notes.Where(n => n.Key.StartsWith("fresh_", StringComparison.Ordinal) && n.Key.EndsWith("_skipped", StringComparison.Ordinal)))
        {
            Console.WriteLine($"{key}: {note}");
        }
    }

    // The Release build (framework-dependent, JIT) and, when this runtime has a RID, the two precompiled publishes: the
    // Native AOT one (the Cli project's default for a RID publish, what the linux-x64 tool package holds) and ReadyToRun.
    private static List<(string Name, string[] Command)> BuildDylink(string root, string dir, Dictionary<string, string> notes)
    {
        var project = Path.Combine(root, "src", "Dylink.Cli");
        Workload.Tool(root, ["dotnet", "build", project, "-c", "Release", "-nologo", "-v", "q"]);
        var list = new List<(string, string[])> { ("jit", ["dotnet", Path.Combine(project, "bin", "Release", "net10.0", "dylink.dll")]) };
        // AOT is the project's own setting (a global -p:PublishAot=true would turn the AOT analyzers on in the libraries too).
        foreach (var (name, setting) in new[] { ("r2r", new[] { "-p:PublishAot=false" }), ("aot", []) })
        {
            var output = Path.Combine(dir, name);
            try
            {
                Workload.Tool(root, ["dotnet", "publish", project, "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, .. setting,
                    "-nologo", "-v", "q", "-o", output]);
                list.Add((name, [Path.Combine(output, OperatingSystem.IsWindows() ? "dylink.exe" : "dylink")]));
            }
            catch (InvalidOperationException e)
            {
                notes[$"fresh_{name}_skipped"] = "dotnet publish -r failed: " + e.Message.Split('\n')[0];
            }
        }

        return list;
    }

    private static void BuildClangDlopen(string dir)
    {
        System.IO.Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "main.c"), DlopenMain);
        File.WriteAllText(Path.Combine(dir, "crt_start.c"), CrtStart);
        // As tests/fixtures/build.sh builds its dl mains (DL_MAIN) and side modules (E2E_SIDE).
        Workload.Tool(dir, ["clang-19", "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-nostartfiles", "-Wl,--strip-debug", "-Wl,--export-memory",
            "-Wl,--export-table", "-Wl,--growable-table", "-fPIC", "-Wl,--export-dynamic", "-Wl,--unresolved-symbols=import-dynamic",
            "-o", "main.wasm", "crt_start.c", "main.c"]);
        Parallel.For(0, ManyLibraries, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            File.WriteAllText(Path.Combine(dir, $"lib{i}.c"), Library(i));
            Workload.Tool(dir, ["clang-19", "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-nostdlib", "-fPIC", "-fvisibility=default", "-shared",
                "-Wl,--no-entry", "-Wl,--unresolved-symbols=import-dynamic", "-Wl,--export-if-defined=__wasm_call_ctors", "-o", $"lib{i}.so", $"lib{i}.c"]);
        });
    }

    private static void BuildEmscripten(string root, string dir)
    {
        System.IO.Directory.CreateDirectory(dir);
        // The hello example's own sources (examples/hello/README.md): the side module and the main that NEEDs it.
        var src = Path.Combine(root, "tests", "fixtures", "src");
        File.Copy(Path.Combine(src, "hello.c"), Path.Combine(dir, "hello.c"));
        File.Copy(Path.Combine(src, "host_main.c"), Path.Combine(dir, "host_main.c"));
        Workload.Tool(dir, ["emcc", "-O2", "-fPIC", "-sSIDE_MODULE=1", "-o", "libhello.so", "hello.c"]);
        // Synchronous compilation: node 20's fetch cannot read the .wasm next to the script (emscripten 3.1.6 tries it).
        Workload.Tool(dir, ["emcc", "-O2", "-sMAIN_MODULE=2", "-sWASM_ASYNC_COMPILATION=0", "-o", "host.js", "host_main.c", "libhello.so"]);
        File.WriteAllText(Path.Combine(dir, "main.c"), DlopenMain);
        Workload.Tool(dir, ["emcc", "-O2", "-sMAIN_MODULE=2", "-sWASM_ASYNC_COMPILATION=0", "-o", "main.js", "main.c"]);
        Parallel.For(0, ManyLibraries, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            File.WriteAllText(Path.Combine(dir, $"lib{i}.c"), Library(i));
            Workload.Tool(dir, ["emcc", "-O2", "-fPIC", "-sSIDE_MODULE=1", "-o", $"lib{i}.so", $"lib{i}.c"]);
        });
    }

    private static string Library(int i) => string.Create(CultureInfo.InvariantCulture, $"int f{i}(int x) {{ return x + {i}; }}\n");

    private static double Launch(Variant v, bool check)
    {
        var command = v.Command;
        if (v.ColdCacheRoot is { } cold)
        {
            if (System.IO.Directory.Exists(cold))
            {
                System.IO.Directory.Delete(cold, recursive: true);
            }

            command = [.. command.Select(a => a == "COLD" ? cold : a)];
        }

        var start = new ProcessStartInfo(command[0]) { WorkingDirectory = v.Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var elapsed = watch.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0 || (check && v.Expected.Length > 0 && stdout != v.Expected))
        {
            throw new InvalidOperationException($"{v.Name}: {string.Join(' ', command)} exited {process.ExitCode}, printed:\n{stdout}{stderr.Result}");
        }

        return elapsed;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dylink.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("the fresh-process scenarios run from the repository (no Dylink.slnx above " + AppContext.BaseDirectory + ")");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
