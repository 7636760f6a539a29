using System.CommandLine;
using System.Globalization;
using Dylink.Format;
using Dylink.Linking;

namespace Dylink.Cli;

/// <summary><c>dylink ldd FILE</c>: the program's libraries, where they are found and placed, and (optionally) every binding.</summary>
internal static class LddCommand
{
    public static Command Create(Terminal terminal)
    {
        var file = new Argument<string>("FILE") { Description = "The main module (or a library) whose dependencies to list." };
        var searchPaths = new Option<string[]>("-L") { Description = "Search DIR for libraries first (repeatable).", HelpName = "DIR", AllowMultipleArgumentsPerToken = false };
        var libraries = new Option<string[]>("-l") { Description = "Also load LIB, as if the main's NEEDED list ended with it (repeatable).", HelpName = "LIB" };
        var preload = new Option<string[]>("--preload") { Description = "Load LIB first, ahead of every other module in lookup order (repeatable).", HelpName = "LIB" };
        var bindings = new Option<bool>("--bindings") { Description = "Also list every import and what provides it." };
        var unused = new Option<bool>("--unused", "-u") { Description = "Print only the NEEDED entries no import is bound to (as glibc's ldd -u)." };
        var json = new Option<bool>("--json") { Description = "Print the plan (modules, layout, orders) as JSON." };
        var graph = new Option<string?>("--graph") { Description = "Print the dependency and binding graph instead: Graphviz DOT, or an SVG picture drawn without Graphviz.", HelpName = "dot|svg" };
        graph.AcceptOnlyFromAmong("dot", "svg");
        var command = new Command("ldd", """
            Print the dependency tree of a program as the loader resolves it: each library with the path it was found at,
            its memory region (offset in the libraries' block, or an address when the loader owns memory) and its table
            region, then the instantiation and constructor order. Nothing is executed.

            Search order for a library named without a slash: -L directories, DYLINK_LIBRARY_PATH, the needing
            module's RUNTIME_PATH ($ORIGIN = its directory), the needing module's directory, then the kit's lib/wasm32-wasi
            (libc.so).

            Examples:
              dylink ldd main.wasm
              dylink ldd -L build/lib --bindings main.wasm
              dylink ldd --graph svg main.wasm > deps.svg        # open deps.svg in a browser
              dylink ldd --graph dot main.wasm | dot -Tpng -o deps.png

            In the graph, solid arrows are NEEDED entries and dashed arrows are bindings the loader made without one
            (a symbol found in the global scope); labels count the bindings by kind (func, data, tls, global, &func, tag).

            A library that cannot be found shows as "libx.so => not found" in the tree, which is printed whole; then
            every undefined symbol, one line each with the module that needs it, as glibc's ldd -r prints them
            ("undefined symbol: foo", a tab, "(libx.so)"). For a library given alone, those are the symbols a main would
            provide.
            """ + DylinkCommand.ExitStatusHelp + "\n  127  a library cannot be found or loaded, or a symbol is undefined or mismatched (a lone library's\n       undefined symbols, which a main would provide, are listed but do not count)")
        {
            file, searchPaths, libraries, preload, bindings, unused, json, graph,
        };
        command.SetAction(parse =>
        {
            var options = RunCommand.LinkOptionsFrom(parse.GetValue(searchPaths), parse.GetValue(libraries), parse.GetValue(preload));
            var stderr = parse.InvocationConfiguration.Error;
            LinkReport report;
            try
            {
                report = LinkPlanner.Inspect(parse.GetRequiredValue(file), options);
            }
            catch (Exception e) when (e is LinkException or WasmFormatException)
            {
                // Only the FILE itself throws (unreadable or malformed): the input error of the exit-status block.
                stderr.WriteLine($"dylink: {(e as LinkException)?.Errors[0] ?? e.Message}");
                return DylinkCommand.BadInput;
            }

            var output = parse.InvocationConfiguration.Output;
            var wanted = parse.GetValue(graph) is not null || parse.GetValue(unused) || parse.GetValue(json);
            var complete = report.Plan;
            if (wanted && (complete is null || !report.IsComplete))
            {
                // A graph, JSON or -u of a plan that would not load would show placeholders as facts: only the errors.
                foreach (var error in report.Errors)
                {
                    stderr.WriteLine($"dylink: {error}");
                }

                return RunCommand.LoadFailure;
            }

            if (parse.GetValue(graph) is { } format)
            {
                if (format == "dot")
                {
                    Graph.WriteDot(complete!, output);
                }
                else
                {
                    Graph.WriteSvg(complete!, output);
                }
            }
            else if (parse.GetValue(unused))
            {
                foreach (var line in Unused(complete!))
                {
                    output.WriteLine(line);
                }
            }
            else if (parse.GetValue(json))
            {
                Json.Ldd(complete!, output);
            }
            else
            {
                return Report(report, parse.GetValue(bindings), output, stderr, terminal);
            }

            return DylinkCommand.Ok;
        });
        return command;
    }

