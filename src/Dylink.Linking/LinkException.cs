namespace Dylink.Linking;

/// <summary>
/// Linking failed: a library could not be found or loaded, symbols are undefined, or an import does not match its
/// provider. <see cref="Errors"/> holds every problem found (the linker reports them all at once, as lld does);
/// the message lists them one per line.
/// </summary>
public sealed class LinkException : DylinkException
{
    /// <summary>Creates the exception from one or more errors.</summary>
    /// <param name="moduleName">The module being linked (the main module, or the library being opened).</param>
    /// <param name="errors">Every error found; at least one.</param>
    /// <param name="innerException">The underlying cause, for a single error that wraps one.</param>
    public LinkException(string moduleName, IReadOnlyList<string> errors, Exception? innerException = null)
        : base(moduleName, string.Join('\n', errors), innerException)
    {
        ArgumentOutOfRangeException.ThrowIfZero(errors.Count);
        Errors = errors;
    }

    /// <summary>Every error found, each naming the module and symbol it is about.</summary>
    public IReadOnlyList<string> Errors { get; }
}
