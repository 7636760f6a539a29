using CsCheck;

namespace Dylink.Fuzz;

/// <summary>A fuzz target: a name and a CsCheck generator of its cases.</summary>
internal sealed record Target(string Name, Gen<FuzzCase> Cases, int Weight);

/// <summary>The four targets.</summary>
internal static class Targets
{
    public static IReadOnlyList<Target> All(Seeds seeds) =>
    [
        new("parse-mutated", new ParseMutated(seeds), 4),
        new("parse-generated", new ParseGenerated(seeds), 3),
        new("link", new LinkCases(seeds), 3),
        // Weight 0: not in the round-robin of the other three (an input costs milliseconds, not microseconds); run
        // alone with --target runtime, or as its own bounded phase (--runtime-inputs).
        new("runtime", new RuntimeInputs(), 0),
    ];

    /// <summary>(4) The run-time linker: random decision bytes, read by <see cref="RuntimeCases"/>.</summary>
    private sealed class RuntimeInputs : Gen<FuzzCase>
    {
        public override FuzzCase Generate(PCG pcg, Size? min, out Size size)
        {
            var bytes = new byte[32 + pcg.Below(300)];
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)pcg.Next(256);
            }

            size = new Size((ulong)bytes.Length);
            return FuzzCase.RuntimeOf(bytes);
        }
    }

    /// <summary>(1) The reader on mutated real modules: byte, LEB and section mutations, splices between fixtures.</summary>
    private sealed class ParseMutated(Seeds seeds) : Gen<FuzzCase>
    {
        public override FuzzCase Generate(PCG pcg, Size? min, out Size size)
        {
            // Mostly real modules; the corpus's small inputs now and then.
            var seed = seeds.CorpusParse.Count > 0 && pcg.Chance(25) ? pcg.Pick(seeds.CorpusParse).Bytes : pcg.Pick(seeds.Modules).Bytes;
            var bytes = Mutator.Mutate(seed, pcg, seeds.Pool);
            size = new Size((ulong)bytes.Length);
            return FuzzCase.ParseOf(bytes);
        }
    }

    /// <summary>(2) The reader on generated modules, half of them mutated afterwards.</summary>
    private sealed class ParseGenerated(Seeds seeds) : Gen<FuzzCase>
    {
        private static readonly ModuleGenerator Generator = new(["liba.so", "libb.so", "/lib/libc.so", "main.wasm"]);

        public override FuzzCase Generate(PCG pcg, Size? min, out Size size)
        {
            var bytes = Generator.Draw(pcg);
            if (pcg.Chance(50))
            {
                bytes = Mutator.Mutate(bytes, pcg, pcg.Chance(70) ? [bytes] : seeds.Pool);
            }

            size = new Size((ulong)bytes.Length);
            return FuzzCase.ParseOf(bytes);
        }
    }

    /// <summary>
    /// (3) The whole link step on a small in-memory file system: a real program with some of its modules mutated,
    /// a set of fixture libraries, a generated set whose NEEDED entries name each other (cycles, self-references,
    /// missing names, paths with slashes), or a mix; planned with a main given by path or by bytes, or hosted, with
    /// random -l, --preload, -L, library path and host symbols.
    /// </summary>
    private sealed class LinkCases(Seeds seeds) : Gen<FuzzCase>
    {
        private const string Lib = "/lib";
        private const string App = "/app";

        public override FuzzCase Generate(PCG pcg, Size? min, out Size size)
        {
            var c = pcg.Below(10) switch
            {
                < 3 when seeds.Programs.Count > 0 => Program(pcg),
                < 5 => FixtureSet(pcg),
                < 9 => Generated(pcg, mixFixtures: false),
                _ => Generated(pcg, mixFixtures: true),
            };
            size = new Size((ulong)c.InputBytes);
            return c;
        }

        private byte[] MaybeMutate(byte[] bytes, PCG pcg, int percent) =>
            pcg.Chance(percent) ? Mutator.Mutate(bytes, pcg, seeds.Pool, pcg.Chance(70) ? 1 : null) : bytes;

        private FuzzCase Program(PCG pcg)
        {
            var program = pcg.Pick(seeds.Programs);
            var mutations = pcg.Chance(10) ? 0 : 1 + pcg.Below(2);
            var files = program.Select(f => new CaseFile($"{App}/{f.Name}", f.Bytes)).ToList();
            for (var i = 0; i < mutations; i++)
            {
                var k = pcg.Below(files.Count);
                files[k] = files[k] with { Bytes = MaybeMutate(files[k].Bytes, pcg, 100) };
            }

            var main = $"{App}/{program[0].Name}";
            var libraries = program.Skip(1).Select(f => f.Name).ToList();
            var entry = pcg.Below(10) switch
            {
                < 7 => LinkEntry.MainPath,
                < 9 => LinkEntry.MainBytes,
                _ => LinkEntry.Hosted,
            };
            return Case(pcg, files, entry, main, entry == LinkEntry.Hosted ? libraries : [], [App]);
        }

        private FuzzCase FixtureSet(PCG pcg)
        {
            var libraries = Enumerable.Range(0, 2 + pcg.Below(5)).Select(_ => pcg.Pick(seeds.Libraries)).DistinctBy(l => l.Name).ToList();
            var files = libraries.Select(l => new CaseFile($"{Lib}/{l.Name}", MaybeMutate(l.Bytes, pcg, 40))).ToList();
            var hosted = pcg.Chance(50) || seeds.Mains.Count == 0;
            var main = hosted ? $"{App}/main.wasm" : $"{App}/{pcg.Pick(seeds.Mains).Name}";
            if (!hosted)
            {
                files.Add(new CaseFile(main, MaybeMutate(seeds.Mains.First(m => main.EndsWith(m.Name, StringComparison.Ordinal)).Bytes, pcg, 40)));
            }

            var requested = libraries.Where(_ => pcg.Chance(60)).Select(l => l.Name).ToList();
            if (hosted && requested.Count == 0)
            {
                requested.Add(libraries[0].Name);
            }

            return Case(pcg, files, hosted ? LinkEntry.Hosted : pcg.Chance(80) ? LinkEntry.MainPath : LinkEntry.MainBytes, main, requested, [Lib]);
        }

        private FuzzCase Generated(PCG pcg, bool mixFixtures)
        {
            var count = 1 + pcg.Below(6);
            var names = Enumerable.Range(0, count).Select(i => $"lib{i}.so").ToList();
            var pool = new List<string>(names) { "main.wasm", $"{Lib}/lib0.so", "lib0.so" };
            var generator = new ModuleGenerator(pool, ModuleRole.Side);
            var files = new List<CaseFile>();
            foreach (var name in names)
            {
                var bytes = mixFixtures && pcg.Chance(40) ? pcg.Pick(seeds.Libraries).Bytes : generator.Draw(pcg);
                files.Add(new CaseFile($"{(pcg.Chance(80) ? Lib : App)}/{name}", MaybeMutate(bytes, pcg, 25)));
            }

            var entry = pcg.Below(20) switch
            {
                < 9 => LinkEntry.MainPath,
                < 12 => LinkEntry.MainBytes,
                _ => LinkEntry.Hosted,
            };
            var main = $"{App}/main.wasm";
            if (entry != LinkEntry.Hosted)
            {
                var bytes = mixFixtures && pcg.Chance(30) && seeds.Mains.Count > 0
                    ? pcg.Pick(seeds.Mains).Bytes
                    : new ModuleGenerator(pool, pcg.Chance(50) ? ModuleRole.PieMain : ModuleRole.FixedMain).Draw(pcg);
                files.Add(new CaseFile(main, MaybeMutate(bytes, pcg, 25)));
            }

            var requested = new List<string>();
            for (var i = entry == LinkEntry.Hosted ? 1 + pcg.Below(3) : pcg.Below(2); i > 0; i--)
            {
                requested.Add(pcg.Chance(90) ? pcg.Pick(names) : pcg.Pick(["libmissing.so", $"{Lib}/lib0.so", "../lib/lib0.so", "./lib0.so", "", "lib\0.so"]));
            }

            return Case(pcg, files, entry, main, requested, [Lib]);
        }

        private static FuzzCase Case(PCG pcg, List<CaseFile> files, LinkEntry entry, string main, List<string> libraries, string[] searchPaths)
        {
            if (pcg.Chance(3) && files.Count > 0)
            {
                var k = pcg.Below(files.Count);
                files[k] = files[k] with { Unreadable = true };
            }

            var search = pcg.Below(10) switch
            {
                < 8 => searchPaths,
                8 => [],
                _ => [.. searchPaths, App, "lib", "/nonexistent"],
            };
            string[] libraryPath = pcg.Chance(10) ? [App] : [];
            string[] preload = pcg.Chance(8) && files.Count > 0 ? [Path.GetFileName(pcg.Pick(files).Path)] : [];
            var hosts = new List<CaseHostSymbol>();
            if (pcg.Chance(30))
            {
                for (var i = 1 + pcg.Below(3); i > 0; i--)
                {
                    byte[][] signatures = [[], [0x7f], [0x7f, 0x7f], [0x7e], [0x7c, 0x7d]];
                    hosts.Add(new CaseHostSymbol(pcg.Pick(ModuleGenerator.FunctionSymbols), pcg.Pick(signatures), pcg.Chance(50) ? [0x7f] : []));
                }
            }

            // dlopen after start-up: names of the files (loaded already or not), paths, missing and odd names.
            var opens = new List<CaseOpen>();
            if (pcg.Chance(40))
            {
                for (var i = 1 + pcg.Below(3); i > 0; i--)
                {
                    var name = pcg.Below(10) switch
                    {
                        < 6 when files.Count > 0 => Path.GetFileName(pcg.Pick(files).Path),
                        < 8 when files.Count > 0 => pcg.Pick(files).Path,
                        8 => pcg.Pick(["libmissing.so", "/lib/../lib/lib0.so", "lib/", "/", "", ".", "main.wasm", "/app//main.wasm"]),
                        _ => pcg.Pick(libraries.Count > 0 ? libraries : ["lib0.so"]),
                    };
                    // A fresh load (hot reload) is asked for by the host, with a library's path, not by a guest.
                    var fresh = files.Count > 0 && pcg.Chance(15);
                    opens.Add(new CaseOpen(fresh ? pcg.Pick(files).Path : name, pcg.Chance(50), fresh));
                }
            }

            // Host symbols are the host's own configuration, not input: one per name, as a host would give them.
            return new FuzzCase(CaseKind.Link, files, new LinkConfig(entry, main, libraries, preload, search, libraryPath, [.. hosts.DistinctBy(h => h.Name)], opens));
        }
    }
}
