using Dylink.Format;

namespace Dylink.Linking;

/// <summary>Layout: where each module's memory, TLS and table regions go, the memory plan, and the limits on both.</summary>
internal sealed partial class PlanContext
{
    /// <summary>Each relocatable module's MEM_INFO region in load order, then each module's TLS block (single thread).</summary>
    private (uint[] Offsets, uint?[] TlsOffsets, uint Size, uint Alignment) LayoutMemory()
    {
        // Indexed from _first: only this plan's modules are placed.
        var offsets = new uint[modules.Count - _first];
        var tlsOffsets = new uint?[modules.Count - _first];
        ulong offset = 0;
        uint alignment = 1;
        void Place(uint size, uint align, Action<uint> record)
        {
            alignment = Math.Max(alignment, align);
            offset = AlignUp(offset, align);
            record((uint)Math.Min(offset, uint.MaxValue));
            offset += size;
        }

        for (var i = _first; i < modules.Count; i++)
        {
            if (IsRelocatable(i) && modules[i].Module.Dylink is { } dylink)
            {
                var index = i;
                Place(dylink.MemInfo.MemorySize, 1u << (int)dylink.MemInfo.MemoryAlignment, o => offsets[index - _first] = o);
            }
        }

        for (var i = _first; i < modules.Count; i++)
        {
            if (TlsBlock(i) is { } tls)
            {
                var index = i;
                Place(tls.Size, tls.Align, o => tlsOffsets[index - _first] = o);
            }
            else if (MisplacedThreadLocal(i) is { } symbol)
            {
                errors.Add($"{NameOf(i)}: defines thread-local {symbol} but exports no TLS block (__wasm_init_tls, __tls_size, __tls_align), so its thread-locals cannot be placed: wasm-ld writes such a module for -pthread or -matomics without --shared-memory (its __tls_base is the constant 0) or without --export-if-defined for the three; see docs/threads.md");
            }
        }

        if (offset > uint.MaxValue)
        {
            errors.Add("the libraries' memory regions exceed 4 GiB");
            return (offsets, tlsOffsets, 0, alignment);
        }

        return (offsets, tlsOffsets, (uint)offset, alignment);
    }

    /// <summary>A thread-local the module defines although it has no TLS block (a relocatable module only: a fixed main
    /// keeps its own thread-locals); null when there is none. Such a module would address its thread-locals from a
    /// <c>__tls_base</c> the loader never sets, silently sharing memory at address 0 with every other such module.</summary>
    private string? MisplacedThreadLocal(int index) =>
        KeepsOwnTls(index) ? null : ModuleSymbols.Of(modules[index].Module).FirstOrDefault(s => s.IsDefined && s.Kind == SymbolKind.Tls)?.Name;

    /// <summary>A fixed main keeps its thread-locals at its own absolute addresses: the loader places no block for it.</summary>
    private bool KeepsOwnTls(int index) => index == mainIndex && kind == MainKind.Fixed;

    /// <summary>A module with thread-local data exports <c>__wasm_init_tls</c> and its block's size and alignment as constants;
    /// null when it has no block or an empty one.</summary>
    private (uint Size, uint Align)? TlsBlock(int index)
    {
        var module = modules[index].Module;
        if (KeepsOwnTls(index) || !module.Exports.Any(e => e.Name == WellKnownSymbols.InitTls && e.Kind == ExternalKind.Function))
        {
            return null;
        }

        long? Constant(string name) => module.Exports.FirstOrDefault(e => e.Name == name && e.Kind == ExternalKind.Global) is { } export
            && export.Index >= module.ImportedGlobalCount
                ? module.Globals[(int)export.Index - module.ImportedGlobalCount].Init.IntegerConstant
                : null;
        var size = Constant(WellKnownSymbols.TlsSize);
        if (size == 0)
        {
            // wasm-ld exports an empty block (size 0, alignment 0) from a module that only uses another module's TLS.
            return null;
        }

        var align = Constant(WellKnownSymbols.TlsAlign) ?? 1;
        if (size is null or < 0 or > uint.MaxValue || align is <= 0 or > 65536 || (align & (align - 1)) != 0)
        {
            errors.Add($"{NameOf(index)}: exports __wasm_init_tls but no constant __tls_size and power-of-two __tls_align (at most 65536)");
            return null;
        }

        return ((uint)size, (uint)align);
    }

