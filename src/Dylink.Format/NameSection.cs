using System.Collections.Immutable;

namespace Dylink.Format;

/// <summary>The <c>name</c> custom section: debug names of the module, its functions, globals and data segments.</summary>
/// <param name="ModuleName">The module's name, if given.</param>
/// <param name="FunctionNames">Names by function index.</param>
/// <param name="GlobalNames">Names by global index.</param>
/// <param name="DataSegmentNames">Names by data segment index.</param>
/// <param name="Unknown">Subsections kept but not interpreted (locals, labels, types, …).</param>
public sealed record NameSection(
    string? ModuleName,
    ImmutableDictionary<uint, string> FunctionNames,
    ImmutableDictionary<uint, string> GlobalNames,
    ImmutableDictionary<uint, string> DataSegmentNames,
    ImmutableArray<UnknownSubsection> Unknown)
{
    /// <summary>The custom section's name.</summary>
    public const string SectionName = "name";

    /// <summary>Reads the payload of a <c>name</c> section.</summary>
    /// <exception cref="WasmFormatException">A subsection is malformed or out of order.</exception>
    public static NameSection Read(WasmReader reader)
    {
        string? moduleName = null;
        var functions = ImmutableDictionary<uint, string>.Empty;
        var globals = ImmutableDictionary<uint, string>.Empty;
        var data = ImmutableDictionary<uint, string>.Empty;
        var unknown = ImmutableArray.CreateBuilder<UnknownSubsection>(0);
        var last = -1;
        while (!reader.IsAtEnd)
        {
            var idOffset = reader.Offset;
            var id = reader.ReadByte();
            if (id <= last)
            {
                reader.Throw(idOffset, $"name section: subsection {id} out of order or repeated");
            }

            last = id;
            var sub = reader.ReadSizedReader();
            switch (id)
            {
                case 0:
                    moduleName = sub.ReadName();
                    break;
                case 1:
                    functions = ReadNameMap(ref sub);
                    break;
                case 7:
                    globals = ReadNameMap(ref sub);
                    break;
                case 9:
                    data = ReadNameMap(ref sub);
                    break;
                default:
                    unknown.Add(new UnknownSubsection(id, sub.Offset, sub.Remaining));
                    sub.ReadBytes(sub.Remaining);
                    break;
            }

            sub.ExpectEnd($"name subsection {id}");
        }

        return new NameSection(moduleName, functions, globals, data, unknown.DrainToImmutable());
    }

    private static ImmutableDictionary<uint, string> ReadNameMap(ref WasmReader reader)
    {
        var count = reader.ReadCount(minElementSize: 2);
        var builder = ImmutableDictionary.CreateBuilder<uint, string>();
        for (var i = 0; i < count; i++)
        {
            var offset = reader.Offset;
            var index = reader.ReadVarUInt32();
            var name = reader.ReadName();
            if (!builder.TryAdd(index, name))
            {
                reader.Throw(offset, $"name section: index {index} named twice");
            }
        }

        return builder.ToImmutable();
    }
}
