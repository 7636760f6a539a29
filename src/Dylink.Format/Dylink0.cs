using System.Collections.Immutable;

namespace Dylink.Format;

/// <summary>
/// Symbol flags shared by the <c>linking</c> section and the <c>dylink.0</c> EXPORT_INFO / IMPORT_INFO subsections
/// (tool-conventions <c>Linking.md</c>, "Symbol flags").
/// </summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "The spec's own name for these flags.")]
public enum SymbolFlags : uint
{
    /// <summary>No flags: a strong, global, default-visibility symbol.</summary>
    None = 0,
    /// <summary>Weak binding: another definition may win; a weak undefined symbol may stay undefined.</summary>
    BindingWeak = 0x1,
    /// <summary>Local binding: not visible to other modules.</summary>
    BindingLocal = 0x2,
    /// <summary>Hidden visibility: not exported from the linked module.</summary>
    VisibilityHidden = 0x4,
    /// <summary>The symbol is undefined in this module.</summary>
    Undefined = 0x10,
    /// <summary>Exported explicitly.</summary>
    Exported = 0x20,
    /// <summary>The import/export name differs from the symbol name.</summary>
    ExplicitName = 0x40,
    /// <summary>Kept by the linker even if unreferenced.</summary>
    NoStrip = 0x80,
    /// <summary>A thread-local symbol: its address is relative to <c>__tls_base</c>.</summary>
    Tls = 0x100,
    /// <summary>An absolute address, not relative to <c>__memory_base</c>.</summary>
    Absolute = 0x200,
}

/// <summary>The <c>dylink.0</c> subsection types (tool-conventions <c>DynamicLinking.md</c>).</summary>
public enum Dylink0SubsectionType : byte
{
    /// <summary><c>WASM_DYLINK_MEM_INFO</c>: memory and table sizes and alignments.</summary>
    MemInfo = 1,
    /// <summary><c>WASM_DYLINK_NEEDED</c>: libraries to load first.</summary>
    Needed = 2,
    /// <summary><c>WASM_DYLINK_EXPORT_INFO</c>: flags of exported symbols.</summary>
    ExportInfo = 3,
    /// <summary><c>WASM_DYLINK_IMPORT_INFO</c>: flags of imported symbols.</summary>
    ImportInfo = 4,
    /// <summary><c>WASM_DYLINK_RUNTIME_PATH</c>: library search path (DT_RUNPATH).</summary>
    RuntimePath = 5,
}

/// <summary>
/// <c>WASM_DYLINK_MEM_INFO</c>: how much zero-initialised memory and how many table slots the module needs at
/// <c>__memory_base</c> / <c>__table_base</c>. Alignments are log2 values.
/// </summary>
/// <param name="MemorySize">Bytes of memory to reserve.</param>
/// <param name="MemoryAlignment">log2 of the required memory alignment.</param>
/// <param name="TableSize">Table slots to reserve.</param>
/// <param name="TableAlignment">log2 of the required table alignment.</param>
public readonly record struct MemInfo(uint MemorySize, uint MemoryAlignment, uint TableSize, uint TableAlignment);

/// <summary>An EXPORT_INFO entry: the flags of one exported symbol.</summary>
/// <param name="Name">The export name.</param>
/// <param name="Flags">Its symbol flags (<see cref="SymbolFlags.Tls"/> in practice).</param>
public readonly record struct ExportInfo(string Name, SymbolFlags Flags);

/// <summary>An IMPORT_INFO entry: the flags of one imported symbol.</summary>
/// <param name="Module">The import's module name (<c>env</c>, <c>GOT.mem</c>, <c>GOT.func</c>).</param>
/// <param name="Field">The import's field name.</param>
/// <param name="Flags">Its symbol flags (<see cref="SymbolFlags.BindingWeak"/> in practice).</param>
public readonly record struct ImportInfo(string Module, string Field, SymbolFlags Flags);

