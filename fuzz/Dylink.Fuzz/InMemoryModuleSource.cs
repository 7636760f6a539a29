using Dylink.Linking;

namespace Dylink.Fuzz;

/// <summary>
/// The files of a link case, served like a file system would: paths are normalised as the kernel resolves them
/// (<c>//</c>, <c>.</c>, <c>..</c>), a path the OS would reject (a NUL byte) simply does not exist, directories are
/// not files, and an unreadable file exists but fails to read with an <see cref="IOException"/>.
/// </summary>
internal sealed class InMemoryModuleSource : IModuleSource
{
    private readonly Dictionary<string, CaseFile> _files = new(StringComparer.Ordinal);

    public InMemoryModuleSource(IEnumerable<CaseFile> files)
    {
        foreach (var file in files)
        {
            if (Normalize(file.Path) is { } path)
            {
                _files[path] = file;
            }
        }
    }

    public bool Exists(string path) => Normalize(path) is { } p && _files.ContainsKey(p);

    public byte[] Read(string path)
    {
        if (Normalize(path) is not { } p || !_files.TryGetValue(p, out var file))
        {
            throw new FileNotFoundException($"Could not find file '{path}'.", path);
        }

        if (file.Unreadable)
        {
            throw new IOException($"Permission denied: '{path}'");
        }

        return file.Bytes;
    }

    private static string? Normalize(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            // Relative paths resolve against the process directory, as LibraryLoader's own Path.GetFullPath does.
            return Path.GetFullPath(path);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