    /// <summary>
    /// glibc's <c>ldd -r</c>: the whole tree, a missing library as <c>libx.so =&gt; not found</c>, then every undefined
    /// symbol with the module that needs it; every other problem on stderr. Returns the exit status: a load failure
    /// when anything is missing, except the undefined symbols of a lone library, which the main that loads it provides.
    /// </summary>
    public static int Report(LinkReport report, bool bindings, TextWriter w, TextWriter stderr, Terminal terminal)
    {
        if (report.Plan is { } plan)
        {
            Render(plan, bindings && report.IsComplete, w, terminal, report.Missing);
        }
        else
        {
            // A module that is not a library has no layout: the tree alone, found where.
            var main = report.Modules.FirstOrDefault(m => m.IsMain);
            w.WriteLine(main is null ? "main: none (host)" : $"main: {main.Name}");
            foreach (var m in report.Modules.Where(m => !m.IsMain))
            {
                w.WriteLine($"	{m.Name} => {m.Path ?? "(bytes)"}");
            }

            foreach (var m in report.Missing)
            {
                w.WriteLine($"	{m.Name} => {MissingText(m)}");
            }
        }

        foreach (var u in report.Undefined)
        {
            w.WriteLine($"undefined symbol: {u.Symbol}\t({u.Module})");
        }

        var lone = report.Plan is { Main: { } root } p && IsLibrary(p, root);
        if (lone && report.Undefined.Count > 0)
        {
            w.WriteLine($"note: {report.Plan!.Main!.Name} is a library, not a program: the main that loads it would normally provide the undefined symbols above");
        }

        // The tree and the undefined symbols are on stdout already; the reason behind each "not found" (where it was
        // searched) and every other error go to stderr.
        var shown = report.Undefined.Select(u => u.Message).ToHashSet(StringComparer.Ordinal);
        var others = report.Errors.Where(e => !shown.Contains(e)).ToList();
        foreach (var error in others)
        {
            stderr.WriteLine($"dylink: {error}");
        }

        return others.Count > 0 || (report.Undefined.Count > 0 && !lone) ? RunCommand.LoadFailure : DylinkCommand.Ok;
    }

    /// <summary>A relocatable root without <c>_start</c>: a library (or a reactor) looked at on its own.</summary>
    private static bool IsLibrary(LinkPlan plan, PlannedModule root) =>
        plan.Kind == MainKind.Relocatable && root.Module.FindExport("_start") is null;

    private static string MissingText(MissingLibrary m) => m.NotFound ? "not found" : "cannot be loaded";

