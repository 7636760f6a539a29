namespace Dylink.Runtime;

/// <summary>
/// Executing a link plan failed: a module did not compile or instantiate, a relocation or constructor trapped, or the
/// main module's memory or table could not take the libraries. The message names the module.
/// </summary>
public sealed class LoadException : DylinkException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="moduleName">The module that failed.</param>
    /// <param name="message">What failed, naming the module.</param>
    /// <param name="innerException">The engine's error, if any.</param>
    public LoadException(string moduleName, string message, Exception? innerException = null)
        : base(moduleName, message, innerException)
    {
    }
}
