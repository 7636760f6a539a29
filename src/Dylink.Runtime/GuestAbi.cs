using System.Text;
using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// The guest side of run-time linking: <c>env.dlopen</c>, <c>dlsym</c>, <c>dlclose</c>, <c>dlerror</c> and
/// <c>dladdr</c> as host functions over the linker's own operations (musl's flags and <c>Dl_info</c>), the last error,
/// and the strings those functions hand back in guest memory. Failures never trap: they return the ABI's failure value
/// and leave their message for <c>dlerror</c>.
/// </summary>
internal sealed class GuestAbi(DynamicLinker linker, Func<LinkedProgram> program)
{
    private readonly Dictionary<string, int> _strings = new(StringComparer.Ordinal);
    private string? _lastError;
    private int _errorBuffer;
    private int _errorBufferSize;

    /// <summary>The functions, by <c>env</c> name.</summary>
    public IEnumerable<(string Name, Function Function)> Define(Store store) =>
    [
        ("dlopen", HostFunctions.Create(store, (int path, int flags) => Guest(() => Open(path, (OpenMode)flags)))),
        ("dlsym", HostFunctions.Create(store, (int handle, int name) => Guest(() =>
            checked((int)linker.Symbol(new LibraryHandle(handle), ReadString(name, "dlsym", "symbol name")))))),
        ("dlclose", HostFunctions.Create(store, (int handle) => Guest(() =>
        {
            linker.Close(new LibraryHandle(handle));
            return 0;
        }, failure: -1))),
        ("dlerror", HostFunctions.Create(store, () => TakeLastError() is { } error ? ErrorString(error) : 0)),
        ("dladdr", HostFunctions.Create(store, (int address, int info) => Guest(() => Address(address, info)))),
    ];

    /// <summary>
    /// The guest's dlopen: its name read in the guest's own view (<see cref="GuestPaths.Confine"/>), and every message
    /// naming the library as the guest wrote it, never by the host path it was found at.
    /// </summary>
    private int Open(int path, OpenMode mode)
    {
        if (path == 0)
        {
            return linker.Open(null, mode).Value;
        }

        var name = ReadString(path, "dlopen", "path");
        var p = program();
        var mainDirectory = p.Plan.Main?.Path is { } main ? Path.GetDirectoryName(Path.GetFullPath(main)) : null;
        var (hostName, options) = GuestPaths.Confine(p.LinkOptions, name, mainDirectory)
            ?? throw new LinkException(name, [$"{name}: library not found"]);
        try
        {
            return linker.Open(hostName, mode, options).Value;
        }
        catch (Exception e) when (hostName != name && e is DylinkException)
        {
            throw new LinkException(name, [e.Message.Replace(hostName, name, StringComparison.Ordinal)], e);
        }
    }

    /// <summary>A NUL-terminated UTF-8 string in guest memory; a pointer out of bounds or a string that runs to the end of
    /// memory fails the call (it is the guest's error, not a reason to stop the program).</summary>
    // A wasm32 pointer is unsigned: -8 is 0xfffffff8, past the end of memory.
    private string ReadString(int address, string function, string what) => program().ReadString((uint)address, $"{function}: the {what}");

    /// <summary>The last run-time linking error, cleared by reading it (<c>dlerror</c>).</summary>
    public string? TakeLastError()
    {
        var error = _lastError;
        _lastError = null;
        return error;
    }

    private int Guest(Func<int> operation, int failure = 0)
    {
        try
        {
            return operation();
        }
        // A disposal in progress is not the guest's error to read: it ends the call (at the next epoch check).
        catch (Exception e) when (e is DylinkException or ArgumentException or OverflowException
            or (InvalidOperationException and not ObjectDisposedException))
        {
            _lastError = e.Message;
            return failure;
        }
    }

    /// <summary>The guest's dladdr: <see cref="LinkedProgram.Describe"/> written into musl's <c>Dl_info</c> (four pointers).</summary>
    private int Address(int address, int info)
    {
        var p = program();
        if (p.Describe(address) is not { } found)
        {
            return 0;
        }

        var memory = p.State.Memory;
        if (info <= 0 || (long)info + 16 > memory.GetLength())
        {
            throw new ArgumentException($"dladdr: the Dl_info pointer 0x{info:x} is outside memory ({memory.GetLength()} bytes)");
        }

        memory.WriteInt32(info, GuestString(p.LibraryName(found.Library.Index)));
        memory.WriteInt32(info + 4, (int)found.Library.MemoryBase);
        memory.WriteInt32(info + 8, found.Symbol is null ? 0 : GuestString(found.Symbol));
        memory.WriteInt32(info + 12, (int)found.SymbolAddress);
        return 1;
    }

    /// <summary>A NUL-terminated copy of <paramref name="text"/> in guest memory, kept for the program's life.</summary>
    private int GuestString(string text)
    {
        if (!_strings.TryGetValue(text, out var address))
        {
            var bytes = Encoding.UTF8.GetBytes(text + "\0");
            address = Allocate(bytes.Length);
            bytes.CopyTo(program().State.Memory.GetSpan(address, bytes.Length));
            _strings.Add(text, address);
        }

        return address;
    }

    /// <summary>dlerror's text lives in one buffer, reused and grown as needed.</summary>
    private int ErrorString(string error)
    {
        var bytes = Encoding.UTF8.GetBytes(error + "\0");
        if (bytes.Length > _errorBufferSize)
        {
            _errorBufferSize = Math.Max(256, bytes.Length);
            _errorBuffer = Allocate(_errorBufferSize);
        }

        bytes.CopyTo(program().State.Memory.GetSpan(_errorBuffer, bytes.Length));
        return _errorBuffer;
    }

    // Kept for the program's life (dlerror's buffer and dladdr's names): wasm32 addresses, as the guest ABI is.
    private int Allocate(int size) => checked((int)program().Allocate(size));
}
