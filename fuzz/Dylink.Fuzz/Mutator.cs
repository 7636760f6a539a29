using System.Text;
using CsCheck;

namespace Dylink.Fuzz;

/// <summary>
/// Mutations of a module's bytes: bit flips, byte sets, insertions, deletions, duplications, splices with other
/// modules, mutations aimed at LEB128 fields (section sizes, vector counts, subsection sizes, name lengths: lying
/// values, over-long encodings, unterminated <c>0x80</c>/<c>0xff</c> runs) and at whole sections (drop, duplicate,
/// swap, move to the front, transplant from another module).
/// </summary>
internal static class Mutator
{
    /// <summary>Mutated modules are cut to this size so that repeated duplication cannot grow them without bound.</summary>
    public const int MaxSize = 256 * 1024;

    private enum Op
    {
        FlipBit,
        SetByte,
        InterestingByte,
        Insert,
        Delete,
        Duplicate,
        Crossover,
        InsertChunk,
        Leb,
        LebRun,
        Section,
        Truncate,
    }

    private enum SectionOp
    {
        Drop,
        Duplicate,
        Swap,
        MoveFirst,
        Transplant,
    }

    private static readonly byte[] InterestingBytes =
        [0x00, 0x01, 0x02, 0x04, 0x0b, 0x0d, 0x10, 0x20, 0x23, 0x3f, 0x40, 0x41, 0x42, 0x60, 0x6f, 0x70, 0x7b, 0x7f, 0x80, 0x81, 0xd0, 0xd2, 0xfe, 0xff];

    private static readonly int[] OverLongLengths = [5, 6, 10];

    private static readonly ulong[] InterestingValues =
    [
        0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0xffff, 0x10000,
        0x1fffff, 0x200000, 0xfffffff, 0x10000000, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
        0x100000000, 0x7fffffffffffffff, ulong.MaxValue,
    ];

    private static readonly Gen<Op> OpGen = Gen.Frequency(
        (6, Op.FlipBit), (4, Op.SetByte), (4, Op.InterestingByte), (3, Op.Insert), (3, Op.Delete), (2, Op.Duplicate),
        (2, Op.Crossover), (2, Op.InsertChunk), (10, Op.Leb), (4, Op.LebRun), (5, Op.Section), (1, Op.Truncate));

    private static readonly Gen<SectionOp> SectionOpGen = Gen.Frequency(
        (3, SectionOp.Drop), (3, SectionOp.Duplicate), (3, SectionOp.Swap), (2, SectionOp.MoveFirst), (3, SectionOp.Transplant));

    private static readonly Gen<int> RoundsGen = Gen.Frequency((50, 1), (25, 2), (15, 3), (7, 5), (3, 10));

    /// <summary>Applies one to ten random mutations; <paramref name="pool"/> supplies splice partners.</summary>
    public static byte[] Mutate(byte[] input, PCG pcg, IReadOnlyList<byte[]> pool, int? rounds = null)
    {
        var bytes = input;
        var n = rounds ?? RoundsGen.Draw(pcg);
        for (var i = 0; i < n; i++)
        {
            bytes = MutateOnce(bytes, pcg, pool);
        }

        return bytes.Length > MaxSize ? bytes[..MaxSize] : bytes;
    }

