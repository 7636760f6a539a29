using System.Diagnostics;
using System.Text.RegularExpressions;
using Dylink.Format;
using Dylink.Linking;

namespace Dylink.Fuzz;

/// <summary>How one input ended.</summary>
internal enum Verdict
{
    /// <summary>Parsed, or planned.</summary>
    Accepted,
    /// <summary>Rejected with a <see cref="DylinkException"/>: the expected way to fail.</summary>
    Rejected,
    /// <summary>A bug: another exception type escaped, or the input allocated more than its bound.</summary>
    Finding,
}

/// <summary>The result of one input.</summary>
/// <param name="Verdict">How it ended.</param>
/// <param name="Template">The outcome with numbers, names and paths blanked: <c>parse: WasmFormatException: count N exceeds the bytes left (N)</c>.
/// Distinct templates measure how much of the reader's and the linker's logic a run reached.</param>
/// <param name="Allocated">Bytes allocated on the thread while running it.</param>
/// <param name="Signature">For a finding: what identifies the bug (kind, exception type, throwing frame).</param>
/// <param name="Detail">For a finding: the exception with its stack, or the allocation figures.</param>
internal sealed record Outcome(Verdict Verdict, string Template, long Allocated, string? Signature = null, string? Detail = null);

/// <summary>
/// The property under test: on any input, <see cref="WasmModule.Parse"/>, <see cref="ModuleSymbols.Of"/> and
/// <see cref="LinkPlanner"/> either succeed or throw a <see cref="DylinkException"/> (<see cref="WasmFormatException"/>,
/// <see cref="LinkException"/>), and allocate at most <c>factor × input bytes + slack</c>, so that no allocation is
/// sized by a length field the input cannot back.
/// </summary>
internal sealed partial class Oracle(long allocFactor, long allocSlack)
{
    public long Limit(long inputBytes) => (allocFactor * inputBytes) + allocSlack;

    // Bytes allocated by Walk's formatting during the current input on this thread.
    [ThreadStatic]
    private static long _unmeasured;

