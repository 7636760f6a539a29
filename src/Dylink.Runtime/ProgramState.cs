using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// What the store holds for the whole program, between loads: the shared memory, table and stack pointer, the
/// forwarding table, one <see cref="ModuleRecord"/> per module (by module index), the GOT entries of the loader's layout
/// symbols, the loader's tags, and the free ranges unloads gave back.
/// </summary>
internal sealed class ProgramState
{
    private readonly List<ModuleRecord> _modules = [];

    public Memory Memory { get; set; } = null!;

    public Table Table { get; set; } = null!;

    public Global StackPointer { get; set; } = null!;

    public Table? Forwarding { get; set; }

    /// <summary>Every module ever planned, by index (records of unloaded ones stay, emptied, so indices never move).</summary>
    public IReadOnlyList<ModuleRecord> Modules => _modules;

    /// <summary>GOT entries of the loader's layout symbols (<c>__heap_base</c>, …), which belong to no module.</summary>
    public Dictionary<string, Global> LayoutGot { get; } = new(StringComparer.Ordinal);

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

    /// <summary>Gives a block back once no module lives in it: to the main's <c>free</c>, or to the loader's heap. A block
    /// is given back once, however often this is called.</summary>
    public void ReleaseBlock(MemoryBlock block, Function? free)
    {
        if (block.LiveModules > 0 || block.Released)
        {
            return;
        }

        block.Released = true;
        if (block.Size == 0)
        {
            return;
        }

        if (block.Placement == MemoryPlacement.MainAllocator)
        {
            free?.Invoke(HostFunctions.IntegerArguments(free, [block.FreeAddress]));
        }
        else if (block.Placement == MemoryPlacement.LoaderHeap)
        {
            FreeHeap.Free(block.Address, block.Size);
        }
    }

    /// <summary>Drops the records from <paramref name="first"/> on: a load that failed before its commit (nothing refers
    /// to them, and a failed load is always the last one planned, since no load can start inside an uncommitted one).</summary>
    public void DropRecords(int first) => _modules.RemoveRange(first, _modules.Count - first);

    /// <summary>Adds a record for each module of <paramref name="plan"/> that has none yet.</summary>
    public void AddRecords(LinkPlan plan)
    {
        foreach (var module in plan.Modules.Skip(_modules.Count))
        {
            _modules.Add(new ModuleRecord(module));
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

    /// <summary>Modules of the block not unloaded yet: the block is given back when it reaches zero.</summary>
    public int LiveModules { get; set; }

    /// <summary>True once given back.</summary>
    public bool Released { get; set; }
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
