namespace Dylink.Fuzz;

/// <summary>
/// Shrinks a case while a predicate still holds (the same finding, or the same outcome): drops files and list entries
/// of a link case; then, in each module, drops whole sections, deletes chunks inside each section's payload with the
/// section size re-encoded (and the vector count lowered by one, so that dropping one element keeps the section
/// well-formed), halving the chunk down to one byte; then deletes raw chunks of whatever is left (ddmin without the
/// complement step).
/// </summary>
internal static class Minimizer
{
    public static FuzzCase Minimize(FuzzCase c, Func<FuzzCase, bool> holds, int budget)
    {
        var attempts = 0;
        bool More() => attempts < budget;
        bool Try(FuzzCase candidate)
        {
            attempts++;
            return holds(candidate);
        }

        if (c.Kind == CaseKind.Link)
        {
            for (var i = c.Files.Count - 1; i >= 0 && More(); i--)
            {
                var files = c.Files.Where((_, k) => k != i).ToList();
                if (c.Files[i].Path != c.Link!.Main && Try(c with { Files = files }))
                {
                    c = c with { Files = files };
                }
            }

            c = ShrinkLists(c, Try, More);
        }

        for (var f = 0; f < c.Files.Count && More(); f++)
        {
            var index = f;
            FuzzCase With(byte[] bytes) => c with { Files = [.. c.Files.Select((file, k) => k == index ? file with { Bytes = bytes } : file)] };
            bool Accept(byte[] candidate)
            {
                if (!Try(With(candidate)))
                {
                    return false;
                }

                c = With(candidate);
                return true;
            }

            // A runtime case's bytes are decisions, not a module: only raw chunks mean anything.
            var bytes = c.Kind == CaseKind.Runtime ? c.Files[f].Bytes : ShrinkSections(c.Files[f].Bytes, Accept, More);
            ShrinkBytes(bytes, Accept, More);
        }

        return c;
    }

    private static void ShrinkBytes(byte[] bytes, Func<byte[], bool> accept, Func<bool> more)
    {
        for (var chunk = Math.Max(1, bytes.Length / 2); chunk >= 1 && more(); chunk /= 2)
        {
            for (var at = 0; at < bytes.Length && more();)
            {
                byte[] candidate = [.. bytes.AsSpan(0, at), .. bytes.AsSpan(Math.Min(bytes.Length, at + chunk))];
                if (accept(candidate))
                {
                    bytes = candidate;
                }
                else
                {
                    at += chunk;
                }
            }
        }
    }

    private static byte[] ShrinkSections(byte[] bytes, Func<byte[], bool> accept, Func<bool> more) =>
        bytes.Length >= 8 ? ShrinkFrames(bytes, 8, subsections: false, accept, more) : bytes;

    /// <summary>
    /// Shrinks a run of frames — id byte, u32 size, payload: a module's sections after its header, or the subsections of
    /// a <c>dylink.0</c> or <c>name</c> section after its name — that follows <paramref name="prefixLength"/> bytes.
    /// Returns the smallest accepted form (or the input).
    /// </summary>
    private static byte[] ShrinkFrames(byte[] bytes, int prefixLength, bool subsections, Func<byte[], bool> accept, Func<bool> more)
    {
        var frames = new List<(byte Id, byte[] Payload)>();
        for (var p = prefixLength; p < bytes.Length;)
        {
            var length = Mutator.WasmLebLength(bytes, p + 1);
            if (p + 1 + length > bytes.Length)
            {
                return bytes;
            }

            ulong size = 0;
            for (var k = 0; k < length && k < 5; k++)
            {
                size |= (ulong)(bytes[p + 1 + k] & 0x7f) << (7 * k);
            }

            if (size > (ulong)(bytes.Length - p - 1 - length))
            {
                return bytes;
            }

            frames.Add((bytes[p], bytes[(p + 1 + length)..(p + 1 + length + (int)size)]));
            p += 1 + length + (int)size;
        }

        var prefix = bytes[..prefixLength];
        byte[] Build(List<(byte Id, byte[] Payload)> list)
        {
            var w = new WasmWriter().Bytes(prefix);
            foreach (var (id, payload) in list)
            {
                w.Byte(id).Sized(payload);
            }

            return w.ToArray();
        }

        for (var i = frames.Count - 1; i >= 0 && more(); i--)
        {
            var without = frames.Where((_, k) => k != i).ToList();
            var candidate = Build(without);
            if (accept(candidate))
            {
                frames = without;
                bytes = candidate;
            }
        }

        for (var i = 0; i < frames.Count && more(); i++)
        {
            var index = i;
            bool AcceptPayload(byte[] payload)
            {
                var list = frames.ToList();
                list[index] = (frames[index].Id, payload);
                var candidate = Build(list);
                if (!accept(candidate))
                {
                    return false;
                }

                frames = list;
                bytes = candidate;
                return true;
            }

            var (id, current) = frames[i];
            if (!subsections && id == 0 && CustomName(current) is ("dylink.0" or "name", var nameLength))
            {
                current = ShrinkFrames(current, nameLength, subsections: true, AcceptPayload, more);
            }

            // Where the payload opens with a vector count: sections other than custom ones, and NEEDED, EXPORT_INFO,
            // IMPORT_INFO, RUNTIME_PATH subsections.
            var counted = subsections ? id is >= 2 and <= 5 : id != 0;
            ShrinkPayload(current, counted, AcceptPayload, more);
        }

        return bytes;
    }

