using Dylink.Format;

namespace Dylink.Linking;

/// <summary>Segments inside their regions: what a relocatable module's active segments write must lie in the memory and
/// table regions its MEM_INFO asked for, or instantiating it would overwrite its neighbours' data and function slots.</summary>
internal sealed partial class PlanContext
{
    /// <summary>
    /// Checks every active data segment of memory 0 placed at <c>__memory_base</c> + k against the MEM_INFO memory size,
    /// and every active element segment of table 0 placed at <c>__table_base</c> + k against the table size. Passive
    /// segments (TLS data, bulk memory) are not placed by the loader; a segment placed relative to another global (a TLS
    /// block's <c>__tls_base</c>) is the module's own business; a fixed main keeps its own absolute layout.
    /// </summary>
    private void CheckSegments()
    {
        for (var i = _first; i < modules.Count; i++)
        {
            if (!IsRelocatable(i) || modules[i].Module.Dylink is not { } dylink)
            {
                continue;
            }

            var module = modules[i].Module;
            for (var s = 0; s < module.Data.Length; s++)
            {
                if (module.Data[s] is { Mode: SegmentMode.Active, MemoryIndex: 0, Offset: { } offset, Size: > 0 } segment
                    && Placement(module, offset, WellKnownSymbols.MemoryBase) is { } at)
                {
                    CheckData(i, s, at, segment.Size, dylink.MemInfo.MemorySize);
                }
            }

            for (var s = 0; s < module.Elements.Length; s++)
            {
                if (module.Elements[s] is { Mode: SegmentMode.Active, TableIndex: 0, Offset: { } offset, Elements.Length: > 0 } segment
                    && Placement(module, offset, WellKnownSymbols.TableBase) is { } at)
                {
                    CheckElements(i, s, at, segment.Elements.Length, dylink.MemInfo.TableSize);
                }
            }
        }
    }

    private void CheckData(int index, int segment, (bool Relative, long Start) at, int size, uint regionSize)
    {
        var name = $"{NameOf(index)}: data segment {segment}";
        if (!at.Relative)
        {
            errors.Add($"{name} is placed at the absolute address 0x{at.Start:x}, outside its memory (MEM_INFO): a relocatable module's data goes at __memory_base");
        }
        else if (at.Start < 0)
        {
            errors.Add($"{name} starts at -0x{-at.Start:x}, before its memory (MEM_INFO)");
        }
        else if (at.Start + size > regionSize)
        {
            errors.Add($"{name} ends at 0x{at.Start + size:x}, past its 0x{regionSize:x} bytes of memory (MEM_INFO)");
        }
    }

    private void CheckElements(int index, int segment, (bool Relative, long Start) at, int count, uint regionSlots)
    {
        var name = $"{NameOf(index)}: element segment {segment}";
        if (!at.Relative)
        {
            errors.Add($"{name} is placed at the absolute slot {at.Start}, outside its table slots (MEM_INFO): a relocatable module's functions go at __table_base");
        }
        else if (at.Start < 0)
        {
            errors.Add($"{name} starts at slot {at.Start}, before its table slots (MEM_INFO)");
        }
        else if (at.Start + count > regionSlots)
        {
            errors.Add($"{name} ends at slot {at.Start + count}, past its {regionSlots} table slots (MEM_INFO)");
        }
    }

    /// <summary>
    /// Where an offset expression puts a segment: <c>base</c> + k (Relative), or the constant k; null for any other
    /// expression, which the check leaves alone. Evaluated as a linear form a·base + k, so that extended-const
    /// expressions (<c>global.get __memory_base; i32.const k; i32.add</c>, in either order, or with <c>sub</c>) are
    /// understood; i32 arithmetic wraps as the engine's does, and k is then read as signed (base + k wraps below base).
    /// </summary>
    private static (bool Relative, long Start)? Placement(WasmModule module, ConstExpr offset, string baseName)
    {
        var stack = new Stack<(long Base, long K)>();
        foreach (var instruction in offset.Instructions)
        {
            switch (instruction.Opcode)
            {
                case ConstOpcode.I32Const or ConstOpcode.I64Const:
                    stack.Push((0, instruction.Immediate));
                    break;
                case ConstOpcode.GlobalGet when ElementSlots.IsImport(module, (uint)instruction.Immediate, baseName):
                    stack.Push((1, 0));
                    break;
                case ConstOpcode.I32Add or ConstOpcode.I32Sub or ConstOpcode.I32Mul
                    or ConstOpcode.I64Add or ConstOpcode.I64Sub or ConstOpcode.I64Mul when stack.Count >= 2:
                    var right = stack.Pop();
                    var left = stack.Pop();
                    (long Base, long K)? result = instruction.Opcode switch
                    {
                        ConstOpcode.I32Add or ConstOpcode.I64Add => (left.Base + right.Base, unchecked(left.K + right.K)),
                        ConstOpcode.I32Sub or ConstOpcode.I64Sub => (left.Base - right.Base, unchecked(left.K - right.K)),
                        _ when left.Base == 0 => (left.K * right.Base, unchecked(left.K * right.K)),
                        _ when right.Base == 0 => (left.Base * right.K, unchecked(left.K * right.K)),
                        _ => null, // base · base: not an address anyone writes
                    };
                    if (result is not { } r || r.Base is < 0 or > 1)
                    {
                        return null;
                    }

                    var i32 = instruction.Opcode is ConstOpcode.I32Add or ConstOpcode.I32Sub or ConstOpcode.I32Mul;
                    stack.Push((r.Base, i32 ? unchecked((int)r.K) : r.K));
                    break;
                default:
                    return null; // another global (__tls_base, a GOT entry), or a malformed expression Wasmtime refuses
            }
        }

        return stack.Count == 1 ? (stack.Peek().Base == 1, stack.Peek().K) : null;
    }
}
