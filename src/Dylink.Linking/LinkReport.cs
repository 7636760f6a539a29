namespace Dylink.Linking;

/// <summary>Who asked for the library a <c>dlopen</c>-style plan (<see cref="LinkPlanner.PlanOpen"/>) loads, so that its
/// messages blame the request rather than the main module its search starts from.</summary>
public enum LibraryRequester
{
    /// <summary>The host's C# <c>Open</c> call.</summary>
    Open,
    /// <summary>The guest's <c>dlopen</c> call.</summary>
    Dlopen,
}

/// <summary>A library of the program that could not be loaded.</summary>
/// <param name="Name">The name it was asked for by (NEEDED entry, <c>-l</c> argument, <c>dlopen</c> name).</param>
/// <param name="RequestedBy">Who asked: a module's name (NEEDED), or <c>-l</c>, <c>--preload</c>, <c>Open</c>, <c>dlopen</c>.</param>
/// <param name="NotFound">True when no file was found; false when one was found but refused or malformed.</param>
/// <param name="Message">The error, as <see cref="LinkException.Errors"/> has it.</param>
public sealed record MissingLibrary(string Name, string? RequestedBy, bool NotFound, string Message);

/// <summary>An import no module (nor the host) defines, and that is not weak.</summary>
/// <param name="Module">The name of the module that imports it.</param>
/// <param name="Symbol">The symbol's name.</param>
/// <param name="What">What was expected: <c>function (i32) -> i32</c>, <c>data</c>, <c>global i64</c>, …</param>
/// <param name="Message">The error, as <see cref="LinkException.Errors"/> has it.</param>
public sealed record UndefinedSymbol(string Module, string Symbol, string What, string Message);

/// <summary>A module a report saw: loaded, found where, and for whom.</summary>
/// <param name="Name">The name it was asked for by.</param>
/// <param name="Path">Where it was found; null for a module given as bytes.</param>
/// <param name="IsMain">True for the main module.</param>
/// <param name="NeededBy">The module whose NEEDED list first named it (the main for <c>-l</c> libraries).</param>
public sealed record ReportedModule(string Name, string? Path, bool IsMain, string? NeededBy);

/// <summary>
/// What <see cref="LinkPlanner.Inspect(string, LinkOptions)"/> found: everything it could load, every library it could
/// not, every undefined symbol and every other error — all at once, where <see cref="LinkPlanner.Plan(string, LinkOptions)"/>
/// would stop at the first stage that fails. Meant for showing (<c>dylink ldd</c>), never for executing.
/// </summary>
/// <param name="Modules">Every module loaded, in load order (the main among them).</param>
/// <param name="Plan">The plan as far as it could be made: null when a loaded module cannot be laid out at all (it is
/// not a shared library). When <see cref="Errors"/> is not empty its undefined imports are bound as weak undefined
/// placeholders, so it must not be executed.</param>
/// <param name="Missing">The libraries that could not be loaded.</param>
/// <param name="Undefined">The undefined symbols, with the module that needs each.</param>
/// <param name="Errors">Every error, the two lists above included, each once, in the order found.</param>
public sealed record LinkReport(
    IReadOnlyList<ReportedModule> Modules,
    LinkPlan? Plan,
    IReadOnlyList<MissingLibrary> Missing,
    IReadOnlyList<UndefinedSymbol> Undefined,
    IReadOnlyList<string> Errors)
{
    /// <summary>True when the program would load: no error at all.</summary>
    public bool IsComplete => Errors.Count == 0;
}
