using System.Text;
using Dylink.Linking;

namespace Dylink.Runtime;

/// <summary>The guest side of run-time linking: <c>env.dlopen</c> &amp; co. as host functions, and their strings in guest memory.</summary>
public sealed partial class DynamicLinker
{
    /// <summary>The guest ABI: <c>env.dlopen</c> &amp; co., and <c>env.__cxa_atexit</c> for libraries.</summary>
    private void DefineLoaderFunctions()
    {
        _hostFunctions["dlopen"] = HostFunctions.Create(_store, (int path, int flags) => Guest(() =>
            Open(path == 0 ? null : Program.Memory.ReadNullTerminatedString(path), (OpenMode)flags).Value));
        _hostFunctions["dlsym"] = HostFunctions.Create(_store, (int handle, int name) => Guest(() =>
            Symbol(new LibraryHandle(handle), Program.Memory.ReadNullTerminatedString(name))));
        _hostFunctions["dlclose"] = HostFunctions.Create(_store, (int handle) => Guest(() =>
        {
            Close(new LibraryHandle(handle));
            return 0;
        }, failure: -1));
        _hostFunctions["dlerror"] = HostFunctions.Create(_store, () => TakeLastError() is { } error ? ErrorString(error) : 0);
        _hostFunctions["dladdr"] = HostFunctions.Create(_store, (int address, int info) => Address(address, info));
    }

    private int Guest(Func<int> operation, int failure = 0)
    {
        try
        {
            return operation();
        }
        catch (Exception e) when (e is DylinkException or KeyNotFoundException or ArgumentException)
        {
            _lastError = e.Message;
            return failure;
        }
    }

    /// <summary>The guest's dladdr: <see cref="Describe"/> written into musl's <c>Dl_info</c> (four pointers).</summary>
    private int Address(int address, int info)
    {
        if (Describe(address) is not { } found)
        {
            return 0;
        }

        var module = Scope.Modules.First(m => Scope.IsLive(m.Index) && LibraryName(m.Index) == found.Library);
        var memory = Program.Memory;
        memory.WriteInt32(info, GuestString(found.Library));
        memory.WriteInt32(info + 4, (int)Program.MemoryBases[module.Index]);
        memory.WriteInt32(info + 8, found.Symbol is null ? 0 : GuestString(found.Symbol));
        memory.WriteInt32(info + 12, found.SymbolAddress);
        return 1;
    }

    /// <summary>A NUL-terminated copy of <paramref name="text"/> in guest memory, kept for the program's life.</summary>
    private int GuestString(string text)
    {
        if (!_guestStrings.TryGetValue(text, out var address))
        {
            var bytes = Encoding.UTF8.GetBytes(text + "\0");
            address = AllocateGuest(bytes.Length);
            bytes.CopyTo(Program.Memory.GetSpan(address, bytes.Length));
            _guestStrings.Add(text, address);
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
            _errorBuffer = AllocateGuest(_errorBufferSize);
        }

        bytes.CopyTo(Program.Memory.GetSpan(_errorBuffer, bytes.Length));
        return _errorBuffer;
    }

    private int AllocateGuest(int size)
    {
        if (Plan.Main is { } main && Plan.Kind == MainKind.Fixed && Program.Instances[main.Index]?.GetFunction("malloc") is { } malloc
            && malloc.Invoke(size) is int address && address != 0)
        {
            return address;
        }

        return (int)Program.AllocateHeap((uint)size, 8);
    }
}
