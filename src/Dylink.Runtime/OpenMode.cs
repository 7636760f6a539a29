namespace Dylink.Runtime;

/// <summary><c>dlopen</c>'s mode bits (POSIX calls the argument "mode"), with musl's values: the guest ABI passes them as they are.</summary>
[Flags]
public enum OpenMode
{
    /// <summary><c>RTLD_LOCAL</c>: the library's symbols stay out of the global scope (its own dependencies still see each other).</summary>
    Local = 0,
    /// <summary><c>RTLD_LAZY</c>: accepted; every binding is made at load time anyway.</summary>
    Lazy = 1,
    /// <summary><c>RTLD_NOW</c>: bind everything at load time (always the case).</summary>
    Now = 2,
    /// <summary><c>RTLD_NOLOAD</c>: return the handle only if the library is loaded already; never load it.</summary>
    NoLoad = 4,
    /// <summary><c>RTLD_GLOBAL</c>: the library's symbols join the global scope (also promotes a library opened locally).</summary>
    Global = 256,
    /// <summary><c>RTLD_NODELETE</c>: the library is never unloaded.</summary>
    NoDelete = 4096,
}

/// <summary>A library handle, as <c>dlopen</c> returns it; the value is what a guest sees.</summary>
/// <param name="Value">The handle's value: a module index plus one, or a pseudo-handle.</param>
public readonly record struct LibraryHandle(int Value)
{
    /// <summary><c>RTLD_DEFAULT</c>: look in the global scope.</summary>
    public static LibraryHandle Default { get; } = new(0);

    /// <summary><c>RTLD_NEXT</c>: the next definition after the main module in lookup order.</summary>
    public static LibraryHandle Next { get; } = new(-1);
}
