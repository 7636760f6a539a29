namespace Dylink.Linking;

/// <summary>
/// The library sandbox (<see cref="LinkOptions.AllowedDirectories"/>): a library is accepted only when its real path
/// — after <c>..</c> is resolved and every symbolic link is followed — lies inside an allowed directory.
/// <see cref="FileModuleSource"/> checks the real path of the file it opened, not only the name (see <see cref="Refuse"/>).
/// </summary>
public static class Sandbox
{
    /// <summary>Why <paramref name="path"/> is refused, or null when it is allowed (or no sandbox is set).</summary>
    public static string? Refuse(LinkOptions options, string path)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.AllowedDirectories is null)
        {
            return null;
        }

        return RefuseRealPath(options, path, RealPath(path));
    }

    /// <summary>Why <paramref name="path"/>, whose real path is <paramref name="realPath"/> (that of the file opened, for
    /// <see cref="FileModuleSource"/>), is refused, or null when it is allowed (or no sandbox is set).</summary>
    internal static string? RefuseRealPath(LinkOptions options, string path, string realPath)
    {
        if (options.AllowedDirectories is not { } allowed)
        {
            return null;
        }

        // The system's library directories are part of every sandbox, as ld.so's trusted directories are.
        foreach (var directory in allowed.Concat(options.DefaultLibraryPath))
        {
            var root = RealPath(directory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
            if (realPath.StartsWith(root, StringComparison.Ordinal))
            {
                return null;
            }
        }

        return $"{path} is outside the allowed library directories ({string.Join(", ", allowed)})";
    }

    /// <summary>
    /// The path with symbolic links followed and <c>..</c> applied component by component, as the kernel does: a
    /// <c>..</c> after a link leaves the link's target, not the directory holding the link (resolving <c>..</c>
    /// first, lexically, would let <c>allowed/link/../x</c> escape).
    /// </summary>
    public static string RealPath(string path) => RealPath(path, 0);

    private static string RealPath(string path, int depth)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (depth > 40)
        {
            return path; // a link loop: the open fails later, and this path matches no allowed directory anyway
        }

        var absolute = Path.IsPathRooted(path) ? path : Path.Combine(Environment.CurrentDirectory, path);
        var root = Path.GetPathRoot(absolute) ?? "/";
        var current = root;
        foreach (var part in absolute[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }

            var next = Path.Combine(current, part);
            if (new FileInfo(next).LinkTarget is { } target)
            {
                next = RealPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target), depth + 1);
            }

            current = next;
        }

        return current;
    }
}
