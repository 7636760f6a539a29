using System.Runtime.CompilerServices;
using Dylink.Format;

namespace Dylink.Linking;

/// <summary>
/// Where a module's own element segments put a function in the table: the slot its address already has, which every
/// other module must see too (so that function pointers compare equal).
/// </summary>
public static class ElementSlots
{
    // Per module, function index -> first slot; built once because linking asks for every GOT.func import.
    private static readonly ConditionalWeakTable<WasmModule, Dictionary<uint, (SlotLocation, uint)>> Cache = [];

    /// <summary>The first slot an active segment of table 0 gives <paramref name="functionIndex"/>: an absolute index for a
    /// non-relocatable module (constant offset), or an offset from the module's <c>__table_base</c>.</summary>
    public static (SlotLocation Location, uint Offset)? Find(WasmModule module, bool relocatable, uint functionIndex)
    {
        ArgumentNullException.ThrowIfNull(module);
        var slots = Cache.GetValue(module, m => Build(m, relocatable));
        return slots.TryGetValue(functionIndex, out var slot) ? slot : null;
    }

    private static Dictionary<uint, (SlotLocation, uint)> Build(WasmModule module, bool relocatable)
    {
        var slots = new Dictionary<uint, (SlotLocation, uint)>();
        foreach (var segment in module.Elements)
        {
            if (segment is not { Mode: SegmentMode.Active, TableIndex: 0, Offset: { } offset })
            {
                continue;
            }

            (SlotLocation Location, long Start)? placement = offset.IntegerConstant is { } absolute && !relocatable
                ? (SlotLocation.Absolute, absolute)
                : TableBaseRelative(module, offset) is { } relative ? (SlotLocation.ProviderTable, relative) : null;
            if (placement is not { } p)
            {
                continue;
            }

            for (var position = 0; position < segment.Elements.Length; position++)
            {
                if (segment.Elements[position] is { } function)
                {
                    slots.TryAdd(function, (p.Location, (uint)(p.Start + position)));
                }
            }
        }

        return slots;
    }

    /// <summary>True when global <paramref name="globalIndex"/> is the import <c>env.<paramref name="name"/></c>.</summary>
    public static bool IsImport(WasmModule module, uint globalIndex, string name)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.Imports.Any(i => i.Kind == ExternalKind.Global && i.Index == globalIndex && i.Module == ModuleSymbols.Env && i.Name == name);
    }

    private static long? TableBaseRelative(WasmModule module, ConstExpr offset) => offset.Instructions switch
    {
        [{ Opcode: ConstOpcode.GlobalGet } get] when IsImport(module, (uint)get.Immediate, WellKnownSymbols.TableBase) => 0,
        [{ Opcode: ConstOpcode.GlobalGet } get, { Opcode: ConstOpcode.I32Const } k, { Opcode: ConstOpcode.I32Add }]
            when IsImport(module, (uint)get.Immediate, WellKnownSymbols.TableBase) => k.Immediate,
        _ => null,
    };
}
