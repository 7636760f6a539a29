using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Dylink.Linking;

/// <summary>
/// A file opened once for reading, with what the kernel says about the opened file (not about whatever the path names
/// now): its type, size and real path. On Linux it is opened with <c>O_NONBLOCK</c>, so that opening a FIFO returns at
/// once instead of waiting for a writer, and described by <c>statx</c> and <c>/proc/self/fd</c>. Elsewhere .NET opens
/// it and the real path is worked out from the name, which leaves the race that Linux closes.
/// </summary>
internal sealed partial class OpenedFile : IDisposable
{
    private readonly string _path;

    private OpenedFile(string path, SafeFileHandle handle, string? kind, long length)
    {
        _path = path;
        Handle = handle;
        Kind = kind;
        Length = length;
    }

    /// <summary>The handle every read goes through.</summary>
    public SafeFileHandle Handle { get; }

    /// <summary>What the file is when it is not a regular file ("a directory", "a FIFO", …); null for a regular file.</summary>
    public string? Kind { get; }

    /// <summary>The size the file claims.</summary>
    public long Length { get; }

    /// <exception cref="IOException">The file cannot be opened.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    public static OpenedFile Open(string path) => OperatingSystem.IsLinux() ? OpenLinux(path) : OpenPortable(path);

    /// <summary>The real path of the opened file: the kernel's name for it on Linux, so a link switched after the open
    /// changes nothing.</summary>
    /// <exception cref="ModuleRefusedException">The real path cannot be found (no /proc): refused, since it cannot be checked.</exception>
    public string RealPath()
    {
        if (!OperatingSystem.IsLinux())
        {
            return Sandbox.RealPath(_path);
        }

        var link = $"/proc/self/fd/{Handle.DangerousGetHandle()}";
        try
        {
            return new FileInfo(link).LinkTarget
                ?? throw new ModuleRefusedException($"{_path}: cannot find the real path of the opened file ({link} is not a link)");
        }
        catch (IOException e) when (e is not ModuleRefusedException)
        {
            throw new ModuleRefusedException($"{_path}: cannot find the real path of the opened file ({link}: {e.Message})", e);
        }
    }

    public void Dispose() => Handle.Dispose();

    private static OpenedFile OpenPortable(string path)
    {
        // .NET refuses to open a directory (UnauthorizedAccessException); other types cannot be told apart here.
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return new OpenedFile(path, handle, null, RandomAccess.GetLength(handle));
    }

    // The same values on every architecture .NET supports on Linux (x64, x86, arm64, arm, riscv64, ppc64le, s390x, loongarch64).
    private const int ONonBlock = 0x800;
    private const int ONoCtty = 0x100;
    private const int OCloExec = 0x80000;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;

    private static OpenedFile OpenLinux(string path)
    {
        // O_NONBLOCK: a FIFO opens at once (it would otherwise wait for a writer); O_NOCTTY: a terminal does not become ours.
        var fd = NativeOpen(path, ONonBlock | ONoCtty | OCloExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                2 or 20 => new FileNotFoundException($"Could not find file '{path}'.", path), // ENOENT, ENOTDIR
                1 or 13 => new UnauthorizedAccessException($"Access to the path '{path}' is denied."), // EPERM, EACCES
                _ => new IOException($"{Marshal.GetPInvokeErrorMessage(errno)} : '{path}'"),
            };
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            // struct statx has one layout on every architecture (native byte order): stx_mode (u16) at 28, stx_size (u64) at 40.
            Span<byte> statx = stackalloc byte[256];
            if (NativeStatx(fd, "", AtEmptyPath, StatxType | StatxSize, ref MemoryMarshal.GetReference(statx)) != 0)
            {
                throw new IOException($"{Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())} : '{path}'");
            }

            var kind = (MemoryMarshal.Read<ushort>(statx[28..]) & 0xf000) switch
            {
                0x8000 => null,
                0x4000 => "a directory",
                0x1000 => "a FIFO",
                0x2000 => "a character device",
                0x6000 => "a block device",
                0xc000 => "a socket",
                _ => "of an unknown type",
            };
            return new OpenedFile(path, handle, kind, (long)MemoryMarshal.Read<ulong>(statx[40..]));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeStatx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
