namespace Dylink;

/// <summary>
/// The root of every error Dylink reports about its input: a malformed module, an unresolved symbol,
/// a library that cannot be found. Callers that only want to know "the input was bad" catch this one type.
/// </summary>
public class DylinkException : Exception
{
    /// <summary>Creates an exception about <paramref name="moduleName"/>.</summary>
    /// <param name="moduleName">The module (file name or caller-given name) the error is about.</param>
    /// <param name="message">The full message, already naming the module.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public DylinkException(string moduleName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ModuleName = moduleName;
    }

    /// <summary>The module the error is about.</summary>
    public string ModuleName { get; }
}
