using Dylink.Linking;
using Dylink.Runtime;

namespace SeedRebind;

/// <summary>
/// The seed scenario. People redirect <c>call_indirect</c> in wasm by overwriting function-table slots from the host;
/// here the same Rust program asks its host to swap two slots, and the host answers with Dylink's <c>Rebind</c>.
/// Then the same idea done properly: the PIC build of the program is loaded as a library and rebound from C#.
/// </summary>
public static class Program
{
    /// <summary>Runs both halves from the directory holding <c>seed.wasm</c> and <c>librust_seed.so</c>.</summary>
    public static int Main() => Run(AppContext.BaseDirectory, Console.Out);

    /// <summary>Runs the scenario, printing what happens; returns 0 when both halves give 50.</summary>
    public static int Run(string directory, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        long seed;
        using (var linker = new DynamicLinker())
        {
            // host_swap(slot, with) receives two function pointers: rebind the symbol at the first to the one at the second.
            linker.DefineFunction("host_swap", (int slot, int with) =>
            {
                var (target, replacement) = (linker.Describe(slot)!.Value.Symbol!, linker.Describe(with)!.Value.Symbol!);
                output.WriteLine($"host_swap({slot}, {with}): Rebind(\"{target}\", \"{replacement}\")");
                linker.Rebind(target, replacement);
            });
            linker.Load(Path.Combine(directory, "seed.wasm"));
            seed = linker.GetFunction<long>("watch_me")();
            output.WriteLine($"seed.wasm: watch_me() = {seed}");
        }

        long before;
        long after;
        using (var linker = new DynamicLinker())
        {
            linker.DefineFunction("host_swap", (int slot, int with) => { });
            linker.LoadLibraries(new LinkOptions { SearchPaths = [directory], Libraries = ["librust_seed.so"], Rebindable = true });
            var call = linker.GetFunction<long>("call_replace_me_indirectly");
            before = call();
            linker.Rebind("replace_me", "return_50");
            after = call();
            output.WriteLine($"librust_seed.so: call_replace_me_indirectly() = {before}, after Rebind(\"replace_me\", \"return_50\") = {after}");
        }

        return seed == 50 && after == 50 ? 0 : 1;
    }
}
