using Dylink.Format;
using Dylink.Linking;

namespace Dylink.Fuzz;

/// <summary>What a case exercises: the reader on one module, or the whole link step on a set of modules.</summary>
internal enum CaseKind : byte
{
    Parse,
    Link,
    /// <summary>A run-time sequence on one <c>DynamicLinker</c>: the bytes are the decisions (see <see cref="RuntimeCases"/>).</summary>
    Runtime,
}

/// <summary>A file of the in-memory file system a link case runs against.</summary>
/// <param name="Path">Its absolute path.</param>
/// <param name="Bytes">Its contents.</param>
/// <param name="Unreadable">Reading it fails with an <see cref="IOException"/> (a file that exists but cannot be read).</param>
internal sealed record CaseFile(string Path, byte[] Bytes, bool Unreadable = false);

/// <summary>A host function given to the planner (<see cref="LinkOptions.HostSymbols"/>).</summary>
internal sealed record CaseHostSymbol(string Name, byte[] Parameters, byte[] Results)
{
    public HostSymbol ToHostSymbol() =>
        new(Name, new FuncType([.. Parameters.Select(b => (Format.ValueType)b)], [.. Results.Select(b => (Format.ValueType)b)]));
}

/// <summary>How a link case calls the planner.</summary>
internal enum LinkEntry : byte
{
    /// <summary><c>LinkPlanner.Plan(mainPath, options)</c>.</summary>
    MainPath,
    /// <summary><c>LinkPlanner.Plan(name, bytes, options)</c> with the main file's bytes.</summary>
    MainBytes,
    /// <summary><c>LinkPlanner.PlanHosted(options)</c>.</summary>
    Hosted,
}

/// <summary>A <c>dlopen</c> planned after start-up (<see cref="LinkPlanner.PlanOpen"/>), as a guest would ask for it.</summary>
/// <param name="Name">The name or path asked for.</param>
/// <param name="Global">RTLD_GLOBAL: the library's symbols join the global scope.</param>
/// <param name="Fresh">Load a new copy even if it is loaded (hot reload).</param>
internal sealed record CaseOpen(string Name, bool Global, bool Fresh);

/// <summary>The planner's inputs besides the files.</summary>
internal sealed record LinkConfig(
    LinkEntry Entry,
    string Main,
    IReadOnlyList<string> Libraries,
    IReadOnlyList<string> Preload,
    IReadOnlyList<string> SearchPaths,
    IReadOnlyList<string> LibraryPath,
    IReadOnlyList<CaseHostSymbol> HostSymbols,
    IReadOnlyList<CaseOpen> Opens);

/// <summary>
/// One fuzz input. A parse case is one module (<see cref="Files"/>[0]); a link case is a small file system plus the
/// planner's options. Serialised as the raw module (parse) or a <c>.link</c> container (see <see cref="CaseCodec"/>).
/// </summary>
internal sealed record FuzzCase(CaseKind Kind, IReadOnlyList<CaseFile> Files, LinkConfig? Link)
{
    public static FuzzCase ParseOf(byte[] bytes) => new(CaseKind.Parse, [new CaseFile("/fuzz/module.wasm", bytes)], null);

    public static FuzzCase RuntimeOf(byte[] bytes) => new(CaseKind.Runtime, [new CaseFile("/fuzz/runtime.bin", bytes)], null);

    /// <summary>Total bytes of the modules: the N of the allocation bound.</summary>
    public long InputBytes => Files.Sum(f => (long)f.Bytes.Length);

    public string Extension => Kind switch
    {
        CaseKind.Parse => ".wasm",
        CaseKind.Runtime => ".rt",
        _ => ".link",
    };
}
