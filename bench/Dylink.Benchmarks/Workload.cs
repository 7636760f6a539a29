using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Dylink.Benchmarks;

/// <summary>Which compiler builds a workload's side modules.</summary>
internal enum Toolchain
{
    /// <summary>clang-19 + wasm-ld-19 (LLVM 16+ init protocol: exported <c>__wasm_apply_data_relocs</c>).</summary>
    Clang19,
    /// <summary>emcc 3.1.6 (LLVM 14 flavour; the same libraries emscripten's own loader on node can dlopen).</summary>
    Emcc,
}

/// <summary>
/// A generated set of <see cref="Count"/> side modules <c>lib0.so</c> … with <see cref="Functions"/> exported
/// functions each, built on demand into a git-ignored cache directory (<c>bench/.workloads</c>, or
/// <c>DYLINK_BENCH_WORK</c>) and reused while the generator and the parameters stay the same.
/// </summary>
/// <remarks>
/// The shape is random but seeded: library <c>i</c> NEEDs library <c>i-1</c> (a chain through all of them) and up to two
/// other earlier libraries chosen at random; each of its functions is, at random, a leaf, an intra-module call, a
/// cross-module call to a random function of a needed library, a read of a needed library's data (<c>GOT.mem</c>),
/// or a call through its exported function-pointer array (<c>GOT.func</c> entries, a data relocation, and
/// <c>GOT.mem</c> for its own exported data). Every function makes at most one call, so <c>check{i}</c> — the sum of
/// all of library i's functions — runs in time linear in the chain, and gives one number that every loader must agree on.
/// </remarks>
internal sealed record Workload(Toolchain Toolchain, int Count, int Functions, int Seed)
{
    // Bump when the generated sources or build commands change: the cache key includes it.
    private const int GeneratorVersion = 1;

    public string Directory => Path.Combine(WorkRoot(), $"{Toolchain.ToString().ToLowerInvariant()}-n{Count}-m{Functions}-s{Seed}-v{GeneratorVersion}");

    public IEnumerable<string> LibraryNames => Enumerable.Range(0, Count).Select(Name);

    public string LastLibrary => Name(Count - 1);

    public static string Name(int i) => $"lib{i}.so";

    /// <summary>The library sources and their NEEDED lists, from the seed alone.</summary>
    public IReadOnlyList<(string Source, int[] Needed)> Generate()
    {
        var result = new List<(string, int[])>(Count);
        for (var i = 0; i < Count; i++)
        {
            var random = new Random(unchecked((Seed * 1_000_003) + i));
            var needed = new SortedSet<int>();
            if (i > 0)
            {
                needed.Add(i - 1);
                for (var extra = random.Next(3); extra > 0; extra--)
                {
                    needed.Add(random.Next(i));
                }
            }

            result.Add((Source(i, [.. needed], random), [.. needed]));
        }

        return result;
    }

