using System.Collections.Immutable;
using Dylink.Format;

namespace Dylink.Linking;

/// <summary>The entry of a module's call table that one of its function imports is called through.</summary>
/// <param name="Import">The import's function index.</param>
/// <param name="Setter">The export that writes an entry of that table: <c>(func (param i32 funcref))</c>.</param>
/// <param name="Index">The entry.</param>
/// <param name="OnlyCalled">True when nothing but its (rewritten) calls refers to the import: no <c>ref.func</c>, element
/// segment, export or start function. Until the entry is written, only the element segment's copy of the import is
/// used, so a loader may bind such an import to anything of its type.</param>
public readonly record struct CallSlot(uint Import, string Setter, uint Index, bool OnlyCalled = true);

/// <summary>A module whose direct calls to <c>env</c> function imports go through its own call tables.</summary>
/// <param name="Bytes">The rewritten module.</param>
/// <param name="Slots">One slot per import it calls, in import order (ascending function index).</param>
public sealed record CallTableModule(byte[] Bytes, ImmutableArray<CallSlot> Slots)
{
    /// <summary>The slot <paramref name="import"/> (a function index) is called through, if it is called at all.</summary>
    public CallSlot? SlotOf(uint import)
    {
        // Slots are in import order: a loader asks once per import, so a module with thousands stays linear enough.
        var (low, high) = (0, Slots.Length - 1);
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var slot = Slots[middle];
            if (slot.Import == import)
            {
                return slot;
            }

            (low, high) = slot.Import < import ? (middle + 1, high) : (low, middle - 1);
        }

        return null;
    }
}

/// <summary>
/// Rewrites a module so that each direct <c>call</c> (and <c>return_call</c>) of an <c>env</c> function import goes
/// through an entry of a table the module defines, which the loader can write at any time: a late-bound import (its
/// provider is instantiated after the importer) then costs what a direct call costs once the entry holds the provider's
/// function, and a rebind reaches every caller with one write per caller.
/// </summary>
/// <remarks>
/// <para>Why a call through a table is as cheap as an import call: each table is typed <c>(ref null $t)</c> for the one
/// signature its entries have, so Wasmtime drops the signature check; the index is a constant below the table's fixed
/// size, so the bounds check folds. A plain <c>funcref</c> table costs ~1.2× (the check stays).</para>
/// <para>What is added, all at the end of its index space so that no existing index moves (wasm branches are
/// structural, so re-encoding a body with the same indices keeps its meaning): one type <c>(func (param i32
/// funcref))</c>; per distinct signature called, one table of <c>(ref null $t)</c> sized to its imports, one active
/// element segment that fills it with the imports themselves (so until the loader writes an entry, a call reaches
/// whatever the import is bound to, and a start function sees its imports as before), and one exported setter
/// (<c>ref.cast</c> then <c>table.set</c>: the .NET API cannot write a typed table). The import stays in place.</para>
/// <para>The result depends on the module's bytes alone, never on a plan, so its compiled form is cached by content
/// hash like any module. Only instructions the rewriter knows are decoded; an unknown opcode (the GC proposal's, for
/// one) refuses the rewrite with a <see cref="WasmFormatException"/>, and the loader then uses the module as it is.</para>
/// </remarks>
public static class CallTables
{
    /// <summary>The prefix of the setters' export names (not a C identifier: no symbol can have it).</summary>
    public const string SetterPrefix = "dylink:calls.";

    /// <summary>The module with its <c>env</c> function calls rewritten, or null when it calls none.</summary>
    /// <exception cref="WasmFormatException">A function body cannot be decoded, or the module already exports a
    /// setter's name.</exception>
    public static CallTableModule? Rewrite(WasmModule module)
    {
        var candidates = module.Imports.Where(i => i.Kind == ExternalKind.Function && i.Module == ModuleSymbols.Env)
            .Select(i => i.Index).ToHashSet();
        if (candidates.Count == 0 || module.Code.IsDefaultOrEmpty)
        {
            return null;
        }

        var bytes = module.Bytes.Span;
        var calls = new List<Call>();
        var referenced = new HashSet<uint>();
        foreach (var body in module.Code)
        {
            FindCalls(bytes, module.Name, body, candidates, calls, referenced);
        }

        if (calls.Count == 0)
        {
            return null;
        }

        AddReferences(module, referenced);
        return new Rewriter(module, calls, referenced).Write();
    }

