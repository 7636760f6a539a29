namespace Dylink.Linking;

/// <summary>Where the linker reads modules from: the file system, or (in tests and hosts) memory.</summary>
public interface IModuleSource
{
    /// <summary>True when a module exists at <paramref name="path"/>.</summary>
    bool Exists(string path);

    /// <summary>Reads the module at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    byte[] Read(string path);
}

/// <summary>Reads modules from the file system.</summary>
public sealed class FileModuleSource : IModuleSource
{
    /// <summary>The shared instance.</summary>
    public static FileModuleSource Instance { get; } = new();

    /// <inheritdoc/>
    public bool Exists(string path) => File.Exists(path);

    /// <inheritdoc/>
    public byte[] Read(string path) => File.ReadAllBytes(path);
}