    private string Source(int i, int[] needed, Random random)
    {
        var text = new StringBuilder();
        var externs = new SortedSet<string>(StringComparer.Ordinal);
        var body = new StringBuilder();
        string RandomImport()
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"f{needed[random.Next(needed.Length)]}_{random.Next(Functions)}");
            externs.Add($"unsigned {name}(unsigned);");
            return name;
        }

        string RandomData()
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"d{needed[random.Next(needed.Length)]}");
            externs.Add($"extern unsigned {name};");
            return name;
        }

        var pointers = needed.Length == 0
            ? string.Create(CultureInfo.InvariantCulture, $"f{i}_0, f{i}_0")
            : $"{RandomImport()}, {RandomImport()}";
        body.Append(CultureInfo.InvariantCulture, $"unsigned f{i}_0(unsigned x) {{ return x * {random.Next(3, 99)}u + {random.Next(1000)}u; }}\n");
        for (var k = 1; k < Functions; k++)
        {
            var (a, b) = (random.Next(3, 99), random.Next(1000));
            var kind = needed.Length == 0 ? random.Next(2) * 3 : random.Next(5);
            var expression = kind switch
            {
                0 => $"x * {a}u + {b}u",
                1 => $"f{i}_0(x ^ {b}u) * {a}u",
                2 => $"{RandomImport()}(x + {b}u) ^ {a}u",
                3 => $"fp{i}[x & 1u](x) + {a}u",
                _ => $"(x + {RandomData()}) * {a}u",
            };

            body.Append(CultureInfo.InvariantCulture, $"unsigned f{i}_{k}(unsigned x) {{ return {expression}; }}\n");
        }

        body.Append(CultureInfo.InvariantCulture, $"unsigned check{i}(unsigned x) {{\n  unsigned s = d{i};\n");
        for (var k = 0; k < Functions; k++)
        {
            body.Append(CultureInfo.InvariantCulture, $"  s = s * 31u + f{i}_{k}(x + {k}u);\n");
        }

        body.Append("  return s;\n}\n");
        text.Append(CultureInfo.InvariantCulture, $"/* generated: library {i} of {Count}, seed {Seed} */\n");
        for (var k = 0; k < Functions; k++)
        {
            text.Append(CultureInfo.InvariantCulture, $"unsigned f{i}_{k}(unsigned);\n");
        }

        foreach (var line in externs)
        {
            text.Append(line).Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture, $"unsigned d{i} = {random.Next(1, 1000)}u;\n");
        text.Append(CultureInfo.InvariantCulture, $"unsigned (*fp{i}[2])(unsigned) = {{ {pointers} }};\n");
        text.Append(body);
        return text.ToString();
    }

    /// <summary>Builds the workload unless a complete build is cached; returns its directory.</summary>
    public string Build(Action<string> log)
    {
        var dir = Directory;
        var done = Path.Combine(dir, "built");
        if (File.Exists(done))
        {
            return dir;
        }

        System.IO.Directory.CreateDirectory(dir);
        var watch = Stopwatch.StartNew();
        log($"building {Count} libraries with {Toolchain} into {dir} …");
        var sources = Generate();
        for (var i = 0; i < Count; i++)
        {
            File.WriteAllText(Path.Combine(dir, $"lib{i}.c"), sources[i].Source);
        }

        // Objects in parallel; links in order, since each library links against the ones it needs (for NEEDED).
        Parallel.For(0, Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            Tool(dir, Toolchain == Toolchain.Clang19
                ? ["clang-19", "--target=wasm32", "-O2", "-fPIC", "-fvisibility=default", "-c", "-o", $"lib{i}.o", $"lib{i}.c"]
                : ["emcc", "-O2", "-fPIC", "-c", "-o", $"lib{i}.o", $"lib{i}.c"]));
        for (var i = 0; i < Count; i++)
        {
            var needed = sources[i].Needed.Select(Name);
            Tool(dir, Toolchain == Toolchain.Clang19
                ? ["clang-19", "--target=wasm32", "-nostdlib", "-shared", "-Wl,--no-entry", "-Wl,--unresolved-symbols=import-dynamic",
                   "-Wl,--export-if-defined=__wasm_call_ctors", "-o", Name(i), $"lib{i}.o", .. needed]
                : ["emcc", "-sSIDE_MODULE=1", "-o", Name(i), $"lib{i}.o", .. needed]);
        }

        if (Toolchain == Toolchain.Emcc)
        {
            File.WriteAllText(Path.Combine(dir, "main.c"), EmscriptenMain);
            Tool(dir, ["emcc", "-O2", "-sMAIN_MODULE=2", "-sWASM_ASYNC_COMPILATION=0", "-sEXPORTED_FUNCTIONS=_main", "-o", "main.js", "main.c"]);
        }

        File.WriteAllText(done, "");
        log(string.Create(CultureInfo.InvariantCulture, $"built in {watch.Elapsed.TotalSeconds:F0} s"));
        return dir;
    }

    /// <summary>
    /// The emscripten side of the comparison: dlopen lib0 … lib(n-1) in order (each NEEDs earlier ones, already loaded),
    /// timed inside the process so that node's start-up is not counted, then the last library's check value.
    /// </summary>
    private const string EmscriptenMain = """
        #include <dlfcn.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <emscripten.h>
        int main(int argc, char **argv) {
          int n = atoi(argv[1]);
          char name[32];
          void *handle = 0;
          double start = emscripten_get_now();
          for (int i = 0; i < n; i++) {
            snprintf(name, sizeof name, "lib%d.so", i);
            handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
            if (!handle) { printf("dlopen failed: %s\n", dlerror()); return 1; }
          }
          double loaded = emscripten_get_now();
          snprintf(name, sizeof name, "check%d", n - 1);
          unsigned (*check)(unsigned) = (unsigned (*)(unsigned))dlsym(handle, name);
          if (!check) { printf("dlsym failed: %s\n", dlerror()); return 1; }
          printf("load_us %.1f\ncheck %u\n", (loaded - start) * 1000.0, check(1));
          return 0;
        }
        """;

    /// <summary>Runs a build tool in <paramref name="dir"/>; a failure throws with what it printed.</summary>
    internal static void Tool(string dir, string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { WorkingDirectory = dir, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        // emcc -O2 runs its JS optimizer, which needs Debian's acorn (toolchain.md, pitfall 11).
        start.Environment["NODE_PATH"] = "/usr/share/nodejs";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} failed in {dir}:\n{stdout}{stderr.Result}");
        }
    }

    private static string WorkRoot()
    {
        if (Environment.GetEnvironmentVariable("DYLINK_BENCH_WORK") is { Length: > 0 } root)
        {
            return root;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dylink.slnx")))
            {
                return Path.Combine(dir.FullName, "bench", ".workloads");
            }
        }

        return Path.Combine(Path.GetTempPath(), "dylink-workloads");
    }
}
