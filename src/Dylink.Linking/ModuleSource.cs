using Microsoft.Win32.SafeHandles;

namespace Dylink.Linking;

/// <summary>Where the linker reads modules from: the file system, or (in tests and hosts) memory.</summary>
public interface IModuleSource
{
    /// <summary>True when a module exists at <paramref name="path"/>.</summary>
    bool Exists(string path);

    /// <summary>Reads the module at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    byte[] Read(string path);

    /// <summary>
    /// Reads the module at <paramref name="path"/> for linking, refusing it when it lies outside
    /// <see cref="LinkOptions.AllowedDirectories"/> or has more than <see cref="LinkOptions.MaxFileSize"/> bytes. This
    /// default checks the path by name and the size once read, which is exact for a source whose content cannot change
    /// under it (memory); <see cref="FileModuleSource"/> checks the file it opened instead.
    /// </summary>
    /// <exception cref="ModuleRefusedException">The module is outside the sandbox, too large, or not a regular file.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    byte[] Read(string path, LinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Sandbox.Refuse(options, path) is { } refusal)
        {
            throw new ModuleRefusedException(refusal);
        }

        var bytes = Read(path);
        return bytes.LongLength > options.MaxFileSize ? throw ModuleRefusedException.TooLarge(path, bytes.LongLength, options.MaxFileSize) : bytes;
    }
}

/// <summary>A module the linker will not read: outside the library sandbox, larger than the size limit, or not a regular
/// file. The message names the path and the reason.</summary>
public sealed class ModuleRefusedException : IOException
{
    /// <summary>Creates the exception with its reason.</summary>
    public ModuleRefusedException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its reason and cause.</summary>
    public ModuleRefusedException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic reason.</summary>
    public ModuleRefusedException() : base("the module was refused")
    {
    }

    internal static ModuleRefusedException TooLarge(string path, long length, long limit) =>
        new($"{path} has {length} bytes, more than the limit of {limit}");
}

/// <summary>
/// Reads modules from the file system. <see cref="Read(string, LinkOptions)"/> opens the file once and checks what it
/// opened — its real path against the sandbox, that it is a regular file, its size — then reads through the same handle,
/// never more than the size limit: a symbolic link switched between a check by name and a second open, a FIFO, a device
/// or a file whose size lies cannot get past it.
/// </summary>
public sealed partial class FileModuleSource : IModuleSource
{
    /// <summary>The shared instance.</summary>
    public static FileModuleSource Instance { get; } = new();

    /// <inheritdoc/>
    /// <remarks>A directory or a device exists too, so that loading it is refused with a reason rather than "not found".</remarks>
    public bool Exists(string path) => Path.Exists(path);

    /// <inheritdoc/>
    public byte[] Read(string path) => File.ReadAllBytes(path);

    /// <inheritdoc/>
    public byte[] Read(string path, LinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        // By name first, so that a file outside the sandbox is normally not even opened; the check that counts is the
        // one on the opened handle below.
        if (Sandbox.Refuse(options, path) is { } refusal)
        {
            throw new ModuleRefusedException(refusal);
        }

        using var handle = OpenedFile.Open(path);
        if (handle.Kind is { } kind)
        {
            // "is a directory" says it all (a directory is the usual slip); the rarer kinds say what was wanted instead.
            throw new ModuleRefusedException(kind == "a directory" ? $"{path} is a directory" : $"{path} is {kind}, not a regular file");
        }

        if (options.AllowedDirectories is not null && Sandbox.RefuseRealPath(options, path, handle.RealPath()) is { } escaped)
        {
            throw new ModuleRefusedException(escaped);
        }

        // Arrays stop short of 2 GiB: a larger limit cannot be honoured by one read.
        var limit = Math.Min(options.MaxFileSize, Array.MaxLength - 1L);
        var claimed = handle.Length;
        if (claimed > limit)
        {
            throw ModuleRefusedException.TooLarge(path, claimed, limit);
        }

        return ReadAtMost(handle.Handle, path, claimed, limit);
    }

    /// <summary>Reads to the end, but never more than <paramref name="limit"/> bytes: the size the file claims
    /// (<paramref name="claimed"/>) is only where the buffer starts (files in /proc claim 0, a file may grow).</summary>
    private static byte[] ReadAtMost(SafeFileHandle handle, string path, long claimed, long limit)
    {
        // One byte more than claimed, to notice growth without a second buffer in the usual case.
        var buffer = new byte[Math.Min(claimed, limit) + 1];
        long total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (total > limit)
                {
                    throw new ModuleRefusedException($"{path} has more than {limit} bytes, the limit, though its size reads {claimed}");
                }

                Array.Resize(ref buffer, (int)Math.Min(Math.Max(buffer.LongLength * 2, 4096), limit + 1));
            }

            var read = RandomAccess.Read(handle, buffer.AsSpan((int)total), total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        Array.Resize(ref buffer, (int)total);
        return buffer;
    }
}