    private static (string Name, int Length)? CustomName(byte[] payload)
    {
        if (payload.Length == 0 || payload[0] >= 0x80 || payload[0] + 1 > payload.Length)
        {
            return null;
        }

        return (System.Text.Encoding.UTF8.GetString(payload, 1, payload[0]), payload[0] + 1);
    }

    /// <summary>Deletes chunks of a payload, halving the chunk; small chunks are tried at every offset.</summary>
    private static void ShrinkPayload(byte[] payload, bool counted, Func<byte[], bool> accept, Func<bool> more)
    {
        for (var chunk = Math.Max(1, payload.Length / 2); chunk >= 1 && more(); chunk /= 2)
        {
            var step = chunk >= 64 ? chunk : 1;
            for (var at = 0; at < payload.Length && more();)
            {
                byte[] shorter = [.. payload.AsSpan(0, at), .. payload.AsSpan(Math.Min(payload.Length, at + chunk))];
                byte[]? accepted = null;
                if (accept(shorter))
                {
                    accepted = shorter;
                }
                else if (counted && at > 0 && LowerCount(shorter) is { } lowered && more() && accept(lowered))
                {
                    accepted = lowered;
                }

                if (accepted is not null)
                {
                    payload = accepted;
                }
                else
                {
                    at += step;
                }
            }
        }
    }

    /// <summary>The payload with its leading vector count lowered by one; null when it is zero.</summary>
    private static byte[]? LowerCount(byte[] payload)
    {
        if (payload.Length == 0)
        {
            return null;
        }

        var length = Mutator.WasmLebLength(payload, 0);
        ulong count = 0;
        for (var k = 0; k < length && k < 5; k++)
        {
            count |= (ulong)(payload[k] & 0x7f) << (7 * k);
        }

        return count == 0 ? null : [.. WasmWriter.Leb(count - 1), .. payload.AsSpan(length)];
    }

    private static FuzzCase ShrinkLists(FuzzCase c, Func<FuzzCase, bool> test, Func<bool> more)
    {
        var link = c.Link!;
        LinkConfig[] Candidates(LinkConfig l) =>
        [
            .. l.Libraries.Select((_, i) => l with { Libraries = [.. l.Libraries.Where((_, k) => k != i)] }),
            .. l.Preload.Select((_, i) => l with { Preload = [.. l.Preload.Where((_, k) => k != i)] }),
            .. l.HostSymbols.Select((_, i) => l with { HostSymbols = [.. l.HostSymbols.Where((_, k) => k != i)] }),
            .. l.LibraryPath.Select((_, i) => l with { LibraryPath = [.. l.LibraryPath.Where((_, k) => k != i)] }),
            .. l.SearchPaths.Select((_, i) => l with { SearchPaths = [.. l.SearchPaths.Where((_, k) => k != i)] }),
            .. l.Opens.Select((_, i) => l with { Opens = [.. l.Opens.Where((_, k) => k != i)] }),
        ];
        var changed = true;
        while (changed && more())
        {
            changed = false;
            foreach (var candidate in Candidates(link))
            {
                if (!more())
                {
                    break;
                }

                if (test(c with { Link = candidate }))
                {
                    link = candidate;
                    c = c with { Link = link };
                    changed = true;
                    break;
                }
            }
        }

        return c;
    }
}