    private static byte[] MutateOnce(byte[] b, PCG pcg, IReadOnlyList<byte[]> pool)
    {
        if (b.Length == 0)
        {
            var seed = pcg.Pick(pool);
            return seed[..Math.Min(16, seed.Length)];
        }

        switch (OpGen.Draw(pcg))
        {
            case Op.FlipBit:
                {
                    var copy = (byte[])b.Clone();
                    copy[pcg.Below(copy.Length)] ^= (byte)(1 << pcg.Below(8));
                    return copy;
                }

            case Op.SetByte:
                {
                    var copy = (byte[])b.Clone();
                    copy[pcg.Below(copy.Length)] = (byte)pcg.Next(256);
                    return copy;
                }

            case Op.InterestingByte:
                {
                    var copy = (byte[])b.Clone();
                    copy[pcg.Below(copy.Length)] = pcg.Pick(InterestingBytes);
                    return copy;
                }

            case Op.Insert:
                {
                    var count = 1 + pcg.Below(16);
                    var insert = new byte[count];
                    for (var i = 0; i < count; i++)
                    {
                        insert[i] = pcg.Chance(50) ? pcg.Pick(InterestingBytes) : (byte)pcg.Next(256);
                    }

                    return Replace(b, pcg.Below(b.Length + 1), 0, insert);
                }

            case Op.Delete:
                {
                    var at = pcg.Below(b.Length);
                    var count = 1 + pcg.Below(Math.Min(b.Length - at, pcg.Chance(80) ? 16 : Math.Max(1, b.Length / 4)));
                    return Replace(b, at, count, []);
                }

            case Op.Duplicate:
                {
                    var at = pcg.Below(b.Length);
                    var count = 1 + pcg.Below(Math.Min(b.Length - at, 256));
                    return Replace(b, pcg.Below(b.Length + 1), 0, b.AsSpan(at, count));
                }

            case Op.Crossover:
                {
                    // This module's head, another's tail: often at section boundaries, so that whole sections move.
                    var other = pcg.Pick(pool);
                    var cut = PickBoundary(b, pcg);
                    var from = PickBoundary(other, pcg);
                    return Concat(b.AsSpan(0, cut), other.AsSpan(from));
                }

            case Op.InsertChunk:
                {
                    var other = pcg.Pick(pool);
                    if (other.Length == 0)
                    {
                        return b;
                    }

                    var at = pcg.Below(other.Length);
                    var count = 1 + pcg.Below(Math.Min(other.Length - at, 512));
                    return Replace(b, pcg.Below(b.Length + 1), 0, other.AsSpan(at, count));
                }

            case Op.Leb:
                return MutateLeb(b, pcg);
            case Op.LebRun:
                {
                    // An unterminated or over-long run: 0x80 (continue, zero bits) or 0xff (continue, all bits set).
                    var site = PickLebSite(b, pcg);
                    var run = Enumerable.Repeat(pcg.Chance(50) ? (byte)0x80 : (byte)0xff, 1 + pcg.Below(12)).ToArray();
                    return pcg.Chance(50) ? Replace(b, site.Offset, site.Length, run) : Replace(b, site.Offset, 0, run);
                }

            case Op.Section:
                return MutateSection(b, pcg, pool);
            default:
                return b[..pcg.Below(b.Length)];
        }
    }

    private static byte[] MutateLeb(byte[] b, PCG pcg)
    {
        var site = PickLebSite(b, pcg);
        var value = DecodeLeb(b, site.Offset, site.Length);
        byte[] replacement;
        switch (pcg.Below(7))
        {
            case 0:
                replacement = WasmWriter.Leb(unchecked(value + (ulong)(pcg.Below(5) - 2)));
                break;
            case 1:
                replacement = WasmWriter.Leb(pcg.Pick(InterestingValues));
                break;
            case 2:
                // The bytes left after the field, give or take one: sizes that just fit or just overrun.
                replacement = WasmWriter.Leb((ulong)(b.Length - site.Offset - site.Length + pcg.Below(3) - 1));
                break;
            case 3:
                // The same value, over-long: padded with continuation bytes to 5, 6 or 10 bytes.
                replacement = OverLong(value, pcg.Pick(OverLongLengths));
                break;
            case 4:
                replacement = pcg.Pick(new byte[][] { [0xff, 0xff, 0xff, 0xff, 0x0f], [0xff, 0xff, 0xff, 0xff, 0x7f], [0x80, 0x80, 0x80, 0x80, 0x10], [0xff, 0xff, 0xff, 0xff, 0x1f] });
                break;
            case 5:
                replacement = WasmWriter.Leb(value * 2 + 1);
                break;
            default:
                replacement = WasmWriter.Leb(value / 2);
                break;
        }

        return Replace(b, site.Offset, site.Length, replacement);
    }