    /// <summary>What refers to a function outside code: exports, the start function, element segments, globals.</summary>
    private static void AddReferences(WasmModule module, HashSet<uint> referenced)
    {
        referenced.UnionWith(module.Exports.Where(e => e.Kind == ExternalKind.Function).Select(e => e.Index));
        if (module.StartFunction is { } start)
        {
            referenced.Add(start);
        }

        foreach (var segment in module.Elements)
        {
            referenced.UnionWith(segment.Elements.Where(e => e is not null).Select(e => e!.Value));
        }

        foreach (var global in module.Globals)
        {
            referenced.UnionWith(global.Init.Instructions.Where(i => i.Opcode == ConstOpcode.RefFunc).Select(i => (uint)i.Immediate));
        }
    }

    /// <summary>A direct call of a candidate import: where its instruction is and how long it is.</summary>
    private readonly record struct Call(long Offset, int Length, uint Callee, bool Tail);

    private static void FindCalls(ReadOnlySpan<byte> bytes, string name, FunctionBody body, HashSet<uint> candidates, List<Call> calls, HashSet<uint> referenced)
    {
        var reader = new WasmReader(bytes.Slice((int)body.Offset, body.Size), name, body.Offset);
        SkipLocals(ref reader);
        while (!reader.IsAtEnd)
        {
            var start = reader.Offset;
            var opcode = reader.ReadByte();
            if (opcode is Opcode.Call or Opcode.ReturnCall)
            {
                var callee = reader.ReadVarUInt32();
                if (candidates.Contains(callee))
                {
                    calls.Add(new Call(start, (int)(reader.Offset - start), callee, opcode == Opcode.ReturnCall));
                }

                continue;
            }

            if (opcode == Opcode.RefFunc)
            {
                referenced.Add(reader.ReadVarUInt32());
                continue;
            }

            Instructions.SkipImmediates(ref reader, opcode, start);
        }
    }

    private static void SkipLocals(ref WasmReader reader)
    {
        var groups = reader.ReadCount(2);
        for (var i = 0; i < groups; i++)
        {
            reader.ReadVarUInt32();
            Instructions.SkipValueType(ref reader);
        }
    }

    private static class Opcode
    {
        public const byte Call = 0x10;
        public const byte CallIndirect = 0x11;
        public const byte ReturnCall = 0x12;
        public const byte ReturnCallIndirect = 0x13;
        public const byte I32Const = 0x41;
        public const byte End = 0x0b;
        public const byte RefFunc = 0xd2;
    }

    /// <summary>One rewrite: the slots decided from the calls found, then each section copied, extended or re-encoded.</summary>
    private sealed class Rewriter
    {
        private readonly WasmModule _module;
        private readonly List<Call> _calls;
        private readonly HashSet<uint> _referenced;
        // Per distinct signature called, in order of first import: its imports (entry k = the k-th) and its type index.
        private readonly List<(uint TypeIndex, List<uint> Imports)> _groups = [];
        private readonly Dictionary<uint, (int Group, uint Entry)> _entryOf = [];
        private readonly uint _setterType;
        private readonly uint _firstTable;
        private readonly uint _firstSetter;

        public Rewriter(WasmModule module, List<Call> calls, HashSet<uint> referenced)
        {
            _module = module;
            _calls = calls;
            _referenced = referenced;
            foreach (var callee in calls.Select(c => c.Callee).Distinct().Order())
            {
                var typeIndex = module.Imports.First(i => i.Kind == ExternalKind.Function && i.Index == callee).TypeIndex;
                var type = module.Types[(int)typeIndex];
                var group = _groups.FindIndex(g => module.Types[(int)g.TypeIndex].Equals(type));
                if (group < 0)
                {
                    group = _groups.Count;
                    _groups.Add((typeIndex, []));
                }

                _entryOf[callee] = (group, (uint)_groups[group].Imports.Count);
                _groups[group].Imports.Add(callee);
            }

            _setterType = (uint)module.Types.Length;
            _firstTable = (uint)(module.Imports.Count(i => i.Kind == ExternalKind.Table) + module.Tables.Length);
            _firstSetter = (uint)module.FunctionCount;
            foreach (var group in Enumerable.Range(0, _groups.Count))
            {
                if (module.FindExport(SetterName(group)) is not null)
                {
                    throw new WasmFormatException(module.Name, 0, $"cannot rewrite its calls: it already exports {SetterName(group)}");
                }
            }
        }

