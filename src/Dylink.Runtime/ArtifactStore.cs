using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// Dylink's on-disk store of compiled code (<see cref="DynamicLinkerOptions.CacheDirectory"/>): one file per
/// (wasm content, engine configuration), holding <see cref="Module.Serialize"/>'s artifact behind a header that binds
/// the artifact's SHA-256 to that key. An entry is checked before Wasmtime sees a byte of it, so a swapped, truncated,
/// damaged or foreign entry is recompiled and rewritten instead of deserialized: <see cref="Module.Deserialize"/> maps
/// the artifact's machine code as it is, and Wasmtime checks nothing but its own version and settings.
/// </summary>
/// <remarks>
/// <para>The digest proves integrity against accidents and against one entry standing in for another; it is not a
/// signature. Whoever can write the directory can write a matching header for any code, so the directory must be
/// writable only by the user who runs Dylink: <see cref="Open(string, string)"/> refuses one that is group- or world-writable (Unix).</para>
/// <para>Entry format, little-endian: magic <c>DYLKCODE</c> (8 bytes); format version (4); reserved, 0 (4);
/// SHA-256 of the wasm bytes (32); SHA-256 of the engine fingerprint (32); artifact length (8); SHA-256 of the
/// artifact (32); the artifact.</para>
/// <para>Thread- and process-safe: an entry is written to a temporary file beside it and renamed over it, so a
/// reader sees a whole old entry or a whole new one; concurrent writers of one key write the same code.</para>
/// </remarks>
internal sealed class ArtifactStore
{
    /// <summary>The subdirectory of the cache directory holding entries, named by the format it holds.</summary>
    internal const string EntriesDirectory = "code-v1";

    /// <summary>The file name extension of an entry.</summary>
    internal const string EntryExtension = ".code";

    internal const int HeaderLength = 8 + 4 + 4 + 32 + 32 + 8 + 32;

    private const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "DYLKCODE"u8;

    private readonly string _entries;
    private readonly byte[] _fingerprint;
    private readonly string _fingerprintHex;
    private int _hits;
    private int _rejected;

