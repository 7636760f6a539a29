using System.Globalization;

namespace Dylink.Format;

/// <summary>
/// A module's bytes are not a well-formed WebAssembly module (or its <c>dylink.0</c> metadata is malformed).
/// The message names the module and the absolute byte offset of the problem:
/// <c>libfoo.so: invalid var_u32: integer too large (at offset 0x2a)</c>.
/// </summary>
public sealed class WasmFormatException : DylinkException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="moduleName">The module the bytes came from.</param>
    /// <param name="offset">Absolute offset in the module's bytes where the problem was found.</param>
    /// <param name="reason">What is wrong, without module or offset.</param>
    public WasmFormatException(string moduleName, long offset, string reason)
        : base(moduleName, string.Create(CultureInfo.InvariantCulture, $"{moduleName}: {reason} (at offset 0x{offset:x})"))
    {
        Offset = offset;
        Reason = reason;
    }

    /// <summary>Absolute byte offset of the problem within the module.</summary>
    public long Offset { get; }

    /// <summary>What is wrong, without the module name and offset.</summary>
    public string Reason { get; }
}
