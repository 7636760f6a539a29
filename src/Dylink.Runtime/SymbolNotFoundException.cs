namespace Dylink.Runtime;

/// <summary>A lookup (<c>dlsym</c>, <see cref="DynamicLinker.GetFunction(string)"/>, …) found no definition of the
/// kind asked for. The message names the symbol and where it was looked for.</summary>
public sealed class SymbolNotFoundException : DylinkException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="symbol">The symbol looked up.</param>
    /// <param name="scope">Where it was looked for, as the message says it: "the global scope", a library's name…</param>
    /// <param name="message">The full message.</param>
    public SymbolNotFoundException(string symbol, string scope, string message)
        : base(scope, message)
    {
        Symbol = symbol;
        Scope = scope;
    }

    /// <summary>The symbol looked up.</summary>
    public string Symbol { get; }

    /// <summary>Where it was looked for: "the global scope", "RTLD_NEXT", or the library whose handle was searched.</summary>
    public string Scope { get; }
}