        private static string SetterName(int group) => SetterPrefix + group.ToString(System.Globalization.CultureInfo.InvariantCulture);

        public CallTableModule Write()
        {
            var bytes = _module.Bytes.Span;
            // Each rewritten call grows by a few bytes; the buffer grows as needed beyond that.
            var output = new ByteWriter(bytes.Length + 256, _module.Name);
            output.Bytes(bytes[..8]);
            var added = new HashSet<SectionId>();
            foreach (var section in _module.Sections)
            {
                if (section.Id != SectionId.Custom)
                {
                    foreach (var missing in Added.Where(id => !added.Contains(id) && !Present(id) && WasmModule.SectionRank(id) < WasmModule.SectionRank(section.Id)))
                    {
                        WriteSection(output, missing, default, bytes);
                        added.Add(missing);
                    }
                }

                if (Added.Contains(section.Id))
                {
                    WriteSection(output, section.Id, section, bytes);
                    added.Add(section.Id);
                }
                else
                {
                    output.Bytes(bytes[(int)section.Offset..(int)(section.PayloadOffset + section.PayloadSize)]);
                }
            }

            // The code section exists (there are calls to rewrite), and everything added ranks before it.
            var slots = _entryOf.OrderBy(e => e.Key).Select(e => new CallSlot(e.Key, SetterName(e.Value.Group), e.Value.Entry, !_referenced.Contains(e.Key)));
            return new CallTableModule(output.ToArray(), [.. slots]);
        }

        // The sections this rewrite extends (or creates), and the code section it re-encodes.
        private static readonly SectionId[] Added = [SectionId.Type, SectionId.Function, SectionId.Table, SectionId.Export, SectionId.Element, SectionId.Code];

        private bool Present(SectionId id) => _module.Sections.Any(s => s.Id == id);

        private void WriteSection(ByteWriter output, SectionId id, SectionHeader section, ReadOnlySpan<byte> bytes)
        {
            var payload = section.PayloadSize > 0 ? bytes.Slice((int)section.PayloadOffset, section.PayloadSize) : [];
            var content = new ByteWriter(payload.Length + 64, _module.Name);
            var reader = new WasmReader(payload, _module.Name, section.PayloadOffset);
            var count = payload.IsEmpty ? 0 : reader.ReadVarUInt32();
            var entries = payload[(payload.Length - reader.Remaining)..];
            if (id == SectionId.Code)
            {
                WriteCode(content, count, bytes);
            }
            else
            {
                var extra = id == SectionId.Type ? 1u : (uint)_groups.Count;
                content.U32(checked(count + extra));
                content.Bytes(entries);
                WriteEntries(content, id);
            }

            output.Byte((byte)id);
            output.U32((uint)content.Length);
            output.Append(content);
        }

        private void WriteEntries(ByteWriter s, SectionId id)
        {
            if (id == SectionId.Type)
            {
                s.Bytes([0x60, 0x02, (byte)Format.ValueType.I32, (byte)Format.ValueType.FuncRef, 0x00]); // the setters' type
                return;
            }

            for (var g = 0; g < _groups.Count; g++)
            {
                switch (id)
                {
                    case SectionId.Function:
                        s.U32(_setterType);
                        break;
                    case SectionId.Table:
                        s.Byte(0x63); // (ref null $t)
                        s.S33(_groups[g].TypeIndex);
                        s.Byte(0x01); // limits: minimum and maximum, 32-bit indices
                        s.U32((uint)_groups[g].Imports.Count);
                        s.U32((uint)_groups[g].Imports.Count);
                        break;
                    case SectionId.Export:
                        s.Name(SetterName(g));
                        s.Byte((byte)ExternalKind.Function);
                        s.U32(_firstSetter + (uint)g);
                        break;
                    case SectionId.Element:
                        s.U32(6); // active, explicit table index, expressions of an explicit reference type
                        s.U32(_firstTable + (uint)g);
                        s.Bytes([Opcode.I32Const, 0x00, Opcode.End]);
                        s.Byte(0x64); // (ref $t)
                        s.S33(_groups[g].TypeIndex);
                        s.U32((uint)_groups[g].Imports.Count);
                        foreach (var import in _groups[g].Imports)
                        {
                            s.Byte(0xd2); // ref.func
                            s.U32(import);
                            s.Byte(Opcode.End);
                        }

                        break;
                }
            }
        }

