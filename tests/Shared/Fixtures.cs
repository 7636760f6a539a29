namespace Dylink.Tests;

/// <summary>Paths to the repository's committed fixtures (tests/fixtures/bin), found from the test assembly's location.</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dylink.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Dylink.slnx) above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The folder of built fixtures.</summary>
    public static string BinDir => Path.Combine(RepoRoot, "tests", "fixtures", "bin");

    /// <summary>The full path of the fixture <paramref name="name"/>.</summary>
    public static string PathOf(string name) => Path.Combine(BinDir, name);

    /// <summary>The bytes of the fixture <paramref name="name"/>.</summary>
    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    /// <summary>Every toolchain-built or hand-made module that is expected to parse (file names).</summary>
    public static IEnumerable<string> WellFormed() => All().Where(n => !n.StartsWith("handmade-bad-", StringComparison.Ordinal));

    /// <summary>Every module fixture, relative to <see cref="BinDir"/>, in a stable order.</summary>
    public static IEnumerable<string> All() =>
        Directory.EnumerateFiles(BinDir, "*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".wasm", StringComparison.Ordinal) || p.EndsWith(".so", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(BinDir, p))
            .Order(StringComparer.Ordinal);

    /// <summary>Decodes a hex string such as <c>"00 61 73 6d"</c> (spaces ignored).</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}