    private (uint[] Offsets, uint Size) LayoutTable()
    {
        var offsets = new uint[modules.Count - _first];
        ulong offset = 0;
        for (var i = _first; i < modules.Count; i++)
        {
            if (!IsRelocatable(i) || modules[i].Module.Dylink is not { } dylink)
            {
                continue;
            }

            offset = AlignUp(offset, 1u << (int)dylink.MemInfo.TableAlignment);
            offsets[i - _first] = (uint)offset;
            offset += dylink.MemInfo.TableSize;
        }

        return (offsets, (uint)Math.Min(offset, uint.MaxValue));
    }

    private MemoryLayout MemoryPlan(uint blockSize, uint blockAlignment)
    {
        if (kind == MainKind.Fixed)
        {
            var main = modules[mainIndex].Module;
            var createsMemory = main.Imports.Any(i => i.Kind == ExternalKind.Memory);
            var allocator = WellKnownSymbols.Allocators.FirstOrDefault(a => main.Exports.Any(e => e.Name == a && e.Kind == ExternalKind.Function));
            if (blockSize > 0 && allocator is null)
            {
                errors.Add($"{NameOf(mainIndex)}: the libraries need {blockSize} bytes of memory, but the main module exports no allocator " +
                    $"({string.Join(", ", WellKnownSymbols.Allocators)}) to place them in its heap");
            }

            return new MemoryLayout(MemoryPlacement.MainAllocator, blockSize, blockAlignment, null, createsMemory,
                createsMemory ? (uint)MinimumPages() : 0, null, 0, null, allocator, createsMemory ? MaximumPages() : null);
        }

        var stackLow = AlignUp(options.GlobalBase, 16);
        var stackPointer = stackLow + options.StackSize;
        var blockBase = AlignUp(stackPointer, blockAlignment);
        var heapBase = AlignUp(blockBase + blockSize, 16);
        var pages = Math.Max((heapBase + 0xffff) / 0x10000, MinimumPages());
        return new MemoryLayout(MemoryPlacement.Fixed, blockSize, blockAlignment, (uint)blockBase, true,
            (uint)pages, (uint)stackPointer, options.StackSize, (uint)heapBase, null, MaximumPages());
    }

    /// <summary>A <c>dlopen</c>'s libraries get a fresh block: from the main's allocator when it has one (its heap owns
    /// the free memory), otherwise from the loader's heap at the end of memory.</summary>
    private MemoryLayout ExtensionMemoryPlan(uint blockSize, uint blockAlignment)
    {
        var allocator = mainIndex >= 0
            ? WellKnownSymbols.Allocators.FirstOrDefault(a => modules[mainIndex].Module.Exports.Any(e => e.Name == a && e.Kind == ExternalKind.Function))
            : null;
        return new MemoryLayout(allocator is null ? MemoryPlacement.LoaderHeap : MemoryPlacement.MainAllocator,
            blockSize, blockAlignment, null, false, 0, null, 0, null, allocator);
    }

    // Start-up only (the memory is made once), where every module is new.
    private ulong? MaximumPages() => modules.New.SelectMany(m => m.Module.Imports)
        .Where(i => i.Kind == ExternalKind.Memory && i.Memory!.Value.Maximum is not null).Select(i => i.Memory!.Value.Maximum).Min();