    private ArtifactStore(string entries, string fingerprint)
    {
        _entries = entries;
        _fingerprint = SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint));
        _fingerprintHex = Convert.ToHexStringLower(_fingerprint);
    }

    /// <summary>Entries loaded from disk so far.</summary>
    internal int Hits => Volatile.Read(ref _hits);

    /// <summary>Entries found but not used (damaged, swapped, from another engine configuration) so far.</summary>
    internal int Rejected => Volatile.Read(ref _rejected);

    /// <summary>The store of <paramref name="options"/>' cache directory (created if missing, for the owner only), or null
    /// when no cache directory is set.</summary>
    /// <exception cref="DylinkException">The directory is writable by other users.</exception>
    /// <exception cref="IOException">It cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">It cannot be created.</exception>
    public static ArtifactStore? Open(DynamicLinkerOptions options) =>
        options.CacheDirectory is { } directory ? Open(directory, DynamicLinker.EngineFingerprint(options)) : null;

    /// <summary>The store in <paramref name="directory"/> for engines whose configuration <paramref name="fingerprint"/> describes.</summary>
    /// <exception cref="DylinkException">The directory is writable by other users.</exception>
    public static ArtifactStore Open(string directory, string fingerprint)
    {
        var full = Path.GetFullPath(directory);
        var entries = Path.Combine(full, EntriesDirectory);
        if (OperatingSystem.IsWindows())
        {
            // Access is ACLs there, which the mode check below cannot judge; docs/security.md says what to set.
            Directory.CreateDirectory(entries);
        }
        else
        {
            Directory.CreateDirectory(full, OwnerOnly);
            RefuseIfOthersCanWrite(full);
            Directory.CreateDirectory(entries, OwnerOnly);
            RefuseIfOthersCanWrite(entries);
        }

        return new ArtifactStore(entries, fingerprint);
    }

    /// <summary>The mode a cache directory is created with: its owner's alone.</summary>
    internal const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Whether users other than the owner may create files in <paramref name="directory"/>: sticky or not, such
    /// a user can plant an entry under a name not yet written, so the directory cannot hold trusted code.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    internal static bool OthersCanWrite(string directory) =>
        (File.GetUnixFileMode(directory) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void RefuseIfOthersCanWrite(string directory)
    {
        if (OthersCanWrite(directory))
        {
            var mode = File.GetUnixFileMode(directory);
            throw new DylinkException(directory,
                $"cache directory {directory} is writable by other users (mode {Convert.ToString((int)mode, 8)}): whoever can write it " +
                "chooses the native code that runs; use a directory only you can write (chmod go-w)");
        }
    }

    /// <summary>The entry file for wasm bytes with SHA-256 <paramref name="wasmHash"/>.</summary>
    public string EntryPath(ReadOnlySpan<byte> wasmHash) =>
        Path.Combine(_entries, $"{Convert.ToHexStringLower(wasmHash)}-{_fingerprintHex}{EntryExtension}");

    /// <summary>The module stored for <paramref name="wasmHash"/>, or null when there is no entry or it fails a check
    /// (then the caller compiles and <see cref="Write"/>s a new one).</summary>
    public Module? TryLoad(Engine engine, string name, ReadOnlySpan<byte> wasmHash)
    {
        var artifact = TryRead(EntryPath(wasmHash), wasmHash, out var found);
        if (artifact is null)
        {
            if (found)
            {
                Interlocked.Increment(ref _rejected);
            }

            return null;
        }

        try
        {
            var module = Module.Deserialize(engine, name, artifact.AsSpan(HeaderLength));
            Interlocked.Increment(ref _hits);
            return module;
        }
        catch (WasmtimeException)
        {
            // A whole, matching entry Wasmtime still refuses: written for another CPU (its ISA flags are checked).
            Interlocked.Increment(ref _rejected);
            return null;
        }
    }

    /// <summary>Reads an entry and checks it against its key; null if it is missing (<paramref name="found"/> false)
    /// or fails a check. The whole entry is returned, the artifact after <see cref="HeaderLength"/>.</summary>
    private byte[]? TryRead(string path, ReadOnlySpan<byte> wasmHash, out bool found)
    {
        found = false;
        byte[] entry;
        try
        {
            // One open, one handle: what is checked is what is deserialized.
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            found = true;
            var length = RandomAccess.GetLength(handle);
            if (length < HeaderLength || length > Array.MaxLength)
            {
                return null;
            }

            entry = new byte[length];
            var read = 0;
            while (read < entry.Length)
            {
                var n = RandomAccess.Read(handle, entry.AsSpan(read), read);
                if (n == 0)
                {
                    return null;
                }

                read += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var header = entry.AsSpan(0, HeaderLength);
        return header[..8].SequenceEqual(Magic)
            && BinaryPrimitives.ReadInt32LittleEndian(header[8..]) == FormatVersion
            && header.Slice(16, 32).SequenceEqual(wasmHash)
            && header.Slice(48, 32).SequenceEqual(_fingerprint)
            && BinaryPrimitives.ReadInt64LittleEndian(header[80..]) == entry.Length - HeaderLength
            && SHA256.HashData(entry.AsSpan(HeaderLength)).AsSpan().SequenceEqual(header.Slice(88, 32))
            ? entry
            : null;
    }

    /// <summary>Stores <paramref name="module"/>, compiled from wasm bytes with SHA-256 <paramref name="wasmHash"/>,
    /// replacing any entry for that key at once (temporary file, then rename).</summary>
    /// <exception cref="IOException">It cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">It cannot be written.</exception>
    public void Write(ReadOnlySpan<byte> wasmHash, Module module)
    {
        var artifact = module.Serialize();
        var header = new byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), FormatVersion);
        wasmHash.CopyTo(header.AsSpan(16, 32));
        _fingerprint.CopyTo(header.AsSpan(48, 32));
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(80), artifact.Length);
        SHA256.HashData(artifact, header.AsSpan(88, 32));

        var path = EntryPath(wasmHash);
        // A name of its own per writer: two processes storing one key never write into each other's file.
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new FileStream(temporary, create))
            {
                file.Write(header);
                file.Write(artifact);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left behind: a stray temporary file is never read as an entry (its name has another extension).
            }

            throw;
        }
    }

    /// <summary><see cref="Write"/>, for a cache that only speeds things up: a full disk or a read-only directory must
    /// not fail the load that compiled the module.</summary>
    public void TryWrite(ReadOnlySpan<byte> wasmHash, Module module)
    {
        try
        {
            Write(wasmHash, module);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The next load compiles again; nothing else depends on the entry.
        }
    }
}
