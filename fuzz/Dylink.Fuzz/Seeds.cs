namespace Dylink.Fuzz;

/// <summary>A module file used as a seed: its path relative to where it was found, and its bytes.</summary>
internal sealed record SeedFile(string Name, byte[] Bytes);

/// <summary>
/// The real modules mutations start from: every fixture under <c>tests/fixtures/bin</c> (clang 14/19, emscripten,
/// Rust, hand-made) and <c>examples/</c>, the programs among them (a directory with a <c>main.wasm</c> or
/// <c>host.wasm</c> and its libraries), and the committed corpus.
/// </summary>
internal sealed class Seeds
{
    private static readonly string[] MainNames = ["main.wasm", "host.wasm"];

    private Seeds(List<SeedFile> modules, List<List<SeedFile>> programs, List<SeedFile> corpusParse, List<(string Name, byte[] Bytes)> corpusLink)
    {
        Modules = modules;
        Programs = programs;
        CorpusParse = corpusParse;
        CorpusLink = corpusLink;
        Libraries = [.. modules.Where(m => m.Name.EndsWith(".so", StringComparison.Ordinal) && !m.Name.Contains('/', StringComparison.Ordinal))];
        Mains = [.. modules.Where(m => m.Name.EndsWith(".wasm", StringComparison.Ordinal) && !m.Name.Contains('/', StringComparison.Ordinal))];
        Pool = [.. modules.Select(m => m.Bytes), .. corpusParse.Select(c => c.Bytes)];
    }

    /// <summary>Every fixture module.</summary>
    public IReadOnlyList<SeedFile> Modules { get; }

    /// <summary>Programs: each a main (first) and the libraries beside it.</summary>
    public IReadOnlyList<List<SeedFile>> Programs { get; }

    /// <summary>The top-level fixture libraries (<c>*.so</c>).</summary>
    public IReadOnlyList<SeedFile> Libraries { get; }

    /// <summary>The top-level fixture mains (<c>*.wasm</c>).</summary>
    public IReadOnlyList<SeedFile> Mains { get; }

    /// <summary>Committed corpus inputs for the reader (<c>fuzz/corpus/parse/*.wasm</c>).</summary>
    public IReadOnlyList<SeedFile> CorpusParse { get; }

    /// <summary>Committed corpus inputs for the link step (<c>fuzz/corpus/link/*.link</c>), undecoded.</summary>
    public IReadOnlyList<(string Name, byte[] Bytes)> CorpusLink { get; }

    /// <summary>Splice and mutation partners: fixtures and parse corpus.</summary>
    public IReadOnlyList<byte[]> Pool { get; }

    public static Seeds Load(RepoPaths paths)
    {
        var modules = new List<SeedFile>();
        var programs = new List<List<SeedFile>>();
        foreach (var root in new[] { paths.FixturesBin, paths.Examples })
        {
            if (!Directory.Exists(root))
            {
                continue;
            }

            modules.AddRange(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .Where(p => IsModule(root, p))
                .Order(StringComparer.Ordinal)
                .Select(p => new SeedFile(Path.GetRelativePath(root, p), File.ReadAllBytes(p))));
            foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (IsBuildOutput(root, dir))
                {
                    continue;
                }

                var main = MainNames.Select(n => Path.Combine(dir, n)).FirstOrDefault(File.Exists);
                if (main is null)
                {
                    continue;
                }

                var libraries = Directory.EnumerateFiles(dir, "*.so").Where(p => IsModule(root, p)).Order(StringComparer.Ordinal)
                    .Select(p => new SeedFile(Path.GetFileName(p), File.ReadAllBytes(p)));
                programs.Add([new SeedFile(Path.GetFileName(main), File.ReadAllBytes(main)), .. libraries]);
            }
        }

        if (modules.Count == 0)
        {
            throw new InvalidOperationException($"no fixture modules under {paths.FixturesBin}");
        }

        var corpusParse = Files(Path.Combine(paths.Corpus, "parse"), "*.wasm").Select(p => new SeedFile(Path.GetFileName(p), File.ReadAllBytes(p))).ToList();
        var corpusLink = Files(Path.Combine(paths.Corpus, "link"), "*.link").Select(p => (Path.GetFileName(p), File.ReadAllBytes(p))).ToList();
        return new Seeds(modules, programs, corpusParse, corpusLink);
    }

    /// <summary>A wasm module (by name and magic number) of at most 1 MiB, outside build output (examples may hold
    /// .NET projects whose bin/ has native <c>libwasmtime.so</c> files).</summary>
    private static bool IsModule(string root, string path)
    {
        if (!(path.EndsWith(".wasm", StringComparison.Ordinal) || path.EndsWith(".so", StringComparison.Ordinal)) || IsBuildOutput(root, path))
        {
            return false;
        }

        var info = new FileInfo(path);
        if (info.Length is < 8 or > 1 << 20)
        {
            return false;
        }

        Span<byte> magic = stackalloc byte[4];
        using var stream = info.OpenRead();
        return stream.Read(magic) == 4 && magic.SequenceEqual("\0asm"u8);
    }

    private static bool IsBuildOutput(string root, string path) =>
        Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj");

    private static IEnumerable<string> Files(string dir, string pattern) =>
        Directory.Exists(dir) ? Directory.EnumerateFiles(dir, pattern).Order(StringComparer.Ordinal) : [];
}

/// <summary>Where the repository's inputs and outputs are.</summary>
/// <param name="Root">The repository root (the directory holding <c>Dylink.slnx</c>).</param>
internal sealed record RepoPaths(string Root)
{
    public string FixturesBin => Path.Combine(Root, "tests", "fixtures", "bin");

    public string Examples => Path.Combine(Root, "examples");

    public string Corpus => Path.Combine(Root, "fuzz", "corpus");

    public string Findings => Path.Combine(Root, "fuzz", "findings");

    public string Inflight => Path.Combine(Findings, ".inflight");

    /// <summary>Finds the root above the program's directory, else above the current directory.</summary>
    public static RepoPaths Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Dylink.slnx")))
                {
                    return new RepoPaths(dir.FullName);
                }
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Dylink.slnx) above " + AppContext.BaseDirectory);
    }
}
