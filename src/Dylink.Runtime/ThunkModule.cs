using Dylink.Format;

namespace Dylink.Runtime;

/// <summary>
/// Generates the forwarding module that breaks import cycles without leaving wasm: for each forwarded import, a
/// function with the import's signature that passes its arguments on with <c>call_indirect</c> through a slot of
/// the loader's forwarding table. The slot is filled once the provider is instantiated, so a call costs one
/// indirect call (a few ns) instead of a host transition (30–100 ns). Since call tables
/// (<see cref="Dylink.Linking.CallTables"/>), a module's direct calls no longer use it: a thunk is made only for an
/// import something else refers to (<c>ref.func</c>, an element segment, an export, the start function), for lazily
/// bound imports, and for modules compiled without call tables.
/// </summary>
internal static class ThunkModule
{
    /// <summary>The import the generated module takes its table from.</summary>
    public const string TableImport = "table";

    /// <summary>The export name of thunk <paramref name="i"/>.</summary>
    public static string ExportName(int i) => "f" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The export of <see cref="Table64"/>'s module.</summary>
    public const string Table64Export = "table";

    /// <summary>
    /// A module that defines and exports a funcref table indexed by i64 (table64) with <paramref name="initial"/> slots
    /// and no maximum: the .NET <c>Table</c> constructor can only create 32-bit tables, but grows, reads and writes a
    /// 64-bit one like any other.
    /// </summary>
    public static byte[] Table64(uint initial)
    {
        var w = new WasmWriter();
        w.Bytes(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
        w.Section(4, s =>
        {
            s.U32(1);
            s.Bytes(0x70, 0x04); // funcref; limits flags 0x04: i64 indices, no maximum
            s.U32(initial);
        });
        w.Section(7, s =>
        {
            s.U32(1);
            s.Name(Table64Export);
            s.Bytes(0x01, 0x00); // table 0
        });
        return w.ToArray();
    }

    /// <summary>Builds the module: thunk <c>i</c> has signature <c>thunks[i].Signature</c> and calls table slot <c>thunks[i].Slot</c>.</summary>
    public static byte[] Build(IReadOnlyList<(FuncType Signature, uint Slot)> thunks)
    {
        var types = thunks.Select(t => t.Signature).Distinct().ToList();
        var w = new WasmWriter();
        w.Bytes(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
        w.Section(1, s =>
        {
            s.U32((uint)types.Count);
            foreach (var type in types)
            {
                s.Byte(0x60);
                s.U32((uint)type.Parameters.Length);
                foreach (var p in type.Parameters)
                {
                    s.Byte((byte)p);
                }

                s.U32((uint)type.Results.Length);
                foreach (var r in type.Results)
                {
                    s.Byte((byte)r);
                }
            }
        });
        w.Section(2, s =>
        {
            s.U32(1);
            s.Name("env");
            s.Name(TableImport);
            s.Bytes(0x01, 0x70, 0x00); // table funcref, limits: min only
            s.U32(0);
        });
        w.Section(3, s =>
        {
            s.U32((uint)thunks.Count);
            foreach (var t in thunks)
            {
                s.U32((uint)types.IndexOf(t.Signature));
            }
        });
        w.Section(7, s =>
        {
            s.U32((uint)thunks.Count);
            for (var i = 0; i < thunks.Count; i++)
            {
                s.Name(ExportName(i));
                s.Byte(0x00);
                s.U32((uint)i);
            }
        });
        w.Section(10, s =>
        {
            s.U32((uint)thunks.Count);
            foreach (var (signature, slot) in thunks)
            {
                var body = new WasmWriter();
                body.U32(0); // no locals
                for (var p = 0; p < signature.Parameters.Length; p++)
                {
                    body.Byte(0x20); // local.get
                    body.U32((uint)p);
                }

                body.Byte(0x41); // i32.const slot
                body.S32((int)slot);
                body.Byte(0x11); // call_indirect type table
                body.U32((uint)types.IndexOf(signature));
                body.U32(0);
                body.Byte(0x0b);
                s.U32((uint)body.Length);
                s.Append(body);
            }
        });
        return w.ToArray();
    }
}

/// <summary>A minimal wasm binary writer: LEB128 integers, names, and size-prefixed sections.</summary>
internal sealed class WasmWriter
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public void Byte(byte b) => _bytes.Add(b);

    public void Bytes(params byte[] bytes) => _bytes.AddRange(bytes);

    public void Append(WasmWriter other) => _bytes.AddRange(other._bytes);

    public void U32(uint value)
    {
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            _bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
    }

    public void S32(int value)
    {
        while (true)
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            if ((value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0))
            {
                _bytes.Add(b);
                return;
            }

            _bytes.Add((byte)(b | 0x80));
        }
    }

    public void Name(string name)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(name);
        U32((uint)utf8.Length);
        _bytes.AddRange(utf8);
    }

    public void Section(byte id, Action<WasmWriter> write)
    {
        var content = new WasmWriter();
        write(content);
        Byte(id);
        U32((uint)content.Length);
        Append(content);
    }

    public byte[] ToArray() => [.. _bytes];
}
