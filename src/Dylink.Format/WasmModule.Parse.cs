using System.Collections.Immutable;

namespace Dylink.Format;

public sealed partial class WasmModule
{
    /// <summary>Parses and checks a module's binary format.</summary>
    /// <param name="bytes">The module's bytes; kept by the result, not copied.</param>
    /// <param name="name">Named in error messages (usually the file name).</param>
    /// <exception cref="WasmFormatException">The bytes are not a well-formed module; the message names the offset.</exception>
    public static WasmModule Parse(ReadOnlyMemory<byte> bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var p = new Parser(name);
        var walker = new SectionWalker(bytes.Span, name);
        var sections = ImmutableArray.CreateBuilder<SectionHeader>();
        var lastRank = 0;
        foreach (var section in walker)
        {
            var reader = walker.PayloadReader(section);
            if (section.Id != SectionId.Custom)
            {
                var rank = SectionRank(section.Id);
                if (rank <= lastRank)
                {
                    reader.Throw(section.Offset, sections.Any(s => s.Id == section.Id)
                        ? $"duplicate {WasmNames.Of(section.Id)} section"
                        : $"{WasmNames.Of(section.Id)} section out of order (after the {WasmNames.Of(sections.Last(s => s.Id != SectionId.Custom).Id)} section)");
                }

                lastRank = rank;
            }

            p.ReadSection(section, reader, isFirst: sections.Count == 0);
            sections.Add(section);
        }

        return p.Finish(bytes, sections.ToImmutable(), new WasmReader(bytes.Span, name, 0));
    }

    /// <summary>
    /// Where a known section goes in the binary format's required order (the tag section sits between memory and
    /// global), from 1; 0 for custom sections, which may go anywhere. A writer that adds sections places them by it.
    /// </summary>
    public static int SectionRank(SectionId id) => id switch
    {
        SectionId.Type => 1,
        SectionId.Import => 2,
        SectionId.Function => 3,
        SectionId.Table => 4,
        SectionId.Memory => 5,
        SectionId.Tag => 6,
        SectionId.Global => 7,
        SectionId.Export => 8,
        SectionId.Start => 9,
        SectionId.Element => 10,
        SectionId.DataCount => 11,
        SectionId.Code => 12,
        SectionId.Data => 13,
        _ => 0,
    };

    private sealed class Parser(string name)
    {
        private ImmutableArray<FuncType> _types = [];
        private ImmutableArray<Import> _imports = [];
        private ImmutableArray<uint> _functions = [];
        private ImmutableArray<TableType> _tables = [];
        private ImmutableArray<Limits> _memories = [];
        private ImmutableArray<TagDefinition> _tags = [];
        private ImmutableArray<GlobalDefinition> _globals = [];
        private ImmutableArray<Export> _exports = [];
        private ImmutableArray<ElementSegment> _elements = [];
        private ImmutableArray<FunctionBody> _code = [];
        private ImmutableArray<DataSegment> _data = [];
        private (uint Index, long Offset)? _start;
        private uint? _dataCount;
        private long _codeOffset;
        private long _dataOffset;
        private DylinkInfo? _dylink;
        private NameSection? _names;
        private readonly int[] _importCounts = new int[5];

