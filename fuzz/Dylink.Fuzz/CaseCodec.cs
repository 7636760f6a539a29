using System.Text;
using Dylink.Format;

namespace Dylink.Fuzz;

/// <summary>
/// Reads and writes cases as files. A parse case is the module's bytes as they are (<c>.wasm</c>). A link case is a
/// <c>.link</c> container: the magic line <c>dylink-fuzz-link 1\n</c>, then, in wasm's own encodings (u32 LEB128,
/// length-prefixed UTF-8 names): entry byte, main path, the name lists (libraries, preload, search paths, library
/// path), host symbols (name, parameter type bytes, result type bytes), the files (path, unreadable flag, bytes), then
/// the dlopen requests (name, flags: 1 global, 2 fresh).
/// </summary>
internal static class CaseCodec
{
    private static readonly byte[] LinkMagic = Encoding.ASCII.GetBytes("dylink-fuzz-link 1\n");

    // A runtime case (.rt): this line, then the decision bytes as they are.
    private static readonly byte[] RuntimeMagic = Encoding.ASCII.GetBytes("dylink-fuzz-runtime 1\n");

    public static byte[] Encode(FuzzCase c)
    {
        if (c.Kind == CaseKind.Parse)
        {
            return c.Files[0].Bytes;
        }

        if (c.Kind == CaseKind.Runtime)
        {
            return [.. RuntimeMagic, .. c.Files[0].Bytes];
        }

        var link = c.Link!;
        var w = new WasmWriter().Bytes(LinkMagic).Byte((byte)link.Entry).Name(link.Main);
        foreach (var list in new[] { link.Libraries, link.Preload, link.SearchPaths, link.LibraryPath })
        {
            w.U32((uint)list.Count);
            foreach (var s in list)
            {
                w.Name(s);
            }
        }

        w.U32((uint)link.HostSymbols.Count);
        foreach (var h in link.HostSymbols)
        {
            w.Name(h.Name).Sized(h.Parameters).Sized(h.Results);
        }

        w.U32((uint)c.Files.Count);
        foreach (var f in c.Files)
        {
            w.Name(f.Path).Byte(f.Unreadable ? (byte)1 : (byte)0).Sized(f.Bytes);
        }

        w.U32((uint)link.Opens.Count);
        foreach (var o in link.Opens)
        {
            w.Name(o.Name).Byte((byte)((o.Global ? 1 : 0) | (o.Fresh ? 2 : 0)));
        }

        return w.ToArray();
    }

    /// <summary>Decodes a file written by <see cref="Encode"/>: a <c>.link</c> container, or else a module to parse.</summary>
    /// <exception cref="InvalidDataException">A <c>.link</c> container is malformed.</exception>
    public static FuzzCase Decode(byte[] bytes)
    {
        if (bytes.AsSpan().StartsWith(RuntimeMagic))
        {
            return FuzzCase.RuntimeOf(bytes[RuntimeMagic.Length..]);
        }

        if (!bytes.AsSpan().StartsWith(LinkMagic))
        {
            return FuzzCase.ParseOf(bytes);
        }

        try
        {
            var r = new WasmReader(bytes.AsSpan(LinkMagic.Length), "link container");
            var entry = (LinkEntry)r.ReadByte();
            var main = r.ReadName();
            var lists = new List<string[]>();
            for (var i = 0; i < 4; i++)
            {
                var list = new string[r.ReadCount()];
                for (var j = 0; j < list.Length; j++)
                {
                    list[j] = r.ReadName();
                }

                lists.Add(list);
            }

            var hosts = new CaseHostSymbol[r.ReadCount()];
            for (var i = 0; i < hosts.Length; i++)
            {
                var name = r.ReadName();
                var parameters = r.ReadSizedReader();
                var p = parameters.ReadBytes(parameters.Remaining).ToArray();
                var results = r.ReadSizedReader();
                hosts[i] = new CaseHostSymbol(name, p, results.ReadBytes(results.Remaining).ToArray());
            }

            var files = new CaseFile[r.ReadCount()];
            for (var i = 0; i < files.Length; i++)
            {
                var path = r.ReadName();
                var unreadable = r.ReadByte() != 0;
                var content = r.ReadSizedReader();
                files[i] = new CaseFile(path, content.ReadBytes(content.Remaining).ToArray(), unreadable);
            }

            var opens = new CaseOpen[r.ReadCount()];
            for (var i = 0; i < opens.Length; i++)
            {
                var name = r.ReadName();
                var flags = r.ReadByte();
                opens[i] = new CaseOpen(name, (flags & 1) != 0, (flags & 2) != 0);
            }

            r.ExpectEnd("link container");
            return new FuzzCase(CaseKind.Link, files, new LinkConfig(entry, main, lists[0], lists[1], lists[2], lists[3], hosts, opens));
        }
        catch (WasmFormatException e)
        {
            throw new InvalidDataException($"malformed .link container: {e.Message}", e);
        }
    }
}
