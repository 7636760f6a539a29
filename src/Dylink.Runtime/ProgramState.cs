using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// What stays between loads: the shared memory, table and stack pointer, the forwarding table, every module's
/// instance and bases (by module index), the GOT, the blocks each load took, and free ranges to reuse.
/// </summary>
internal sealed class ProgramState
{
    public Memory Memory { get; set; } = null!;

    public Table Table { get; set; } = null!;

    public Global StackPointer { get; set; } = null!;

    public Table? Forwarding { get; set; }

    public List<Instance?> Instances { get; } = [];

    public List<uint> MemoryBases { get; } = [];

    public List<uint> TableBases { get; } = [];

    public List<uint> TlsBases { get; } = [];

    /// <summary>The memory block each module's region lives in (index into <see cref="Blocks"/>), or -1.</summary>
    public List<int> BlockOf { get; } = [];

    public List<MemoryBlock> Blocks { get; } = [];

    /// <summary>The forwarding slots that call each function (provider, export): what a rebind rewrites.</summary>
    public Dictionary<(int Provider, string Export), List<uint>> ForwardSlots { get; } = [];

    /// <summary>GOT entries by what they point at, shared by every importer bound to the same target.</summary>
    public Dictionary<string, Global> Got { get; } = new(StringComparer.Ordinal);

    /// <summary>The ABI tags the loader created (<see cref="WellKnownSymbols.LoaderTags"/>), each an instance exporting
    /// just that tag: created at the first import and shared by every later importer, <c>dlopen</c>s included.</summary>
    public Dictionary<string, Instance> LoaderTags { get; } = new(StringComparer.Ordinal);

    /// <summary>Table ranges given back by unloaded libraries.</summary>
    public RangeAllocator FreeSlots { get; } = new();

    /// <summary>Memory ranges of the loader's own heap (used when no main allocator exists) given back by unloads.</summary>
    public RangeAllocator FreeHeap { get; } = new();

    /// <summary>Takes memory from the loader's heap: a freed range if one fits, else new pages at the end of memory.</summary>
    /// <exception cref="WasmtimeException">The memory cannot grow.</exception>
    public uint AllocateHeap(uint size, uint align)
    {
        if (FreeHeap.Take(size, align) is { } reused)
        {
            return reused;
        }

        var end = Memory.GetLength();
        var address = (end + align - 1) / align * align;
        Memory.Grow((address + size - end + 0xffff) / 0x10000);
        return (uint)address;
    }

    /// <summary>Gives a block back once no module lives in it: to the main's <c>free</c>, or to the loader's heap.</summary>
    public void ReleaseBlock(int block, Function? free)
    {
        var b = Blocks[block];
        if (b.LiveModules > 0 || b.Size == 0)
        {
            return;
        }

        if (b.Placement == MemoryPlacement.MainAllocator)
        {
            free?.Invoke(HostFunctions.IntegerArguments(free, [b.FreeAddress]));
        }
        else if (b.Placement == MemoryPlacement.LoaderHeap)
        {
            FreeHeap.Free(b.Address, b.Size);
        }
    }

    public void EnsureModules(int count)
    {
        while (Instances.Count < count)
        {
            Instances.Add(null);
            MemoryBases.Add(0);
            TableBases.Add(0);
            TlsBases.Add(0);
            BlockOf.Add(-1);
        }
    }
}

/// <summary>One load's memory block: where it is, how it was obtained, and how many of its modules are still loaded.</summary>
/// <param name="Address">Its address.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Placement">How it was obtained (and so how it is given back).</param>
internal sealed record MemoryBlock(uint Address, uint Size, MemoryPlacement Placement)
{
    /// <summary>What the allocator returned (before alignment): what <c>free</c> must be given.</summary>
    public uint FreeAddress { get; init; }

    public int LiveModules { get; set; }
}

/// <summary>First-fit reuse of freed ranges (table slots, heap bytes).</summary>
internal sealed class RangeAllocator
{
    private readonly List<(uint Start, uint Size)> _free = [];

    public uint FreeCount => (uint)_free.Sum(r => (long)r.Size);

    public void Free(uint start, uint size)
    {
        if (size > 0)
        {
            _free.Add((start, size));
        }
    }

    /// <summary>Takes <paramref name="size"/> units aligned to <paramref name="alignment"/> from a freed range, if one fits.</summary>
    public uint? Take(uint size, uint alignment)
    {
        for (var i = 0; i < _free.Count; i++)
        {
            var (start, length) = _free[i];
            var aligned = (start + alignment - 1) / alignment * alignment;
            if (aligned + (ulong)size > start + (ulong)length)
            {
                continue;
            }

            _free.RemoveAt(i);
            Free(start, aligned - start);
            Free(aligned + size, start + length - (aligned + size));
            return aligned;
        }

        return null;
    }
}
