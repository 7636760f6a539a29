namespace Dylink.Linking;

/// <summary>A directory of the guest's WASI view (a preopen, <c>--dir HOST::GUEST</c>): where it is on the host and the
/// path the guest knows it by.</summary>
/// <param name="HostPath">The host directory.</param>
/// <param name="GuestPath">Its path in the guest's view (absolute, or relative such as <c>.</c>).</param>
public sealed record GuestDirectory(string HostPath, string GuestPath);

/// <summary>
/// What a guest's <c>dlopen</c> may reach. A guest has no file access beyond its WASI view, so its library names are
/// read in that view: a path with a slash through its <see cref="LinkOptions.GuestDirectories"/>, exactly as its own
/// <c>open</c> would resolve it, a bare name in the library search path. Nothing else is reachable, and a library out
/// of reach is reported as not found, whether it exists or not (<see cref="LinkOptions.ConcealRefusals"/>), so a guest
/// cannot probe the host's file system. <see cref="LinkOptions.AllowAnyLibraryPath"/> turns this off.
/// </summary>
public static class GuestPaths
{
    /// <summary>
    /// The host name to plan a guest's <c>dlopen(<paramref name="guestName"/>)</c> with, and the options that confine the
    /// load (the sandbox: the library search path and the guest's directories); null when the name is out of reach.
    /// </summary>
    /// <param name="options">The program's link options.</param>
    /// <param name="guestName">The name the guest passed.</param>
    /// <param name="mainDirectory">The main module's host directory, searched for bare names; null without a wasm main.</param>
    public static (string HostName, LinkOptions Options)? Confine(LinkOptions options, string guestName, string? mainDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(guestName);
        if (options.AllowAnyLibraryPath)
        {
            return (guestName, options with { Requester = LibraryRequester.Dlopen });
        }

        // An explicit sandbox stays as strict as it was configured; otherwise the guest reaches the library search path
        // and the files it could read itself.
        IReadOnlyList<string> allowed = options.AllowedDirectories ??
            [.. options.SearchPaths, .. options.LibraryPath, .. mainDirectory is null ? [] : new[] { mainDirectory },
                .. options.GuestDirectories.Select(d => d.HostPath)];
        var confined = options with { AllowedDirectories = allowed, ConcealRefusals = true, Requester = LibraryRequester.Dlopen };
        if (!guestName.Contains('/', StringComparison.Ordinal))
        {
            return (guestName, confined);
        }

        return HostPath(options.GuestDirectories, guestName) is { } host ? (host, confined) : null;
    }

    /// <summary>
    /// The host path of a guest path: the guest directory whose guest path is the longest prefix of it (after <c>.</c>
    /// and <c>..</c> are applied inside the guest's view, which has nothing above its root), joined with the rest; null
    /// when no guest directory holds it. A relative path is looked up in relative guest directories (<c>.</c>) first,
    /// then from the root, where WASI's libc starts.
    /// </summary>
    public static string? HostPath(IReadOnlyList<GuestDirectory> directories, string guestPath)
    {
        ArgumentNullException.ThrowIfNull(directories);
        ArgumentNullException.ThrowIfNull(guestPath);
        var relative = !guestPath.StartsWith('/');
        var parts = Normalize(guestPath);
        if (parts is null)
        {
            return null;
        }

        var candidates = directories.Select(d => (Directory: d, Parts: Normalize(d.GuestPath), Relative: !d.GuestPath.StartsWith('/')))
            .Where(d => d.Parts is not null && (d.Relative == relative || !d.Relative))
            .OrderBy(d => d.Relative == relative ? 0 : 1).ThenByDescending(d => d.Parts!.Count);
        foreach (var (directory, prefix, _) in candidates)
        {
            if (prefix!.Count <= parts.Count && prefix.SequenceEqual(parts.Take(prefix.Count), StringComparer.Ordinal))
            {
                return Path.Combine([directory.HostPath, .. parts.Skip(prefix.Count)]);
            }
        }

        return null;
    }

    // The components of a path with "." dropped and ".." applied; null when ".." would leave the root.
    private static List<string>? Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(part);
        }

        return parts;
    }
}