        public void ReadSection(SectionHeader section, WasmReader reader, bool isFirst)
        {
            switch (section.Id)
            {
                case SectionId.Custom:
                    ReadCustom(section, reader, isFirst);
                    return;
                case SectionId.Type:
                    _types = SectionReaders.ReadVector(ref reader, 3, SectionReaders.ReadFuncType);
                    break;
                case SectionId.Import:
                    _imports = ReadImports(ref reader);
                    break;
                case SectionId.Function:
                    _functions = SectionReaders.ReadVector(ref reader, 1, (ref WasmReader r) => ReadTypeIndex(ref r));
                    break;
                case SectionId.Table:
                    _tables = SectionReaders.ReadVector(ref reader, 2, SectionReaders.ReadTableType);
                    break;
                case SectionId.Memory:
                    _memories = SectionReaders.ReadVector(ref reader, 2, SectionReaders.ReadMemoryType);
                    break;
                case SectionId.Tag:
                    var tagIndex = _importCounts[(int)ExternalKind.Tag];
                    _tags = SectionReaders.ReadVector(ref reader, 2, (ref WasmReader r) => ReadTag(ref r, tagIndex++));
                    break;
                case SectionId.Global:
                    _globals = ReadGlobals(ref reader);
                    break;
                case SectionId.Export:
                    _exports = ReadExports(ref reader);
                    break;
                case SectionId.Start:
                    var startOffset = reader.Offset;
                    _start = (reader.ReadVarUInt32(), startOffset);
                    break;
                case SectionId.Element:
                    _elements = SectionReaders.ReadVector(ref reader, 1, SectionReaders.ReadElementSegment);
                    break;
                case SectionId.DataCount:
                    _dataCount = reader.ReadVarUInt32();
                    break;
                case SectionId.Code:
                    _codeOffset = section.Offset;
                    _code = SectionReaders.ReadVector(ref reader, 1, SectionReaders.ReadFunctionBody);
                    break;
                case SectionId.Data:
                    _dataOffset = section.Offset;
                    _data = SectionReaders.ReadVector(ref reader, 1, SectionReaders.ReadDataSegment);
                    break;
            }

            reader.ExpectEnd($"{WasmNames.Of(section.Id)} section");
        }

        private void ReadCustom(SectionHeader section, WasmReader reader, bool isFirst)
        {
            switch (section.Name)
            {
                case DylinkInfo.SectionName:
                case DylinkInfo.LegacySectionName:
                    if (_dylink is not null)
                    {
                        reader.Throw(section.Offset, $"duplicate dynamic-linking section \"{section.Name}\"");
                    }

                    _dylink = section.Name == DylinkInfo.SectionName
                        ? DylinkInfo.ReadDylink0(reader, isFirst)
                        : DylinkInfo.ReadLegacy(reader, isFirst);
                    break;
                case NameSection.SectionName:
                    _names = NameSection.Read(reader);
                    break;
            }
        }

        private ImmutableArray<Import> ReadImports(ref WasmReader reader)
        {
            var count = reader.ReadCount(minElementSize: 4);
            var builder = ImmutableArray.CreateBuilder<Import>(count);
            for (var i = 0; i < count; i++)
            {
                var module = reader.ReadName();
                var field = reader.ReadName();
                var kindOffset = reader.Offset;
                var kind = reader.ReadByte();
                if (kind > (byte)ExternalKind.Tag)
                {
                    reader.Throw(kindOffset, $"invalid import kind 0x{kind:x2} for {module}.{field}");
                }

                var index = (uint)_importCounts[kind]++;
                builder.Add((ExternalKind)kind switch
                {
                    ExternalKind.Function => new Import(module, field, ExternalKind.Function, index, ReadTypeIndex(ref reader), null, null, null),
                    ExternalKind.Table => new Import(module, field, ExternalKind.Table, index, 0, SectionReaders.ReadTableType(ref reader), null, null),
                    ExternalKind.Memory => new Import(module, field, ExternalKind.Memory, index, 0, null, SectionReaders.ReadMemoryType(ref reader), null),
                    ExternalKind.Global => new Import(module, field, ExternalKind.Global, index, 0, null, null, SectionReaders.ReadGlobalType(ref reader)),
                    _ => new Import(module, field, ExternalKind.Tag, index, ReadTagType(ref reader), null, null, null),
                });
            }

            return builder.MoveToImmutable();
        }

