namespace Dylink.Runtime;

/// <summary>
/// What a <see cref="DynamicLinker.Rebind(string, string)"/> reached. Function pointers, forwarded calls and calls through
/// the callers' call tables (<see cref="DynamicLinkerOptions.CallTables"/>) always follow a rebind; a module whose calls
/// were not rewritten and that was loaded without <see cref="Linking.LinkOptions.Rebindable"/> calls its imports
/// directly, and those calls keep reaching the original — those modules are listed here, so a rebind is never partial
/// without saying so.
/// </summary>
/// <param name="NotFollowing">Modules whose direct calls keep reaching the original function.</param>
public sealed record RebindResult(IReadOnlyList<string> NotFollowing)
{
    /// <summary>True when every caller outside the function's own module reaches the replacement.</summary>
    public bool Complete => NotFollowing.Count == 0;
}
