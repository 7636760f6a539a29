using System.CommandLine;
using System.Globalization;
using Dylink.Format;

namespace Dylink.Cli;

/// <summary><c>dylink readelf FILE</c>: a module's sections and dynamic-linking metadata.</summary>
internal static class ReadelfCommand
{
    public static Command Create(Terminal terminal)
    {
        var file = new Argument<string>("FILE") { Description = "The module to describe (.wasm or .so)." };
        var sections = new Option<bool>("--section-headers", "-S") { Description = "Print only the file header and the sections." };
        var dynamic = new Option<bool>("--dynamic", "-d") { Description = "Print only the file header and the dynamic-linking section." };
        var all = new Option<bool>("--all", "-a") { Description = "Print everything (the default)." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON (always everything)." };
        var command = new Command("readelf", """
            Print a module's sections and its dynamic-linking metadata (dylink.0 or legacy dylink): memory and table
            size and alignment, needed libraries, runtime paths, export and import flags.

            Examples:
              dylink readelf libfoo.so
              dylink readelf -d libfoo.so      # just the dylink.0 metadata, as binutils readelf -d
              dylink readelf main.wasm > main.txt
            """ + DylinkCommand.ExitStatusHelp)
        {
            file,
            sections,
            dynamic,
            all,
            json,
        };
        command.SetAction(parse =>
        {
            var module = DylinkCommand.LoadModule(parse.GetRequiredValue(file));
            if (parse.GetValue(json))
            {
                Json.Readelf(module, parse.InvocationConfiguration.Output);
            }
            else
            {
                // binutils: -S and -d select parts; none (or -a) means everything.
                var (s, d) = (parse.GetValue(sections), parse.GetValue(dynamic));
                var parts = parse.GetValue(all) || (!s && !d) ? Parts.All : (s ? Parts.Sections : 0) | (d ? Parts.Dynamic : 0);
                Render(module, parse.InvocationConfiguration.Output, terminal, parts);
            }

            return DylinkCommand.Ok;
        });
        return command;
    }

    /// <summary>Writes the report for <paramref name="module"/>.</summary>
    public static void Render(WasmModule module, TextWriter w, Terminal terminal, Parts parts = Parts.All)
    {
        w.WriteLine($"File: {module.Name}");
        w.WriteLine($"Size: {module.Bytes.Length} bytes");
        if ((parts & Parts.Sections) != 0)
        {
            w.WriteLine();
            RenderSections(module, w, terminal);
        }

        if ((parts & Parts.Dynamic) != 0)
        {
            w.WriteLine();
            RenderDylink(module, w);
        }

        if (parts == Parts.All)
        {
            w.WriteLine();
            RenderSummary(module, w);
        }
    }

    /// <summary>The parts of the report (<c>-S</c>, <c>-d</c>; both and the import/export summary by default).</summary>
    [Flags]
    public enum Parts
    {
        /// <summary>The section list.</summary>
        Sections = 1,

        /// <summary>The dynamic-linking section.</summary>
        Dynamic = 2,

        /// <summary>Everything, with the import/export summary.</summary>
        All = 7,
    }

    private static void RenderSections(WasmModule module, TextWriter w, Terminal terminal)
    {
        w.WriteLine("Sections:");
        terminal.Rows(
            w,
            [">Nr", "Kind", "Name", "Offset", ">Size", ">Entries"],
            module.Sections.Select((s, i) => new[]
            {
                i.ToString(CultureInfo.InvariantCulture), WasmNames.Of(s.Id), s.Name ?? "", Text.Hex(s.PayloadOffset),
                s.PayloadSize.ToString(CultureInfo.InvariantCulture), Entries(module, s.Id)?.ToString(CultureInfo.InvariantCulture) ?? "",
            }),
            r => $"  [{r[0],2}] {r[1],-10} {r[2],-20} {r[3]} {r[4],7}  {r[5]}".TrimEnd(),
            "  [Nr] Kind       Name                 Offset        Size  Entries");
    }

    private static int? Entries(WasmModule m, SectionId id) => id switch
    {
        SectionId.Type => m.Types.Length,
        SectionId.Import => m.Imports.Length,
        SectionId.Function => m.FunctionTypeIndices.Length,
        SectionId.Table => m.Tables.Length,
        SectionId.Memory => m.Memories.Length,
        SectionId.Tag => m.Tags.Length,
        SectionId.Global => m.Globals.Length,
        SectionId.Export => m.Exports.Length,
        SectionId.Element => m.Elements.Length,
        SectionId.Code => m.Code.Length,
        SectionId.Data => m.Data.Length,
        SectionId.DataCount => (int?)m.DataCount,
        _ => null,
    };

    private static void RenderDylink(WasmModule module, TextWriter w)
    {
        if (module.Dylink is not { } d)
        {
            w.WriteLine("No dynamic-linking section (dylink.0): not a shared library or PIE.");
            return;
        }

        var name = d.IsLegacy ? DylinkInfo.LegacySectionName : DylinkInfo.SectionName;
        w.WriteLine($"Dynamic section ({name} at offset {Text.Hex(d.Offset)}):");
        if (!d.IsFirstSection)
        {
            w.WriteLine($"  warning: {name} is not the first section; the ABI requires it first and emscripten refuses such modules");
        }

        var mem = d.MemInfo;
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  Memory size     {mem.MemorySize} bytes, alignment 2^{mem.MemoryAlignment} ({1UL << (int)mem.MemoryAlignment})"));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  Table size      {mem.TableSize} slots, alignment 2^{mem.TableAlignment} ({1UL << (int)mem.TableAlignment})"));
        WriteList(w, "Needed", d.Needed);
        WriteList(w, "Runtime path", d.RuntimePath);
        WriteList(w, "Export info", d.ExportInfo.Select(e => $"{e.Name}: {Text.Flags(e.Flags)}"));
        WriteList(w, "Import info", d.ImportInfo.Select(i => $"{i.Module}.{i.Field}: {Text.Flags(i.Flags)}"));
        WriteList(w, "Unknown", d.Unknown.Select(u => string.Create(CultureInfo.InvariantCulture,
            $"subsection type {u.Type}, {u.Size} bytes at {Text.Hex(u.Offset)}")));
    }

    private static void WriteList(TextWriter w, string label, IEnumerable<string> items)
    {
        var first = true;
        foreach (var item in items)
        {
            w.WriteLine($"  {(first ? label : ""),-15} {item}");
            first = false;
        }

        if (first)
        {
            w.WriteLine($"  {label,-15} (none)");
        }
    }

    private static void RenderSummary(WasmModule module, TextWriter w)
    {
        w.WriteLine($"Imports: {module.Imports.Length}{CountByKind(module.Imports.Select(i => i.Kind))}");
        w.WriteLine($"Exports: {module.Exports.Length}{CountByKind(module.Exports.Select(e => e.Kind))}");
        var (memory64, table64) = Text.IndexWidths(module);
        if (memory64 || table64)
        {
            // Only 64-bit modules get the line: wasm32 is the default, and every wasm32 report stays as it was.
            w.WriteLine($"Address width: {(memory64 ? "wasm64 (64-bit memory)" : "32-bit memory")}, {(table64 ? "64-bit table indices (table64)" : "32-bit table indices")}");
        }

        if (module.StartFunction is { } start)
        {
            var startName = module.FunctionName(start);
            w.WriteLine($"Start function: {start}{(startName is null ? "" : $" <{startName}>")}");
        }
    }

    private static string CountByKind(IEnumerable<ExternalKind> kinds)
    {
        var groups = kinds.GroupBy(k => k).OrderBy(g => g.Key).Select(g => $"{WasmNames.Of(g.Key)} {g.Count()}").ToList();
        return groups.Count == 0 ? "" : $" ({string.Join(", ", groups)})";
    }
}
