namespace Dylink.Runtime;

/// <summary><see cref="OpenMode.NoLoad"/> asked for a library that is not loaded.</summary>
public sealed class LibraryNotLoadedException(string library)
    : DylinkException(library, $"{library}: not loaded (RTLD_NOLOAD)")
{
}
