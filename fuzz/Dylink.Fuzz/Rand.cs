using CsCheck;

namespace Dylink.Fuzz;

/// <summary>Drawing from CsCheck generators and PCG streams.</summary>
internal static class Rand
{
    /// <summary>One value of <paramref name="gen"/>.</summary>
    public static T Draw<T>(this Gen<T> gen, PCG pcg) => gen.Generate(pcg, null, out _);

    /// <summary>A number in [0, <paramref name="n"/>); 0 when <paramref name="n"/> is 0.</summary>
    public static int Below(this PCG pcg, int n) => n <= 0 ? 0 : (int)pcg.Next((uint)n);

    /// <summary>True with probability <paramref name="percent"/>/100.</summary>
    public static bool Chance(this PCG pcg, int percent) => pcg.Next(100) < (uint)percent;

    public static T Pick<T>(this PCG pcg, IReadOnlyList<T> items) => items[pcg.Below(items.Count)];

    /// <summary>A seed for input <paramref name="index"/> of a run (SplitMix64 over the run seed and the index).</summary>
    public static ulong Mix(ulong seed, ulong index)
    {
        var z = seed + ((index + 1) * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