    public static void Render(LinkPlan plan, bool bindings, TextWriter w, Terminal terminal, IReadOnlyList<MissingLibrary>? missing = null)
    {
        var memory = plan.Memory;
        w.WriteLine(plan.Kind switch
        {
            MainKind.Fixed => $"main: {plan.Main!.Name} (non-PIE: owns memory, table and stack; libraries' data from its {memory.Allocator ?? "(no allocator)"})",
            // A PIE main and a side module look alike (both relocatable); only a command has _start.
            MainKind.Relocatable when IsLibrary(plan, plan.Main!) => $"root: {plan.Main!.Name} (relocatable, no _start: a library or a reactor)",
            MainKind.Relocatable => $"main: {plan.Main!.Name} (PIE)",
            _ => "main: none (host)",
        });
        // Libraries, then a PIE main (which has a region of its own in the block too), then what could not be loaded.
        var placed = plan.Modules.Where(m => !m.IsMain).Concat(plan.Main is { IsRelocatable: true } pie ? [pie] : []);
        terminal.Rows(
            w,
            ["Module", "Path", "Memory", ">Bytes", "Table", ">Slots", "TLS block"],
            placed.Select(m => new[]
            {
                m.Name, m.IsMain ? "" : m.Path ?? "(bytes)", Place(plan, m.MemoryOffset), m.MemorySize.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"+{m.TableOffset}"), m.TableSize.ToString(CultureInfo.InvariantCulture), m.TlsOffset is { } tls ? Place(plan, tls) : "",
            }).Concat((missing ?? []).Select(m => new[] { m.Name, MissingText(m), "", "", "", "", "" })),
            r => r[2].Length == 0
                ? $"\t{r[0]} => {r[1]}"
                : r[1].Length == 0
                ? $"\t{r[0]} (memory {r[2]}, {r[3]} bytes; table {r[4]}, {r[5]} slots{(r[6].Length > 0 ? "; TLS block " + r[6] : "")})"
                : $"\t{r[0]} => {r[1]} (memory {r[2]}, {r[3]} bytes; table {r[4]}, {r[5]} slots{(r[6].Length > 0 ? "; TLS block " + r[6] : "")})",
            // What goes first when the terminal is narrow: the TLS block, then the table, then the memory region.
            dropOrder: [6, 5, 4, 3, 2]);

        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"libraries' block: {memory.BlockSize} bytes, alignment {memory.BlockAlignment}; table block: {plan.TableBlockSize} slots ({plan.Slots.Count(s => s.Location == SlotLocation.Block)} function slots)"));
        if (memory.StackPointer is { } sp)
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stack: {memory.StackSize} bytes below 0x{sp:x}; heap base 0x{memory.HeapBase:x}; memory {memory.InitialPages} pages{(memory.Is64 ? " (wasm64: 64-bit memory)" : "")}{(memory.Table64 ? "; 64-bit table" : "")}"));
        }

        w.WriteLine($"instantiation order: {string.Join(", ", plan.InstantiationOrder.Select(i => plan.Modules[i].Name))}");
        w.WriteLine($"constructor order: {string.Join(", ", plan.ConstructorOrder.Select(i => plan.Modules[i].Name))}");
        foreach (var warning in plan.Warnings)
        {
            w.WriteLine($"note: {warning}");
        }

        if (bindings)
        {
            RenderBindings(plan, w);
        }
    }

    /// <summary>NEEDED entries that none of the needing module's imports is bound to: the library is loaded (and its
    /// constructors run) for nothing that module uses, though it may still provide symbols to others.</summary>
    public static IEnumerable<string> Unused(LinkPlan plan)
    {
        foreach (var m in plan.Modules)
        {
            var used = m.Imports.Select(plan.ProviderOf).OfType<int>().ToHashSet();
            foreach (var needed in m.Needed.Where(n => !used.Contains(n)))
            {
                yield return $"unused: {plan.Modules[needed].Name} (needed by {m.Name})";
            }
        }
    }

    private static string Place(LinkPlan plan, uint offset) => plan.Memory.FixedBase is { } b
        ? string.Create(CultureInfo.InvariantCulture, $"0x{b + offset:x}")
        : string.Create(CultureInfo.InvariantCulture, $"block+0x{offset:x}");

    private static void RenderBindings(LinkPlan plan, TextWriter w)
    {
        foreach (var m in plan.Modules)
        {
            w.WriteLine();
            w.WriteLine($"{m.Name}:");
            foreach (var b in m.Imports)
            {
                w.WriteLine($"\t{b.Import.Module}.{b.Import.Name} <- {Provider(plan, b)}");
            }
        }
    }

    private static string Provider(LinkPlan plan, ImportBinding binding) => binding switch
    {
        FunctionBinding { Forwarder: null } f => $"{plan.Modules[f.Provider].Name}:{f.ExportName}",
        FunctionBinding f => $"{plan.Modules[f.Provider].Name}:{f.ExportName} (through forwarding thunk {f.Forwarder})",
        GlobalBinding g => $"{plan.Modules[g.Provider].Name}:{g.ExportName}",
        DataAddressBinding d => string.Create(CultureInfo.InvariantCulture,
            $"address of {plan.Modules[d.Provider].Name}:{d.ExportName} ({(d.IsTls ? "__tls_base" : plan.Modules[d.Provider].IsRelocatable ? "__memory_base" : "absolute")} + 0x{d.Offset:x})"),
        FunctionAddressBinding a => $"table slot of {plan.Modules[plan.Slots[a.Slot].Provider].Name}:{plan.Slots[a.Slot].ExportName}",
        LayoutBinding l => string.Create(CultureInfo.InvariantCulture, $"loader layout (0x{l.Value:x})"),
        TagBinding t => $"tag {plan.Modules[t.Provider].Name}:{t.ExportName}",
        LoaderTagBinding => "tag created by the loader (shared by every importer)",
        WeakUndefinedBinding => "weak undefined (0 / traps when called)",
        HostBinding => "host",
        MemoryBinding => "the program's memory",
        TableBinding => "the program's function table",
        StackPointerBinding => "the program's stack pointer",
        MemoryBaseBinding => "its memory base",
        TableBaseBinding => "its table base",
        _ => binding.GetType().Name,
    };
}