        private void WriteCode(ByteWriter s, uint count, ReadOnlySpan<byte> bytes)
        {
            s.U32(checked(count + (uint)_groups.Count));
            var next = 0;
            foreach (var body in _module.Code)
            {
                var start = (int)body.Offset;
                var end = start + body.Size;
                var rewritten = new ByteWriter(body.Size + 16, _module.Name);
                var copied = start;
                for (; next < _calls.Count && _calls[next].Offset < end; next++)
                {
                    var call = _calls[next];
                    rewritten.Bytes(bytes[copied..(int)call.Offset]);
                    var (group, entry) = _entryOf[call.Callee];
                    rewritten.Byte(Opcode.I32Const);
                    rewritten.S33(entry);
                    rewritten.Byte(call.Tail ? Opcode.ReturnCallIndirect : Opcode.CallIndirect);
                    rewritten.U32(_groups[group].TypeIndex);
                    rewritten.U32(_firstTable + (uint)group);
                    copied = (int)call.Offset + call.Length;
                }

                rewritten.Bytes(bytes[copied..end]);
                s.U32((uint)rewritten.Length);
                s.Append(rewritten);
            }

            for (var g = 0; g < _groups.Count; g++)
            {
                var body = new ByteWriter(16);
                body.Bytes([0x00, 0x20, 0x00, 0x20, 0x01]); // no locals; local.get 0; local.get 1
                body.Bytes([0xfb, 0x17]); // ref.cast null $t
                body.S33(_groups[g].TypeIndex);
                body.Byte(0x26); // table.set
                body.U32(_firstTable + (uint)g);
                body.Byte(Opcode.End);
                s.U32((uint)body.Length);
                s.Append(body);
            }
        }
    }

    /// <summary>A growable byte buffer with the binary format's encodings.</summary>
    private sealed class ByteWriter(int capacity, string name = "")
    {
        private byte[] _buffer = new byte[Math.Max(16, capacity)];

        public int Length { get; private set; }

        public void Byte(byte b)
        {
            Ensure(1);
            _buffer[Length++] = b;
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(_buffer.AsSpan(Length));
            Length += bytes.Length;
        }

        public void Append(ByteWriter other) => Bytes(other._buffer.AsSpan(0, other.Length));

        public void U32(uint value)
        {
            do
            {
                var b = (byte)(value & 0x7f);
                value >>= 7;
                Byte(value == 0 ? b : (byte)(b | 0x80));
            }
            while (value != 0);
        }

        /// <summary>A non-negative index as a signed LEB128 (a heap type, an <c>i32.const</c>): bit 6 of the last byte is the sign.</summary>
        public void S33(uint value)
        {
            var v = (long)value;
            while (true)
            {
                var b = (byte)(v & 0x7f);
                v >>= 7;
                if (v == 0 && (b & 0x40) == 0)
                {
                    Byte(b);
                    return;
                }

                Byte((byte)(b | 0x80));
            }
        }

        public void Name(string name)
        {
            var utf8 = System.Text.Encoding.UTF8.GetBytes(name);
            U32((uint)utf8.Length);
            Bytes(utf8);
        }

        public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();

        private void Ensure(int more)
        {
            var needed = (long)Length + more;
            if (needed > Array.MaxLength)
            {
                throw new WasmFormatException(name, 0, "cannot rewrite its calls: the result would be too large");
            }

            if (needed > _buffer.Length)
            {
                Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_buffer.Length * 2)));
            }
        }
    }
}
