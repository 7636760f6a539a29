namespace Dylink.Cli;

/// <summary>
/// Where <c>run</c> and <c>precompile</c> keep compiled code: <c>--cache DIR</c>, else <c>DYLINK_CACHE</c> (set but
/// empty: no cache), else the user's own cache directory, <c>$XDG_CACHE_HOME/dylink</c> or <c>~/.cache/dylink</c>, as
/// wasmtime's command line caches by default. Without a default, every run of a program built with the kit compiles
/// libc.so again (about 0.3 s); with it, only the first.
/// </summary>
internal static class CacheLocation
{
    /// <summary>The cache directory and where it came from (<c>--cache</c>, <c>DYLINK_CACHE</c>, <c>default</c>), or
    /// null when caching is off, from the process's environment.</summary>
    public static (string Path, string Source)? Resolve(string? option) =>
        Resolve(option, Environment.GetEnvironmentVariable("DYLINK_CACHE"), Environment.GetEnvironmentVariable("XDG_CACHE_HOME"),
            Environment.GetEnvironmentVariable("HOME"));

    /// <summary>The same, from the given values of <c>--cache</c>, <c>DYLINK_CACHE</c>, <c>XDG_CACHE_HOME</c> and <c>HOME</c>.</summary>
    public static (string Path, string Source)? Resolve(string? option, string? dylinkCache, string? xdgCacheHome, string? home)
    {
        if (option is not null)
        {
            return option.Length == 0 ? null : (option, "--cache");
        }

        if (dylinkCache is not null)
        {
            return dylinkCache.Length == 0 ? null : (dylinkCache, "DYLINK_CACHE");
        }

        // XDG: a relative XDG_CACHE_HOME is invalid and ignored.
        var root = xdgCacheHome is { Length: > 0 } && Path.IsPathRooted(xdgCacheHome) ? xdgCacheHome
            : home is { Length: > 0 } ? Path.Combine(home, ".cache")
            : null;
        return root is null || !IsTheUsersAlone(Path.Combine(root, "dylink")) ? null : (Path.Combine(root, "dylink"), "default");
    }

    /// <summary>
    /// Creates the default directory (owner only) and says whether it is usable: one that cannot be created, or that
    /// others may write, leaves the default off rather than failing the run (a directory named explicitly is refused
    /// loudly instead, by the compiled-code store).
    /// </summary>
    private static bool IsTheUsersAlone(string directory)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
                return true;
            }

            // The compiled-code store's own rule (it refuses such a directory when it is named explicitly).
            Directory.CreateDirectory(directory, Dylink.Runtime.ArtifactStore.OwnerOnly);
            return !Dylink.Runtime.ArtifactStore.OthersCanWrite(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }
}
