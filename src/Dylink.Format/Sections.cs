namespace Dylink.Format;

/// <summary>Binary section ids of the core spec (plus the tag section of the exception-handling proposal).</summary>
public enum SectionId : byte
{
    /// <summary>A named custom section (<c>dylink.0</c>, <c>name</c>, …).</summary>
    Custom = 0,
    /// <summary>Function signatures.</summary>
    Type = 1,
    /// <summary>Imports.</summary>
    Import = 2,
    /// <summary>Type indices of the defined functions.</summary>
    Function = 3,
    /// <summary>Defined tables.</summary>
    Table = 4,
    /// <summary>Defined memories.</summary>
    Memory = 5,
    /// <summary>Defined globals.</summary>
    Global = 6,
    /// <summary>Exports.</summary>
    Export = 7,
    /// <summary>The start function.</summary>
    Start = 8,
    /// <summary>Element segments.</summary>
    Element = 9,
    /// <summary>Function bodies.</summary>
    Code = 10,
    /// <summary>Data segments.</summary>
    Data = 11,
    /// <summary>The number of data segments (bulk memory).</summary>
    DataCount = 12,
    /// <summary>Exception tags.</summary>
    Tag = 13,
}

/// <summary>One section as found in the module: where it is and, for a custom section, its name.</summary>
/// <param name="Id">The section id.</param>
/// <param name="Name">The custom section's name; <see langword="null"/> for the other sections.</param>
/// <param name="Offset">Absolute offset of the section's id byte.</param>
/// <param name="PayloadOffset">Absolute offset of the payload (after the custom name, for custom sections).</param>
/// <param name="PayloadSize">Size of the payload in bytes.</param>
public readonly record struct SectionHeader(SectionId Id, string? Name, long Offset, long PayloadOffset, int PayloadSize)
{
    /// <summary>The display name: the custom section's name, or the section kind.</summary>
    public string DisplayName => Name ?? Id.ToString();
}

/// <summary>
/// Walks the sections of a module: checks the header, then yields each section's header with its payload bounds checked.
/// Used with <c>foreach</c>; allocates only the names of custom sections.
/// </summary>
public ref struct SectionWalker
{
    /// <summary>The 4-byte magic number <c>\0asm</c>.</summary>
    public static ReadOnlySpan<byte> Magic => [0x00, 0x61, 0x73, 0x6d];

    private readonly ReadOnlySpan<byte> _module;
    private WasmReader _reader;

    /// <summary>Checks the module header and positions the walker before the first section.</summary>
    /// <exception cref="WasmFormatException">The magic number or version is wrong.</exception>
    public SectionWalker(ReadOnlySpan<byte> module, string moduleName)
    {
        _module = module;
        _reader = new WasmReader(module, moduleName);
        if (module.Length < 4 || !module[..4].SequenceEqual(Magic))
        {
            _reader.Fail("not a WebAssembly module: bad magic number (expected 00 61 73 6d)");
        }

        _reader.ReadBytes(4);
        var versionOffset = _reader.Offset;
        var version = _reader.ReadUInt32LittleEndian();
        if (version != 1)
        {
            // Components carry version 0x0d with layer 1; say so rather than print a bare number.
            _reader.Throw(versionOffset, (version & 0xffff0000) == 0x00010000
                ? "this is a WebAssembly component, not a core module"
                : $"unsupported binary version 0x{version:x} (expected 0x1)");
        }

        Current = default;
    }

    /// <summary>The section the walker is on.</summary>
    public SectionHeader Current { get; private set; }

    /// <summary>Returns this walker, for <c>foreach</c>.</summary>
    public readonly SectionWalker GetEnumerator() => this;

    /// <summary>Advances to the next section.</summary>
    /// <returns>False at the end of the module.</returns>
    /// <exception cref="WasmFormatException">The section header is malformed or its size overruns the module.</exception>
    public bool MoveNext()
    {
        if (_reader.IsAtEnd)
        {
            return false;
        }

        var offset = _reader.Offset;
        var id = _reader.ReadByte();
        if (id > (byte)SectionId.Tag)
        {
            _reader.Throw(offset, $"unknown section id {id}");
        }

        var sizeOffset = _reader.Offset;
        var size = _reader.ReadVarUInt32();
        if (size > (uint)_reader.Remaining)
        {
            _reader.Throw(sizeOffset, $"{WasmNames.Of((SectionId)id)} section size {size} overruns the module ({_reader.Remaining} bytes left)");
        }

        var payload = _reader.SubReader((int)size);
        string? name = null;
        if (id == (byte)SectionId.Custom)
        {
            name = payload.ReadName();
        }

        Current = new SectionHeader((SectionId)id, name, offset, payload.Offset, payload.Remaining);
        return true;
    }

    /// <summary>A reader over a section's payload, reporting absolute offsets.</summary>
    public readonly WasmReader PayloadReader(SectionHeader section) =>
        new(_module.Slice((int)section.PayloadOffset, section.PayloadSize), _reader.ModuleName, section.PayloadOffset);
}
