using Dylink.Linking;
using Dylink.Runtime;

namespace PluginHost;

/// <summary>
/// A C# application with wasm plugins. Each plugin is a side module that needs a shared SDK library
/// (<c>libsdk.so</c>, in its NEEDED list): the SDK is loaded once and both plugins share its code and data. The host
/// gives the SDK one function, <c>host_log</c>; it opens every plugin <see cref="OpenMode.Local"/> so that each
/// plugin's <c>plugin_name</c>/<c>plugin_run</c> stays its own, calls them through their handles, and closes them,
/// which unloads the plugins and then the SDK.
/// </summary>
public static class Program
{
    private static readonly string[] Plugins = ["libgreet.so", "libstats.so"];
    private static readonly int[] Inputs = [7, 5];

    /// <summary>Runs the host on the plugins next to the executable (or in the directory given).</summary>
    public static int Main(string[] args) =>
        Run(args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "plugins"), Console.Out);

    /// <summary>Loads, runs and unloads the plugins in <paramref name="pluginDirectory"/>; returns 0 on success.</summary>
    public static int Run(string pluginDirectory, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var linker = new DynamicLinker();
        // Host functions are defined before loading: libraries' imports are bound when they are instantiated.
        linker.DefineFunction("host_log", (int text, int length) =>
            output.WriteLine($"  [wasm] {linker.Memory.ReadString(text, length)}"));
        // No libraries at start-up: an empty program (the loader's memory, table and stack) to open plugins into.
        linker.LoadLibraries(new LinkOptions { SearchPaths = [pluginDirectory] });

        var plugins = new List<LibraryHandle>();
        foreach (var file in Plugins)
        {
            var handle = linker.Open(file, OpenMode.Now | OpenMode.Local);   // NEEDED libsdk.so comes along
            var name = linker.Memory.ReadNullTerminatedString(linker.GetFunction(handle, "plugin_name").WrapFunc<int>()!());
            output.WriteLine($"loaded {file}: plugin \"{name}\"");
            plugins.Add(handle);
        }

        // Both plugins registered with the one SDK: its data is shared, and the count says so.
        var count = linker.GetFunction(plugins[0], "sdk_plugin_count").WrapFunc<int>()!();
        output.WriteLine($"the SDK has {count} plugins registered");

        // greet publishes an event through the SDK; stats subscribed with a function pointer and handles it.
        foreach (var (handle, input) in plugins.Zip(Inputs))
        {
            var run = linker.GetFunction(handle, "plugin_run").WrapFunc<int, int>()!;
            output.WriteLine($"plugin_run({input}) = {run(input)}");
        }

        foreach (var handle in plugins)
        {
            linker.Close(handle);
        }

        output.WriteLine($"closed both plugins: {linker.UnloadedInstances} modules unloaded (the plugins, then the SDK)");
        return count == 2 && linker.UnloadedInstances == 3 ? 0 : 1;
    }
}
