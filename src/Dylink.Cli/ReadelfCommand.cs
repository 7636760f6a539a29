using System.CommandLine;
using System.Globalization;
using Dylink.Format;

namespace Dylink.Cli;

/// <summary><c>dylink readelf FILE...</c>: a module's sections and dynamic-linking metadata.</summary>
internal static class ReadelfCommand
{
    public static Command Create(Terminal terminal)
    {
        var file = new Argument<string[]>("FILE") { Description = "The modules to describe (.wasm or .so); with several, each report follows a 'FILE:' line.", Arity = ArgumentArity.OneOrMore };
        // binutils: -h is the file header, so help is -H (Help.cs and DylinkCommand spell it so for readelf).
        var header = new Option<bool>("--file-header", "-h") { Description = "Print the file header: magic, version, section counts, the dynamic-linking section." };
        var sections = new Option<bool>("--section-headers", "--sections", "-S") { Description = "Print the sections." };
        var dynamic = new Option<bool>("--dynamic", "-d") { Description = "Print the dynamic-linking section (dylink.0)." };
        var symbols = new Option<bool>("--symbols", "--syms", "-s") { Description = "Print the symbol tables: every import and export." };
        var all = new Option<bool>("--all", "-a") { Description = "Print everything: -h -S -d -s and the summary." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON (always everything; one file only)." };
        var command = new Command("readelf", """
            Print a module's sections and its dynamic-linking metadata (dylink.0 or legacy dylink): memory and table
            size and alignment, needed libraries, runtime paths, export and import flags. With no part selected:
            -S, -d and a summary of imports and exports.

            Examples:
              dylink readelf libfoo.so
              dylink readelf -d libfoo.so      # just the dylink.0 metadata, as binutils readelf -d
              dylink readelf -h -s main.wasm   # file header, then every import and export
              dylink readelf -d lib*.so        # several files: each report after a 'FILE:' line
            """ + DylinkCommand.ExitStatusHelp)
        {
            file,
            header,
            sections,
            dynamic,
            symbols,
            all,
            json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(json) && result.GetValue(file) is { Length: > 1 })
            {
                result.AddError("--json takes one file (a JSON document per module would not be one document).");
            }
        });
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            // binutils: each option selects a part; none means -S -d and the summary, -a everything.
            var selected = (parse.GetValue(header) ? Parts.Header : 0) | (parse.GetValue(sections) ? Parts.Sections : 0)
                | (parse.GetValue(dynamic) ? Parts.Dynamic : 0) | (parse.GetValue(symbols) ? Parts.Symbols : 0);
            var parts = parse.GetValue(all) ? Parts.Everything : selected == 0 ? Parts.All : selected;
            return DylinkCommand.ForEachFile(parse.GetRequiredValue(file), output, parse.InvocationConfiguration.Error, module =>
            {
                if (parse.GetValue(json))
                {
                    Json.Readelf(module, output);
                }
                else
                {
                    Render(module, output, terminal, parts);
                }
            });
        });
        return command;
    }

    /// <summary>Writes the report for <paramref name="module"/>.</summary>
    public static void Render(WasmModule module, TextWriter w, Terminal terminal, Parts parts = Parts.All)
    {
        w.WriteLine($"File: {module.Name}");
        w.WriteLine($"Size: {module.Bytes.Length} bytes");
        if ((parts & Parts.Header) != 0)
        {
            w.WriteLine();
            RenderHeader(module, w);
        }

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

        if ((parts & Parts.Symbols) != 0)
        {
            w.WriteLine();
            RenderSymbols(module, w);
        }

        if ((parts & Parts.Summary) != 0)
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

        /// <summary>The import/export summary.</summary>
        Summary = 4,

        /// <summary>What no option selects: sections, the dynamic-linking section and the summary.</summary>
        All = 7,

        /// <summary>The file header (<c>-h</c>).</summary>
        Header = 8,

        /// <summary>Every import and export (<c>-s</c>).</summary>
        Symbols = 16,

        /// <summary>Everything (<c>-a</c>).</summary>
        Everything = 31,
    }

    private static void RenderHeader(WasmModule module, TextWriter w)
    {
        var bytes = module.Bytes.Span;
        w.WriteLine("File header:");
        w.WriteLine($"  Magic           {string.Join(' ', bytes[..4].ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)))} (\\0asm)");
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  Version         {System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..8])}"));
        var custom = module.Sections.Count(s => s.Id == SectionId.Custom);
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  Sections        {module.Sections.Length} ({module.Sections.Length - custom} known, {custom} custom)"));
        w.WriteLine($"  Dynamic section {(module.Dylink is { } d ? $"{(d.IsLegacy ? DylinkInfo.LegacySectionName : DylinkInfo.SectionName)} at offset {Text.Hex(d.Offset)}" : "(none)")}");
        var (memory64, _) = Text.IndexWidths(module);
        w.WriteLine($"  Address width   {(memory64 ? "64-bit memory (wasm64)" : "32-bit memory (wasm32)")}");
        w.WriteLine($"  Entry point     {(module.Exports.Any(e => e.Kind == ExternalKind.Function && e.Name == "_start") ? "_start" : "(none: not a command)")}");
    }

    /// <summary>The module's imports and exports as they are, one per line (nm shows the linker's view of them).</summary>
    private static void RenderSymbols(WasmModule module, TextWriter w)
    {
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Imports ({module.Imports.Length}):"));
        foreach (var (import, i) in module.Imports.Select((x, i) => (x, i)))
        {
            var type = import.Kind is ExternalKind.Function ? $" {module.Types[(int)import.TypeIndex]}" : "";
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{i,3}] {WasmNames.Of(import.Kind),-8} {import.Module}.{import.Name}{type}"));
        }

        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Exports ({module.Exports.Length}):"));
        foreach (var (export, i) in module.Exports.Select((x, i) => (x, i)))
        {
            var type = export.Kind is ExternalKind.Function ? $" {module.FunctionType(export.Index)}" : "";
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{i,3}] {WasmNames.Of(export.Kind),-8} {export.Name} (index {export.Index}){type}"));
        }
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