    public Outcome Run(FuzzCase c)
    {
        if (c.Kind == CaseKind.Runtime)
        {
            return RunRuntime(c);
        }

        _unmeasured = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        string template;
        Verdict verdict;
        Exception? escaped = null;
        try
        {
            template = c.Kind == CaseKind.Parse ? Parse(c.Files[0].Bytes) : Link(c);
            verdict = Verdict.Accepted;
        }
        catch (DylinkException e)
        {
            template = $"{(c.Kind == CaseKind.Parse ? "parse" : "link")}: {e.GetType().Name}: {Blank(FirstLine(e is WasmFormatException f ? f.Reason : e.Message))}";
            verdict = Verdict.Rejected;
        }
#pragma warning disable CA1031 // Catching everything is the point: any other exception is the bug being looked for.
        catch (Exception e)
#pragma warning restore CA1031
        {
            escaped = e;
            template = "";
            verdict = Verdict.Finding;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before - _unmeasured;
        if (escaped is not null)
        {
            return new Outcome(Verdict.Finding, $"crash: {escaped.GetType().Name}", allocated,
                $"crash: {escaped.GetType().FullName} at {ThrowingFrame(escaped)}", escaped.ToString());
        }

        var limit = Limit(c.InputBytes);
        if (allocated > limit)
        {
            return new Outcome(Verdict.Finding, "allocation", allocated, $"allocation: {template}",
                $"{allocated:N0} bytes allocated for {c.InputBytes:N0} bytes of input (limit {allocFactor} × N + {allocSlack:N0} = {limit:N0}); outcome: {template}");
        }

        return new Outcome(verdict, template, allocated);
    }

    /// <summary>
    /// A runtime case: a <see cref="RuntimeFinding"/> (an invariant broken, or an exception the API does not document)
    /// is the finding, named by its rule. No allocation bound: Wasmtime's own allocations are native, and the .NET ones
    /// are the linker's and the engine's fixed costs, not sized by the input.
    /// </summary>
    private static Outcome RunRuntime(FuzzCase c)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            var template = RuntimeCases.Run(c.Files[0].Bytes);
            return new Outcome(Verdict.Accepted, Blank(template), GC.GetAllocatedBytesForCurrentThread() - before);
        }
        catch (RuntimeFinding f)
        {
            return new Outcome(Verdict.Finding, $"runtime: {f.Rule}", GC.GetAllocatedBytesForCurrentThread() - before,
                $"runtime: {f.Rule}", f.InnerException is { } inner ? $"{f.Message}\n{inner}" : f.Message);
        }
#pragma warning disable CA1031 // Outside the API calls (generating the libraries): the harness's own bug, still reported.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new Outcome(Verdict.Finding, "runtime: harness", GC.GetAllocatedBytesForCurrentThread() - before,
                $"runtime: harness {e.GetType().FullName} at {ThrowingFrame(e)}", e.ToString());
        }
    }

    private static string Parse(byte[] bytes)
    {
        var module = WasmModule.Parse(bytes, "fuzz.wasm");
        Walk(module);
        return $"parse: parsed{(module.Dylink is { IsLegacy: true } ? " (legacy dylink)" : module.Dylink is null ? " (no dylink.0)" : "")}";
    }

    /// <summary>Everything a caller reads from a parsed module: symbols, signatures, names, constant expressions, and the
    /// module with its calls rewritten.</summary>
    private static void Walk(WasmModule module)
    {
        var symbols = ModuleSymbols.Of(module);

        // The rest is checked for exceptions but not counted against the allocation bound: formatting allocates in
        // proportion to what it prints, which is the CLI's business, not the loader's.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var length = symbols.Length;
        foreach (var type in module.Types)
        {
            length += type.ToString().Length;
        }

        foreach (var global in module.Globals)
        {
            length += global.Init.ToString().Length;
        }

        foreach (var segment in module.Elements)
        {
            length += segment.Offset?.ToString().Length ?? 0;
        }

        foreach (var segment in module.Data)
        {
            length += segment.Offset?.ToString().Length ?? 0;
        }

        // Index-based accessors are linear in the imports: keep to the first exports so that a walk stays linear.
        foreach (var export in module.Exports.Take(64))
        {
            if (export.Kind == ExternalKind.Function)
            {
                length += module.FunctionType(export.Index).Parameters.Length + (module.FunctionName(export.Index)?.Length ?? 0);
            }
            else if (export.Kind == ExternalKind.Global)
            {
                length += module.GlobalType(export.Index).Mutable ? 1 : 0;
            }
        }

        // The loader rewrites every module's calls before compiling it (CallTables): only a DylinkException may refuse
        // that. Its output is a copy of the module, so its allocation is not counted either.
        try
        {
            length += CallTables.Rewrite(module)?.Bytes.Length ?? 0;
        }
        catch (WasmFormatException)
        {
            length++;
        }

        GC.KeepAlive(length);
        _unmeasured += GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static string Link(FuzzCase c)
    {
        var link = c.Link!;
        var source = new InMemoryModuleSource(c.Files);

        // Every module on its own first (exceptions checked, allocations not counted: the planner parses them again).
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var file in c.Files)
        {
            try
            {
                Walk(WasmModule.Parse(file.Bytes, file.Path));
            }
            catch (DylinkException)
            {
                // Malformed modules are the planner's to report.
            }
        }

        _unmeasured = GC.GetAllocatedBytesForCurrentThread() - before;

        var options = new LinkOptions
        {
            Source = source,
            Libraries = link.Libraries,
            Preload = link.Preload,
            SearchPaths = link.SearchPaths,
            LibraryPath = link.LibraryPath,
            HostSymbols = [.. link.HostSymbols.Select(h => h.ToHostSymbol())],
        };
        var plan = link.Entry switch
        {
            LinkEntry.Hosted => LinkPlanner.PlanHosted(options),
            LinkEntry.MainBytes => LinkPlanner.Plan(Path.GetFileName(link.Main), c.Files.FirstOrDefault(f => f.Path == link.Main)?.Bytes ?? [], options),
            _ => LinkPlanner.Plan(link.Main, options),
        };
        var bindings = plan.Modules.Sum(m => m.Imports.Length);
        var summary = $"link: planned {plan.Kind}{(plan.Forwarders.Length > 0 ? ", forwarders" : "")}{(plan.Slots.Length > 0 ? ", slots" : "")}{(plan.Modules.Any(m => m.TlsOffset is not null) ? ", tls" : "")}{(bindings == 0 ? ", no imports" : "")}";
        return link.Opens.Count == 0 ? summary : summary + Open(plan, link.Opens, options);
    }

    /// <summary>
    /// The <c>dlopen</c>s a guest asks for after start-up, planned one after the other against the program's scope as
    /// the runtime keeps it (committed after each success, promoted for RTLD_GLOBAL). A rejected one is a
    /// <see cref="LinkException"/> (dlerror); the next still runs.
    /// </summary>
    private static string Open(LinkPlan initial, IReadOnlyList<CaseOpen> opens, LinkOptions options)
    {
        var nextSlot = 1u;
        uint[] Slots(LinkPlan p) => [.. p.Slots.Select(_ => nextSlot++)];
        var scope = new ProgramScope(initial, Slots(initial));
        var opened = 0;
        var failed = "";
        foreach (var open in opens)
        {
            try
            {
                var plan = LinkPlanner.PlanOpen(scope, open.Name, options, open.Fresh);
                if (plan.FirstNewModule < plan.Modules.Length)
                {
                    scope.Commit(plan, open.Global, Slots(plan));
                }

                if (open.Global && plan.Root is { } root)
                {
                    scope.Promote(root);
                }

                opened++;
            }
            catch (DylinkException e)
            {
                failed = failed.Length > 0 ? failed : $"; dlopen {e.GetType().Name}: {Blank(FirstLine(e.Message))}";
            }
        }

        return $", {opened}/{opens.Count} dlopen{failed}";
    }

    private static string FirstLine(string message) => message.Split('\n')[0];

    /// <summary>
    /// The coarser outcome a corpus keeps one input for: a link step's format errors are one outcome (the parse corpus
    /// covers them one by one), and which of several dlopens failed, or which library was not found, does not count.
    /// </summary>
    public static string CorpusKey(string template)
    {
        var s = template.Replace(" (needed by M)", "", StringComparison.Ordinal);
        if (s.StartsWith("link:", StringComparison.Ordinal))
        {
            s = MainFormatErrorPattern().Replace(s, "$1format error");
            s = LibraryFormatErrorPattern().Replace(s, "$1format error");
            s = NotFoundPattern().Replace(s, "$1M: library not found");
            s = s.Replace("N/N dlopen", "dlopen", StringComparison.Ordinal);
        }

        return s;
    }

    [GeneratedRegex(@"^(link: WasmFormatException: ).*$")]
    private static partial Regex MainFormatErrorPattern();

    [GeneratedRegex(@"(LinkException: ).*\(at offset N\).*$")]
    private static partial Regex LibraryFormatErrorPattern();

    [GeneratedRegex(@"(LinkException: )[^:]*: library not found")]
    private static partial Regex NotFoundPattern();

    /// <summary>The message with what varies between inputs blanked: paths, symbol names, signatures, quoted names, numbers.</summary>
    public static string Blank(string message)
    {
        var s = PathPattern().Replace(message, "M");
        foreach (var (pattern, replacement) in LinkErrorBlanks)
        {
            s = pattern.Replace(s, replacement);
        }

        s = QuotedPattern().Replace(s, "\"S\"");
        s = NumberPattern().Replace(s, "N");
        return s.Length > 160 ? s[..160] : s;
    }

    // The link errors' variable parts (see PlanContext, LibraryLoader): symbol names and signatures, search lists.
    private static readonly (Regex Pattern, string Replacement)[] LinkErrorBlanks =
    [
        (new(@"undefined symbol: .*? \((\w+).*$", RegexOptions.Compiled), "undefined symbol: S ($1)"),
        (new(@": [^:]*: imported as (\w+).* but .* defines (\w+).*$", RegexOptions.Compiled), ": S: imported as $1 but M defines $2"),
        (new(@": [^:]*: (thread-local in|the global is defined by|a re-exported|the address is not a constant)(.*)$", RegexOptions.Compiled), ": S: $1 …"),
        (new(@"(imports a \w+ as) .*;", RegexOptions.Compiled), "$1 S;"),
        (new(@"cannot satisfy import .* \((\w+)\)", RegexOptions.Compiled), "cannot satisfy import S ($1)"),
        (new(@"(library not found|cannot read)( \(needed by M\))?.*$", RegexOptions.Compiled), "$1$2"),
        (new(@"(invalid import kind \S+ for) .*$", RegexOptions.Compiled), "$1 S"),
        (new("(export|name) \".*?\": ", RegexOptions.Compiled), "$1 \"S\": "),
        (new("(export|name|section) \"[^\"]*$", RegexOptions.Compiled), "$1 \"S\""),
    ];

    /// <summary>
    /// The type in Dylink's own code that threw (or the first frame's, for an exception thrown by the runtime). A type,
    /// not a method: the JIT inlines small methods in one run and not in another, which would split one bug in two.
    /// </summary>
    public static string ThrowingFrame(Exception e)
    {
        var frames = new StackTrace(e, fNeedFileInfo: false).GetFrames();
        var frame = frames.FirstOrDefault(f => f.GetMethod()?.DeclaringType?.Namespace?.StartsWith("Dylink.", StringComparison.Ordinal) == true
            && f.GetMethod()?.DeclaringType?.Namespace?.StartsWith("Dylink.Fuzz", StringComparison.Ordinal) == false) ?? frames.FirstOrDefault();
        var type = frame?.GetMethod()?.DeclaringType?.FullName;
        return type is null ? "(unknown)" : type.Split('+')[0];
    }

    [GeneratedRegex(@"(\S*/)?[\w.\-$ƒ{}]*\.(so|wasm)\b")]
    private static partial Regex PathPattern();

    [GeneratedRegex("\"[^\"]*(\"|$)")]
    private static partial Regex QuotedPattern();

    [GeneratedRegex(@"0x[0-9a-fA-F]+|\d+")]
    private static partial Regex NumberPattern();
}