        private ImmutableArray<GlobalDefinition> ReadGlobals(ref WasmReader reader)
        {
            var first = (uint)_importCounts[(int)ExternalKind.Global];
            var count = reader.ReadCount(minElementSize: 4);
            var builder = ImmutableArray.CreateBuilder<GlobalDefinition>(count);
            for (var i = 0; i < count; i++)
            {
                builder.Add(new GlobalDefinition(first + (uint)i, SectionReaders.ReadGlobalType(ref reader), ConstExpr.Read(ref reader)));
            }

            return builder.MoveToImmutable();
        }

        private TagDefinition ReadTag(ref WasmReader reader, int index) => new((uint)index, ReadTagType(ref reader));

        private uint ReadTagType(ref WasmReader reader)
        {
            var offset = reader.Offset;
            var attribute = reader.ReadByte();
            if (attribute != 0)
            {
                reader.Throw(offset, $"invalid tag attribute 0x{attribute:x2} (expected 0, exception)");
            }

            return ReadTypeIndex(ref reader);
        }

        private uint ReadTypeIndex(ref WasmReader reader)
        {
            var offset = reader.Offset;
            var index = reader.ReadVarUInt32();
            if (index >= (uint)_types.Length)
            {
                reader.Throw(offset, $"type index {index} out of range ({_types.Length} types)");
            }

            return index;
        }

        public WasmModule Finish(ReadOnlyMemory<byte> bytes, ImmutableArray<SectionHeader> sections, WasmReader whole)
        {
            if (_functions.Length != _code.Length)
            {
                whole.Throw(_codeOffset, $"function and code section have inconsistent lengths ({_functions.Length} functions, {_code.Length} bodies)");
            }

            if (_dataCount is { } declared && declared != (uint)_data.Length)
            {
                whole.Throw(_dataOffset, $"data count section says {declared} segments, data section has {_data.Length}");
            }

            var functionCount = (uint)(_importCounts[0] + _functions.Length);
            if (_start is { } start && start.Index >= functionCount)
            {
                whole.Throw(start.Offset, $"start function {start.Index} out of range ({functionCount} functions)");
            }

            return new WasmModule
            {
                Name = name,
                Bytes = bytes,
                Sections = sections,
                Types = _types,
                Imports = _imports,
                FunctionTypeIndices = _functions,
                Tables = _tables,
                Memories = _memories,
                Tags = _tags,
                Globals = _globals,
                Exports = _exports,
                StartFunction = _start?.Index,
                Elements = _elements,
                DataCount = _dataCount,
                Code = _code,
                Data = _data,
                Dylink = _dylink,
                Names = _names,
            };
        }

        private ImmutableArray<Export> ReadExports(ref WasmReader reader)
        {
            // Every index space is complete here: all sections that define entities precede the export section.
            var spaceSizes = new[]
            {
                _importCounts[0] + _functions.Length, _importCounts[1] + _tables.Length, _importCounts[2] + _memories.Length,
                _importCounts[3] + _globals.Length, _importCounts[4] + _tags.Length,
            };
            var names = new HashSet<string>(StringComparer.Ordinal);
            var count = reader.ReadCount(minElementSize: 3);
            var builder = ImmutableArray.CreateBuilder<Export>(count);
            for (var i = 0; i < count; i++)
            {
                var offset = reader.Offset;
                var exportName = reader.ReadName();
                var kindOffset = reader.Offset;
                var kind = reader.ReadByte();
                if (kind > (byte)ExternalKind.Tag)
                {
                    reader.Throw(kindOffset, $"export \"{exportName}\": invalid export kind 0x{kind:x2}");
                }

                var index = reader.ReadVarUInt32();
                if (!names.Add(exportName))
                {
                    reader.Throw(offset, $"duplicate export name \"{exportName}\"");
                }

                if (index >= (uint)spaceSizes[kind])
                {
                    reader.Throw(offset, $"export \"{exportName}\": {WasmNames.Of((ExternalKind)kind)} index {index} out of range ({spaceSizes[kind]} in the module)");
                }

                builder.Add(new Export(exportName, (ExternalKind)kind, index));
            }

            return builder.MoveToImmutable();
        }
    }
}