    private static byte[] OverLong(ulong value, int length)
    {
        var canonical = WasmWriter.Leb(value);
        if (canonical.Length >= length)
        {
            return canonical;
        }

        var result = new byte[length];
        canonical.CopyTo(result, 0);
        for (var i = 0; i < length - 1; i++)
        {
            result[i] |= 0x80;
        }

        result[length - 1] &= 0x7f;
        return result;
    }

    private static byte[] MutateSection(byte[] b, PCG pcg, IReadOnlyList<byte[]> pool)
    {
        var sections = Sections(b);
        if (sections.Count == 0)
        {
            return b;
        }

        var (start, end) = pcg.Pick(sections);
        switch (SectionOpGen.Draw(pcg))
        {
            case SectionOp.Drop:
                return Replace(b, start, end - start, []);
            case SectionOp.Duplicate:
                {
                    var (_, at) = pcg.Pick(sections);
                    return Replace(b, at, 0, b.AsSpan(start, end - start));
                }

            case SectionOp.Swap:
                {
                    var (s2, e2) = pcg.Pick(sections);
                    if (s2 == start)
                    {
                        return b;
                    }

                    var (first, second) = start < s2 ? ((start, end), (s2, e2)) : ((s2, e2), (start, end));
                    return Concat(b.AsSpan(0, first.Item1), b.AsSpan(second.Item1, second.Item2 - second.Item1),
                        b.AsSpan(first.Item2, second.Item1 - first.Item2), b.AsSpan(first.Item1, first.Item2 - first.Item1), b.AsSpan(second.Item2));
                }

            case SectionOp.MoveFirst:
                {
                    var first = sections[0].Start;
                    return Concat(b.AsSpan(0, first), b.AsSpan(start, end - start), b.AsSpan(first, start - first), b.AsSpan(end));
                }

            default:
                {
                    var other = pcg.Pick(pool);
                    var otherSections = Sections(other);
                    if (otherSections.Count == 0)
                    {
                        return b;
                    }

                    var (os, oe) = pcg.Pick(otherSections);
                    return pcg.Chance(50) ? Replace(b, start, end - start, other.AsSpan(os, oe - os)) : Replace(b, end, 0, other.AsSpan(os, oe - os));
                }
        }
    }

    private static int PickBoundary(byte[] b, PCG pcg)
    {
        if (pcg.Chance(60) && Sections(b) is { Count: > 0 } sections)
        {
            return pcg.Pick(sections).Start;
        }

        return pcg.Below(b.Length + 1);
    }

    private static LebSite PickLebSite(byte[] b, PCG pcg)
    {
        if (pcg.Chance(75) && LebSites(b) is { Count: > 0 } sites)
        {
            return pcg.Pick(sites);
        }

        // Any position may start a LEB field the scan does not know (segment counts, indices, limits, ...).
        var at = pcg.Below(b.Length);
        var length = 1;
        while (at + length - 1 < b.Length && (b[at + length - 1] & 0x80) != 0 && length < 10)
        {
            length++;
        }

        return new LebSite(at, Math.Min(length, b.Length - at));
    }

