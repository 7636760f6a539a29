namespace Dylink.Cli;

/// <summary>
/// Where the toolchain kit's sysroot is (kit/README.md): <c>libc.so</c>, the start files and the headers that
/// <c>dylink cc</c> compiles and links against, and whose <c>lib/wasm32-wasi</c> is the loader's default library
/// directory, as <c>/usr/lib</c> is ld.so's.
/// </summary>
internal static class Kit
{
    private static readonly Lazy<string?> Found = new(Find);

    /// <summary>The sysroot: <c>DYLINK_SYSROOT</c>, else the copy shipped next to dylink (<c>kit/sysroot</c> in the
    /// tool's directory), else the <c>kit/sysroot</c> of the checkout dylink runs from; null when there is none.</summary>
    public static string? Sysroot => Found.Value;

    /// <summary>The directory of <c>libc.so</c>, searched for libraries last; null without a kit.</summary>
    public static string? LibraryDirectory => Sysroot is { } sysroot ? Path.Combine(sysroot, "lib", "wasm32-wasi") : null;

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("DYLINK_SYSROOT") is { Length: > 0 } fromEnvironment)
        {
            // Named explicitly, it is the only candidate: one without libc.so is no kit (dylink cc says so).
            return IsKit(fromEnvironment) ? Path.GetFullPath(fromEnvironment) : null;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "kit", "sysroot");
            if (IsKit(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsKit(string sysroot) => File.Exists(Path.Combine(sysroot, "lib", "wasm32-wasi", "libc.so"));
}
