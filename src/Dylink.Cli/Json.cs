using System.Text.Encodings.Web;
using System.Text.Json;
using Dylink.Format;
using Dylink.Linking;

namespace Dylink.Cli;

/// <summary>The <c>--json</c> forms of <c>readelf</c>, <c>nm</c> and <c>ldd</c>: the same facts as the text, for tools.</summary>
internal static class Json
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Readelf(WasmModule module, TextWriter output) => Write(output, w =>
    {
        w.WriteStartObject();
        w.WriteString("file", module.Name);
        w.WriteNumber("size", module.Bytes.Length);
        w.WriteStartArray("sections");
        foreach (var s in module.Sections)
        {
            w.WriteStartObject();
            w.WriteString("kind", WasmNames.Of(s.Id));
            if (s.Name is not null)
            {
                w.WriteString("name", s.Name);
            }

            w.WriteNumber("offset", s.PayloadOffset);
            w.WriteNumber("size", s.PayloadSize);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (module.Dylink is { } d)
        {
            w.WriteStartObject("dylink");
            w.WriteString("section", d.IsLegacy ? DylinkInfo.LegacySectionName : DylinkInfo.SectionName);
            w.WriteBoolean("firstSection", d.IsFirstSection);
            w.WriteNumber("memorySize", d.MemInfo.MemorySize);
            w.WriteNumber("memoryAlignmentLog2", d.MemInfo.MemoryAlignment);
            w.WriteNumber("tableSize", d.MemInfo.TableSize);
            w.WriteNumber("tableAlignmentLog2", d.MemInfo.TableAlignment);
            Strings(w, "needed", d.Needed);
            Strings(w, "runtimePath", d.RuntimePath);
            w.WriteStartArray("exportInfo");
            foreach (var e in d.ExportInfo)
            {
                w.WriteStartObject();
                w.WriteString("name", e.Name);
                w.WriteString("flags", Text.Flags(e.Flags));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("importInfo");
            foreach (var i in d.ImportInfo)
            {
                w.WriteStartObject();
                w.WriteString("module", i.Module);
                w.WriteString("field", i.Field);
                w.WriteString("flags", Text.Flags(i.Flags));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("dylink");
        }

        w.WriteNumber("imports", module.Imports.Length);
        w.WriteNumber("exports", module.Exports.Length);
        var (memory64, table64) = Text.IndexWidths(module);
        w.WriteBoolean("memory64", memory64);
        w.WriteBoolean("table64", table64);
        w.WriteEndObject();
    });

    public static void Nm(IEnumerable<ModuleSymbol> symbols, TextWriter output) => Write(output, w =>
    {
        w.WriteStartArray();
        foreach (var s in symbols)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteString("kind", s.Kind.ToString().ToLowerInvariant());
            w.WriteBoolean("defined", s.IsDefined);
            w.WriteBoolean("weak", s.IsWeak);
            w.WriteBoolean("hidden", s.IsHidden);
            if (s.Value is { } value)
            {
                w.WriteNumber("value", value);
            }

            if (s.Signature is { } signature)
            {
                w.WriteString("signature", signature.ToString());
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    public static void Ldd(LinkPlan plan, TextWriter output) => Write(output, w =>
    {
        w.WriteStartObject();
        w.WriteString("mainKind", plan.Kind.ToString().ToLowerInvariant());
        w.WriteStartArray("modules");
        foreach (var m in plan.Modules)
        {
            w.WriteStartObject();
            w.WriteString("name", m.Name);
            w.WriteString("path", m.Path);
            w.WriteBoolean("main", m.IsMain);
            w.WriteNumber("memoryOffset", m.MemoryOffset);
            w.WriteNumber("memorySize", m.MemorySize);
            w.WriteNumber("tableOffset", m.TableOffset);
            w.WriteNumber("tableSize", m.TableSize);
            Strings(w, "needed", m.Needed.Select(i => plan.Modules[i].Name));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("memory");
        w.WriteString("placement", plan.Memory.Placement.ToString());
        w.WriteNumber("blockSize", plan.Memory.BlockSize);
        w.WriteNumber("blockAlignment", plan.Memory.BlockAlignment);
        if (plan.Memory.FixedBase is { } fixedBase)
        {
            w.WriteNumber("blockAddress", fixedBase);
        }

        w.WriteEndObject();
        w.WriteNumber("tableBlockSize", plan.TableBlockSize);
        Strings(w, "instantiationOrder", plan.InstantiationOrder.Select(i => plan.Modules[i].Name));
        Strings(w, "constructorOrder", plan.ConstructorOrder.Select(i => plan.Modules[i].Name));
        Strings(w, "warnings", plan.Warnings);
        w.WriteEndObject();
    });

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Options))
        {
            write(writer);
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