    private static byte[] Replace(byte[] b, int at, int count, ReadOnlySpan<byte> with) =>
        Concat(b.AsSpan(0, at), with, b.AsSpan(at + count));

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c = default, ReadOnlySpan<byte> d = default, ReadOnlySpan<byte> e = default)
    {
        var result = new byte[a.Length + b.Length + c.Length + d.Length + e.Length];
        var span = result.AsSpan();
        a.CopyTo(span);
        b.CopyTo(span[a.Length..]);
        c.CopyTo(span[(a.Length + b.Length)..]);
        d.CopyTo(span[(a.Length + b.Length + c.Length)..]);
        e.CopyTo(span[(a.Length + b.Length + c.Length + d.Length)..]);
        return result;
    }

    private static ulong DecodeLeb(byte[] b, int at, int length)
    {
        ulong value = 0;
        for (var i = 0; i < length && i < 10; i++)
        {
            value |= (ulong)(b[at + i] & 0x7f) << (7 * i);
        }

        return value;
    }

    /// <summary>The length of the LEB128 field at <paramref name="at"/> (to the end of the data if it does not end).</summary>
    public static int WasmLebLength(byte[] b, int at)
    {
        var length = 1;
        while (at + length - 1 < b.Length - 1 && (b[at + length - 1] & 0x80) != 0)
        {
            length++;
        }

        return length;
    }

    private static bool TryLeb(byte[] b, int at, out ulong value, out int length)
    {
        value = 0;
        length = 0;
        while (at + length < b.Length && length < 10)
        {
            var x = b[at + length];
            value |= (ulong)(x & 0x7f) << (7 * length);
            length++;
            if ((x & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The sections found by a lenient walk (id byte to end of payload); stops at the first that does not fit.</summary>
    public static List<(int Start, int End)> Sections(byte[] b)
    {
        var result = new List<(int, int)>();
        var p = 8;
        while (p < b.Length)
        {
            if (!TryLeb(b, p + 1, out var size, out var length) || p + 1 + length > b.Length || size > (ulong)(b.Length - p - 1 - length))
            {
                break;
            }

            var end = p + 1 + length + (int)size;
            result.Add((p, end));
            p = end;
        }

        return result;
    }

    /// <summary>A LEB128 field the lenient walk found.</summary>
    public readonly record struct LebSite(int Offset, int Length);

    /// <summary>
    /// LEB128 fields whose values size or count something: every section size, the count opening each vector section,
    /// each function body size, custom section name lengths, and in <c>dylink.0</c> and <c>name</c> every subsection
    /// size plus the count (or name length) that opens it.
    /// </summary>
    public static List<LebSite> LebSites(byte[] b)
    {
        var sites = new List<LebSite>();
        foreach (var (start, end) in Sections(b))
        {
            var id = b[start];
            TryLeb(b, start + 1, out _, out var sizeLength);
            sites.Add(new LebSite(start + 1, sizeLength));
            var q = start + 1 + sizeLength;
            if (!TryLeb(b, q, out var first, out var firstLength) || q + firstLength > end)
            {
                continue;
            }

            sites.Add(new LebSite(q, firstLength));
            q += firstLength;
            if (id == 0)
            {
                if (first > (ulong)(end - q))
                {
                    continue;
                }

                var name = Encoding.UTF8.GetString(b, q, (int)first);
                q += (int)first;
                if (name is "dylink.0" or "name")
                {
                    Subsections(b, q, end, sites);
                }
                else if (name == "dylink" && TryLeb(b, q, out _, out var l))
                {
                    sites.Add(new LebSite(q, l));
                }
            }
            else if (id == 10)
            {
                for (var i = 0; i < 64 && q < end && TryLeb(b, q, out var bodySize, out var l) && q + l <= end; i++)
                {
                    sites.Add(new LebSite(q, l));
                    q += l + (int)Math.Min(bodySize, (ulong)(end - q - l));
                }
            }
            else if (q < end && TryLeb(b, q, out _, out var l))
            {
                // The first field of the first element: a name length, a flags word, a body size.
                sites.Add(new LebSite(q, l));
            }
        }

        return sites;
    }

    private static void Subsections(byte[] b, int q, int end, List<LebSite> sites)
    {
        while (q + 1 < end)
        {
            q++; // type / id byte
            if (!TryLeb(b, q, out var size, out var l) || q + l > end || size > (ulong)(end - q - l))
            {
                return;
            }

            sites.Add(new LebSite(q, l));
            q += l;
            if (size > 0 && TryLeb(b, q, out _, out var countLength))
            {
                sites.Add(new LebSite(q, countLength));
            }

            q += (int)size;
        }
    }
}