    /// <summary>A library opened later cannot lower the maximum of the memory that exists already.</summary>
    private void CheckMemoryMaximum()
    {
        var program = scope!.Initial.Memory.MaximumPages;
        for (var i = _first; i < modules.Count; i++)
        {
            if (modules[i].Module.Imports.FirstOrDefault(m => m.Kind == ExternalKind.Memory) is { Memory.Maximum: { } maximum }
                && (program is null || program > maximum))
            {
                errors.Add($"{NameOf(i)}: imports a memory of at most {maximum} pages, but the program's memory " +
                    (program is null ? "has no maximum" : $"may grow to {program} pages"));
            }
        }
    }

    private ulong MinimumPages() => modules.New.SelectMany(m => m.Module.Imports)
        .Where(i => i.Kind == ExternalKind.Memory).Select(i => i.Memory!.Value.Minimum).DefaultIfEmpty(0UL).Max();

    /// <summary>Absurd MEM_INFO sizes are refused here, before any memory or table slot exists.</summary>
    private void CheckLimits(MemoryLayout memory, uint regionSlots)
    {
        var name = root is { } r ? NameOf(r) : mainIndex >= 0 ? NameOf(mainIndex) : "program";
        // A block placed at run time may need up to its alignment less one byte of padding in front of it: that counts.
        var padding = memory.CreatesMemory || memory.BlockSize == 0 ? 0 : (long)memory.BlockAlignment - 1;
        var memoryNeeded = memory.CreatesMemory ? (long)memory.InitialPages * 0x10000 : memory.BlockSize + padding;
        if (memory.CreatesMemory && memory.InitialPages > memory.MaximumPages)
        {
            errors.Add($"{name}: needs {memory.InitialPages} pages of memory, but a memory import allows at most {memory.MaximumPages}");
        }

        if (memoryNeeded > options.MaxMemory)
        {
            errors.Add(padding > 0
                ? $"{name}: needs {memory.BlockSize} bytes of memory aligned to {memory.BlockAlignment} (up to {memoryNeeded} with padding), more than the limit of {options.MaxMemory}"
                : $"{name}: needs {memoryNeeded} bytes of memory, more than the limit of {options.MaxMemory}");
        }

        if (regionSlots > options.MaxTableSlots)
        {
            errors.Add($"{name}: needs {regionSlots} table slots, more than the limit of {options.MaxTableSlots}");
        }
    }

    /// <summary>A non-PIE main owns memory, table and stack; libraries can only use them if it exports them.</summary>
    private void CheckMainExports(uint regionSlots)
    {
        if (kind != MainKind.Fixed)
        {
            return;
        }

        var main = modules[mainIndex].Module;
        var libraryImports = modules.New.Where((_, i) => i != mainIndex).SelectMany(m => m.Module.Imports).ToList();
        bool LibrariesImport(string name) => libraryImports.Any(i => i.Module == ModuleSymbols.Env && i.Name == name);
        bool Exports(ExternalKind k) => main.Exports.Any(e => e.Kind == k);
        var ownsMemory = main.Memories.Length > 0;
        if (ownsMemory && !Exports(ExternalKind.Memory) && LibrariesImport(WellKnownSymbols.Memory))
        {
            errors.Add($"{NameOf(mainIndex)}: the main module defines its memory without exporting it (link it with --export-memory)");
        }

        if (main.Tables.Length > 0 && !Exports(ExternalKind.Table) && (LibrariesImport(WellKnownSymbols.IndirectFunctionTable) || regionSlots > 0))
        {
            errors.Add($"{NameOf(mainIndex)}: the main module defines its function table without exporting it (link it with --export-table --growable-table)");
        }

        if (LibrariesImport(WellKnownSymbols.StackPointer)
            && !main.Exports.Any(e => e.Name == WellKnownSymbols.StackPointer && e.Kind == ExternalKind.Global)
            && !main.Imports.Any(i => i.Name == WellKnownSymbols.StackPointer))
        {
            errors.Add($"{NameOf(mainIndex)}: libraries import __stack_pointer but the main module does not export it (link it with --export=__stack_pointer)");
        }
    }
}