/// <summary>A subsection this reader does not know; kept, not interpreted.</summary>
/// <param name="Type">The subsection type byte.</param>
/// <param name="Offset">Absolute offset of its payload.</param>
/// <param name="Size">Payload size in bytes.</param>
public readonly record struct UnknownSubsection(byte Type, long Offset, int Size);

/// <summary>
/// The dynamic-linking metadata of a module: its <c>dylink.0</c> custom section, or the legacy <c>dylink</c> section
/// written by LLVM 12 and older.
/// </summary>
/// <param name="MemInfo">Memory and table requirements.</param>
/// <param name="Needed">Libraries to load before this one, in order.</param>
/// <param name="ExportInfo">Flags of exported symbols.</param>
/// <param name="ImportInfo">Flags of imported symbols.</param>
/// <param name="RuntimePath">Search path entries (may contain <c>$ORIGIN</c>).</param>
/// <param name="Unknown">Subsections of unknown type, kept as found.</param>
/// <param name="IsLegacy">True when read from the legacy <c>dylink</c> section.</param>
/// <param name="IsFirstSection">True when the section is the module's first, as the ABI requires.</param>
/// <param name="Offset">Absolute offset of the section's payload.</param>
public sealed record DylinkInfo(
    MemInfo MemInfo,
    ImmutableArray<string> Needed,
    ImmutableArray<ExportInfo> ExportInfo,
    ImmutableArray<ImportInfo> ImportInfo,
    ImmutableArray<string> RuntimePath,
    ImmutableArray<UnknownSubsection> Unknown,
    bool IsLegacy,
    bool IsFirstSection,
    long Offset)
{
    /// <summary>The name of the current dynamic-linking section.</summary>
    public const string SectionName = "dylink.0";

    /// <summary>The name of the legacy (LLVM ≤ 12) dynamic-linking section.</summary>
    public const string LegacySectionName = "dylink";

    private Dictionary<string, SymbolFlags>? _exportFlags;
    private Dictionary<(string, string), SymbolFlags>? _importFlags;

    /// <summary>Flags of the export named <paramref name="name"/>, or <see cref="SymbolFlags.None"/>.</summary>
    public SymbolFlags FlagsOfExport(string name)
    {
        _exportFlags ??= ExportInfo.GroupBy(e => e.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Flags, StringComparer.Ordinal);
        return _exportFlags.GetValueOrDefault(name);
    }

    /// <summary>Flags of the import <paramref name="module"/>.<paramref name="field"/>, or <see cref="SymbolFlags.None"/>.</summary>
    public SymbolFlags FlagsOfImport(string module, string field)
    {
        _importFlags ??= ImportInfo.GroupBy(i => (i.Module, i.Field)).ToDictionary(g => g.Key, g => g.First().Flags);
        return _importFlags.GetValueOrDefault((module, field));
    }

    /// <summary>Reads the payload of a <c>dylink.0</c> section.</summary>
    /// <exception cref="WasmFormatException">A subsection is malformed, repeated, overruns the section, or is not consumed exactly.</exception>
    public static DylinkInfo ReadDylink0(WasmReader reader, bool isFirstSection)
    {
        var sectionOffset = reader.Offset;
        MemInfo? memInfo = null;
        var needed = ImmutableArray<string>.Empty;
        var exportInfo = ImmutableArray<ExportInfo>.Empty;
        var importInfo = ImmutableArray<ImportInfo>.Empty;
        var runtimePath = ImmutableArray<string>.Empty;
        var unknown = ImmutableArray.CreateBuilder<UnknownSubsection>(0);
        var seen = new HashSet<byte>();
        while (!reader.IsAtEnd)
        {
            var typeOffset = reader.Offset;
            var type = reader.ReadByte();
            var sizeOffset = reader.Offset;
            var size = reader.ReadVarUInt32();
            var name = SubsectionName(type);
            if (size > (uint)reader.Remaining)
            {
                reader.Throw(sizeOffset, $"dylink.0 subsection {name}: size {size} overruns the section ({reader.Remaining} bytes left)");
            }

            var sub = reader.SubReader((int)size);
            if (type is >= 1 and <= 5 && !seen.Add(type))
            {
                reader.Throw(typeOffset, $"dylink.0: duplicate {name} subsection");
            }

            try
            {
                switch ((Dylink0SubsectionType)type)
                {
                    case Dylink0SubsectionType.MemInfo:
                        memInfo = ReadMemInfo(ref sub);
                        break;
                    case Dylink0SubsectionType.Needed:
                        needed = ReadStrings(ref sub);
                        break;
                    case Dylink0SubsectionType.ExportInfo:
                        exportInfo = ReadExportInfo(ref sub);
                        break;
                    case Dylink0SubsectionType.ImportInfo:
                        importInfo = ReadImportInfo(ref sub);
                        break;
                    case Dylink0SubsectionType.RuntimePath:
                        runtimePath = ReadStrings(ref sub);
                        break;
                    default:
                        unknown.Add(new UnknownSubsection(type, sub.Offset, sub.Remaining));
                        sub.ReadBytes(sub.Remaining);
                        break;
                }
            }
            catch (WasmFormatException e) when (!e.Reason.StartsWith("dylink.0", StringComparison.Ordinal))
            {
                // A bare "unexpected end of data" says little; name the subsection it happened in.
                throw new WasmFormatException(e.ModuleName, e.Offset, $"dylink.0 subsection {name}: {e.Reason}");
            }

            sub.ExpectEnd($"dylink.0 subsection {name}");
        }

        // A module with no MEM_INFO needs no memory and no table slots.
        return new DylinkInfo(memInfo ?? default, needed, exportInfo, importInfo, runtimePath,
            unknown.DrainToImmutable(), IsLegacy: false, isFirstSection, sectionOffset);
    }

    /// <summary>
    /// Reads the payload of a legacy <c>dylink</c> section: the four MEM_INFO fields, then the needed libraries,
    /// with no subsection framing.
    /// </summary>
    /// <exception cref="WasmFormatException">The section is truncated or has trailing bytes.</exception>
    public static DylinkInfo ReadLegacy(WasmReader reader, bool isFirstSection)
    {
        var sectionOffset = reader.Offset;
        var memInfo = ReadMemInfo(ref reader);
        var needed = ReadStrings(ref reader);
        reader.ExpectEnd("dylink section");
        return new DylinkInfo(memInfo, needed, [], [], [], [], IsLegacy: true, isFirstSection, sectionOffset);
    }

    private static string SubsectionName(byte type) => type switch
    {
        1 => "MEM_INFO",
        2 => "NEEDED",
        3 => "EXPORT_INFO",
        4 => "IMPORT_INFO",
        5 => "RUNTIME_PATH",
        _ => $"type {type}",
    };

    private static MemInfo ReadMemInfo(ref WasmReader reader) =>
        new(reader.ReadVarUInt32(), ReadAlignment(ref reader, "memory"), reader.ReadVarUInt32(), ReadAlignment(ref reader, "table"));

    private static uint ReadAlignment(ref WasmReader reader, string what)
    {
        var offset = reader.Offset;
        var log2 = reader.ReadVarUInt32();
        if (log2 >= 32)
        {
            // A log2 alignment of 32 or more cannot be satisfied in a 32-bit address space (or table index space).
            reader.Throw(offset, $"dylink.0 MEM_INFO: {what} alignment 2^{log2} is too large");
        }

        return log2;
    }

    private static ImmutableArray<string> ReadStrings(ref WasmReader reader) =>
        SectionReaders.ReadVector(ref reader, 1, (ref WasmReader r) => r.ReadName());

    private static ImmutableArray<ExportInfo> ReadExportInfo(ref WasmReader reader) =>
        SectionReaders.ReadVector(ref reader, 2, (ref WasmReader r) => new ExportInfo(r.ReadName(), (SymbolFlags)r.ReadVarUInt32()));

    private static ImmutableArray<ImportInfo> ReadImportInfo(ref WasmReader reader) =>
        SectionReaders.ReadVector(ref reader, 3, (ref WasmReader r) => new ImportInfo(r.ReadName(), r.ReadName(), (SymbolFlags)r.ReadVarUInt32()));
}
