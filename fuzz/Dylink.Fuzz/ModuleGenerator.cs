using CsCheck;

namespace Dylink.Fuzz;

/// <summary>The kind of module the generator aims at (it still breaks the rules now and then).</summary>
internal enum ModuleRole
{
    /// <summary>A side module: dylink.0, imported memory/table/bases, GOT imports.</summary>
    Side,
    /// <summary>A PIE main: like a side module, relocated by the loader.</summary>
    PieMain,
    /// <summary>A non-PIE main: its own memory, table, stack pointer and allocator.</summary>
    FixedMain,
    /// <summary>Anything: every feature with even odds.</summary>
    Random,
}

/// <summary>
/// A CsCheck generator of valid-ish modules: the sections in the binary format's order with random but mostly
/// consistent contents (types, PIC imports, GOT imports, functions, tables, memories, tags, globals with constant
/// and extended-const initialisers, exports, start, element and data segments in several encodings, a name section)
/// and a <c>dylink.0</c> section with random subsections (MEM_INFO, NEEDED naming <paramref name="neededPool"/>,
/// EXPORT_INFO, IMPORT_INFO, RUNTIME_PATH, unknown ones). Symbol names come from small shared pools, including the
/// names the ABI gives a meaning, so that generated modules define what others import, with matching or clashing
/// types. A few percent of the choices break a rule on purpose (an index out of range, a duplicate export, a
/// shared memory, an alignment of 2^32, a mismatched count).
/// </summary>
internal sealed class ModuleGenerator(IReadOnlyList<string> neededPool, ModuleRole? role = null) : Gen<byte[]>
{
    public static readonly string[] FunctionSymbols =
    [
        "f0", "f1", "f2", "f3", "malloc", "free", "aligned_alloc", "memalign", "printf", "_start", "__wasm_call_ctors",
        "_initialize", "__wasm_apply_data_relocs", "__wasm_init_tls", "main", "", "ƒ", "with space", "f0.f1",
    ];

    public static readonly string[] DataSymbols =
    [
        "d0", "d1", "d2", "t0", "__heap_base", "__heap_end", "__stack_low", "__stack_high", "__dso_handle", "__tls_base",
        "__tls_size", "__tls_align",
    ];

    public static readonly string[] GlobalSymbols = ["g0", "g1", "__stack_pointer", "__memory_base", "__table_base", "__tls_size", "__tls_align"];

    private static readonly byte[] NumberTypes = [0x7f, 0x7e, 0x7d, 0x7c];

    private static readonly Gen<byte> ValueTypeGen = Gen.Frequency(
        (30, Gen.Const<byte>(0x7f)), (10, Gen.Const<byte>(0x7e)), (5, Gen.Const<byte>(0x7d)), (5, Gen.Const<byte>(0x7c)),
        (1, Gen.OneOf<byte>(0x7b, 0x70, 0x6f, 0x69, 0x40, 0x00)));

    private static readonly Gen<uint> SizeGen = Gen.Frequency(
        (30, Gen.UInt[0, 64]), (20, Gen.UInt[0, 4096]), (5, Gen.OneOf<uint>(65536, 1u << 20, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff)), (5, Gen.UInt));

    private static readonly Gen<uint> AlignGen = Gen.Frequency((40, Gen.Const(0u)), (30, Gen.UInt[1, 4]), (5, Gen.UInt[5, 16]), (3, Gen.OneOf(30u, 31u)), (1, Gen.OneOf(32u, 33u, 64u, 0xffffffffu)));

    private static readonly Gen<long> ConstGen = Gen.Frequency(
        (30, Gen.Long[0, 4096]), (10, Gen.Long[-16, 16]),
        (10, Gen.Int[0, 63].Select(k => 1L << k)),
        (5, Gen.OneOf(int.MaxValue, int.MinValue, uint.MaxValue, 1L << 32, (1L << 32) + 16, long.MaxValue, long.MinValue)),
        (3, Gen.Long));

    private static readonly string[] RuntimePaths = ["$ORIGIN", "${ORIGIN}/../lib", "/lib", "", "lib", "/nonexistent", "$ORIGIN/$ORIGIN", "${ORIGIN}"];

    public override byte[] Generate(PCG pcg, Size? min, out Size size)
    {
        var bytes = new Builder(pcg, role ?? pcg.Pick([ModuleRole.Side, ModuleRole.Side, ModuleRole.PieMain, ModuleRole.FixedMain, ModuleRole.Random]), neededPool).Build();
        size = new Size((ulong)bytes.Length);
        return bytes;
    }

    private sealed class Builder(PCG pcg, ModuleRole role, IReadOnlyList<string> neededPool)
    {
        private readonly List<(byte[] Params, byte[] Results)> _types = [];
        private readonly WasmWriter _imports = new();
        private readonly List<(string Module, string Field)> _importNames = [];
        private readonly int[] _importCounts = new int[5];
        private readonly List<uint> _functions = [];
        private readonly WasmWriter _tables = new();
        private readonly WasmWriter _memories = new();
        private readonly WasmWriter _tags = new();
        private readonly WasmWriter _globals = new();
        private readonly WasmWriter _exports = new();
        private readonly HashSet<string> _exportNames = new(StringComparer.Ordinal);
        private int _tableCount;
        private int _memoryCount;
        private int _tagCount;
        private int _globalCount;
        private int _exportCount;
        private int _memoryBase = -1;
        private int _tableBase = -1;

        private bool Side => role is ModuleRole.Side or ModuleRole.PieMain;

        private bool Maybe(int percent) => pcg.Chance(role == ModuleRole.Random ? 50 : percent);

        private bool Rarely(int percent = 3) => pcg.Chance(percent);

        public byte[] Build()
        {
            Types();
            Imports();
            var functions = role == ModuleRole.Side ? pcg.Below(7) : 1 + pcg.Below(6);
            for (var i = 0; i < functions; i++)
            {
                _functions.Add(TypeIndex());
            }

            TablesAndMemories();
            Tags();
            Globals();
            Exports();

            var sections = new List<(byte Id, byte[] Payload)>
            {
                (1, Vector(_types.Count, w => _types.ForEach(t => w.Byte(0x60).U32((uint)t.Params.Length).Bytes(t.Params).U32((uint)t.Results.Length).Bytes(t.Results)))),
                (2, Vector(_importNames.Count, _imports)),
                (3, Vector(_functions.Count, w => _functions.ForEach(f => w.U32(f)))),
                (4, Vector(_tableCount, _tables)),
                (5, Vector(_memoryCount, _memories)),
                (13, Vector(_tagCount, _tags)),
                (6, Vector(_globalCount, _globals)),
                (7, Vector(_exportCount, _exports)),
            };
            sections.RemoveAll(s => s.Payload is [0] && !Rarely(5));
            if (Rarely())
            {
                sections.Add((8, WasmWriter.Leb((ulong)pcg.Below(FunctionCount + 2))));
            }

            sections.Add((9, Elements()));
            var (dataCount, data) = Data();
            if (data.Length > 1 && Maybe(30))
            {
                sections.Add((12, WasmWriter.Leb((ulong)(Rarely(5) ? dataCount + 1 : dataCount))));
            }

            sections.Add((10, Code()));
            sections.Add((11, data));
            sections.RemoveAll(s => s.Id is 9 or 11 && s.Payload is [0] && !Rarely(5));
            if (Rarely(2) && sections.Count > 2)
            {
                // Sections out of order.
                var i = pcg.Below(sections.Count - 1);
                (sections[i], sections[i + 1]) = (sections[i + 1], sections[i]);
            }

            var module = new WasmWriter().Bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
            var dylink = Dylink();
            var dylinkFirst = pcg.Chance(85);
            if (dylink is not null && dylinkFirst)
            {
                module.Byte(0).Sized(dylink);
            }

            for (var i = 0; i < sections.Count; i++)
            {
                module.Byte(sections[i].Id).Sized(sections[i].Payload);
                if (i == 0 && dylink is not null && !dylinkFirst)
                {
                    module.Byte(0).Sized(dylink);
                }
            }

            if (Maybe(15))
            {
                module.Byte(0).Sized(NameSection());
            }

            if (Rarely(5))
            {
                var payload = new byte[pcg.Below(32)];
                pcg.Next64();
                for (var i = 0; i < payload.Length; i++)
                {
                    payload[i] = (byte)pcg.Next(256);
                }

                module.Byte(0).Sized(new WasmWriter().Name(pcg.Pick(["producers", "target_features", "linking", "reloc.CODE", "dylink.1", "x"])).Bytes(payload));
            }

            return module.ToArray();
        }

        private int FunctionCount => _importCounts[0] + _functions.Count;

        private static byte[] Vector(int count, WasmWriter items) => new WasmWriter().U32((uint)count).Bytes(items.ToArray()).ToArray();

        private static byte[] Vector(int count, Action<WasmWriter> write)
        {
            var items = new WasmWriter();
            write(items);
            return Vector(count, items);
        }

        private void Types()
        {
            if (Rarely(2))
            {
                return;
            }

            _types.Add(([], []));
            _types.Add(([0x7f], [0x7f]));
            _types.Add(([0x7f, 0x7f], [0x7f]));
            _types.Add(([0x7e], [0x7e]));
            _types.Add(([0x7c, 0x7d], [0x7c]));
            for (var i = pcg.Below(4); i > 0; i--)
            {
                var p = new byte[pcg.Below(5)];
                var r = new byte[pcg.Below(3)];
                for (var j = 0; j < p.Length; j++)
                {
                    p[j] = ValueTypeGen.Draw(pcg);
                }

                for (var j = 0; j < r.Length; j++)
                {
                    r[j] = ValueTypeGen.Draw(pcg);
                }

                _types.Add((p, r));
            }
        }

        private uint TypeIndex(string? symbol = null)
        {
            if (_types.Count == 0 || Rarely(1))
            {
                return (uint)(_types.Count + pcg.Below(2));
            }

            // The same symbol gets the same signature in most modules, so that links succeed as well as clash.
            return symbol is not null && pcg.Chance(75)
                ? (uint)(StableHash(symbol) % Math.Min(5, _types.Count))
                : (uint)pcg.Below(_types.Count);
        }

        private static int StableHash(string s)
        {
            var h = 17;
            foreach (var c in s)
            {
                h = (h * 31) + c;
            }

            return h & 0x7fffffff;
        }

        private void Import(string module, string field, byte kind, Action<WasmWriter> describe)
        {
            _imports.Name(module).Name(field).Byte(kind);
            describe(_imports);
            _importNames.Add((module, field));
            if (kind < 5)
            {
                _importCounts[kind]++;
            }
        }

        private void Limits(WasmWriter w, bool table)
        {
            var min = (ulong)pcg.Below(3);
            var hasMax = pcg.Chance(40);
            var shared = !table && Rarely(4);
            var is64 = Rarely(3);
            var flags = (byte)((hasMax || shared ? 1 : 0) | (shared ? 2 : 0) | (is64 ? 4 : 0));
            if (Rarely(1))
            {
                flags = (byte)pcg.Next(256);
            }

            w.Byte(flags).U64(Rarely(2) ? ulong.MaxValue >> 1 : min);
            if ((flags & 1) != 0)
            {
                w.U64(Rarely(3) ? 0 : min + (ulong)pcg.Below(100));
            }
        }

        private void ImportFunction(string module, string field) => Import(module, field, 0, w => w.U32(TypeIndex(field)));

        private void ImportGlobal(string module, string field, byte type, bool mutable) =>
            Import(module, field, 3, w => w.Byte(type).Byte(mutable ? (byte)1 : (byte)0));

        private void Imports()
        {
            var pic = Side || (role == ModuleRole.Random && pcg.Chance(50));
            if (pic ? Maybe(92) : Maybe(15))
            {
                Import("env", "memory", 2, w => Limits(w, table: false));
            }

            if (pic && Maybe(85))
            {
                Import("env", "__indirect_function_table", 1, w =>
                {
                    w.Byte(Rarely() ? (byte)0x6f : (byte)0x70);
                    Limits(w, table: true);
                });
            }

            if (pic && Maybe(92))
            {
                _memoryBase = _importCounts[3];
                ImportGlobal("env", "__memory_base", Rarely() ? (byte)0x7e : (byte)0x7f, mutable: false);
            }

            if (pic && Maybe(80))
            {
                _tableBase = _importCounts[3];
                ImportGlobal("env", "__table_base", 0x7f, mutable: false);
            }

            if (Maybe(60))
            {
                ImportGlobal("env", "__stack_pointer", 0x7f, mutable: !Rarely());
            }

            for (var i = pcg.Below(6); i > 0; i--)
            {
                ImportFunction("env", pcg.Pick(FunctionSymbols));
            }

            for (var i = pcg.Below(4); i > 0; i--)
            {
                ImportGlobal("GOT.mem", pcg.Pick(pcg.Chance(80) ? DataSymbols : GlobalSymbols), Rarely() ? (byte)0x7e : (byte)0x7f, mutable: !Rarely());
            }

            for (var i = pcg.Below(4); i > 0; i--)
            {
                ImportGlobal("GOT.func", pcg.Pick(FunctionSymbols), 0x7f, mutable: !Rarely());
            }

            for (var i = pcg.Below(3); i > 0; i--)
            {
                ImportGlobal("env", pcg.Pick(pcg.Chance(50) ? DataSymbols : GlobalSymbols), pcg.Pick(NumberTypes), mutable: pcg.Chance(30));
            }

            if (Maybe(15))
            {
                ImportFunction("wasi_snapshot_preview1", pcg.Pick(["fd_write", "proc_exit", "args_get"]));
            }

            if (Rarely(4))
            {
                ImportFunction(pcg.Pick(["foo", "GOT.weird", "wasi_unstable", ""]), "bar");
            }

            if (Rarely(3))
            {
                Import("env", pcg.Pick(["__cpp_exception", "__c_longjmp"]), 4, w => w.Byte(Rarely(10) ? (byte)1 : (byte)0).U32(TypeIndex()));
            }

            if (Rarely(2))
            {
                // A memory or table under another name.
                var kind = (byte)(1 + pcg.Below(2));
                Import(pcg.Pick(["env", "other"]), pcg.Pick(["mem2", "memory", "__indirect_function_table"]), kind, w =>
                {
                    if (kind == 1)
                    {
                        w.Byte(0x70);
                    }

                    Limits(w, table: kind == 1);
                });
            }
        }

        private void TablesAndMemories()
        {
            if (role == ModuleRole.FixedMain ? pcg.Chance(80) : Rarely())
            {
                _tableCount++;
                _tables.Byte(0x70);
                Limits(_tables, table: true);
            }

            if (role == ModuleRole.FixedMain ? pcg.Chance(85) : Rarely())
            {
                for (var i = Rarely(5) ? 2 : 1; i > 0; i--)
                {
                    _memoryCount++;
                    Limits(_memories, table: false);
                }
            }
        }

        private void Tags()
        {
            if (Rarely(4))
            {
                for (var i = 1 + pcg.Below(2); i > 0; i--)
                {
                    _tagCount++;
                    _tags.Byte(Rarely(5) ? (byte)1 : (byte)0).U32(TypeIndex());
                }
            }
        }

        private void ConstExpr(WasmWriter w, byte type, bool address)
        {
            if (Rarely(2))
            {
                // Not a constant expression, or no expression at all.
                w.Byte(pcg.Pick(new byte[] { 0x0b, 0x20, 0x00, 0xfd }));
                if (pcg.Chance(50))
                {
                    w.Byte(0x0b);
                }

                return;
            }

            var value = ConstGen.Draw(pcg);
            if (address && _memoryBase >= 0 && pcg.Chance(35))
            {
                // Extended const: __memory_base + k.
                w.Byte(0x23).U32((uint)_memoryBase);
                if (type == 0x7e)
                {
                    w.Byte(0x42).S64(value).Byte(0x7c);
                }
                else
                {
                    w.Byte(0x41).S32((int)value).Byte(0x6a);
                }

                w.Byte(0x0b);
                return;
            }

            switch (type)
            {
                case 0x7e:
                    w.Byte(0x42).S64(value);
                    break;
                case 0x7d:
                    w.Byte(0x43).Bytes(BitConverter.GetBytes((float)value));
                    break;
                case 0x7c:
                    w.Byte(0x44).Bytes(BitConverter.GetBytes((double)value));
                    break;
                case 0x70:
                    w.Byte(pcg.Chance(50) ? (byte)0xd0 : (byte)0xd2).U32(pcg.Chance(50) ? 0x70u : (uint)pcg.Below(FunctionCount + 1));
                    break;
                default:
                    w.Byte(0x41).S32((int)value);
                    break;
            }

            w.Byte(0x0b);
        }

        private uint Global(byte type, bool mutable, bool address)
        {
            _globals.Byte(type).Byte(mutable ? (byte)1 : (byte)0);
            ConstExpr(_globals, type, address);
            return (uint)(_importCounts[3] + _globalCount++);
        }

        private void Export(string name, byte kind, uint index)
        {
            if (!_exportNames.Add(name) && !Rarely(5))
            {
                return;
            }

            _exports.Name(name).Byte(kind).U32(Rarely(2) ? index + 1000 : index);
            _exportCount++;
        }

        private void Globals()
        {
            if (role == ModuleRole.FixedMain && pcg.Chance(80))
            {
                var sp = Global(0x7f, mutable: true, address: false);
                if (pcg.Chance(75))
                {
                    Export("__stack_pointer", 3, sp);
                }
            }

            for (var i = pcg.Below(5); i > 0; i--)
            {
                var type = pcg.Chance(85) ? (byte)0x7f : pcg.Pick(NumberTypes);
                var index = Global(type, mutable: Rarely(10), address: true);
                Export(pcg.Pick(DataSymbols), 3, index);
            }

            if (Maybe(15))
            {
                // A TLS block: __wasm_init_tls plus constant __tls_size and __tls_align (i32 or i64, any value).
                _functions.Add(TypeIndex());
                Export("__wasm_init_tls", 0, (uint)(FunctionCount - 1));
                Export("__tls_size", 3, Global(pcg.Chance(70) ? (byte)0x7f : (byte)0x7e, mutable: Rarely(), address: false));
                if (!Rarely(10))
                {
                    Export("__tls_align", 3, Global(pcg.Chance(60) ? (byte)0x7f : (byte)0x7e, mutable: Rarely(), address: false));
                }

                Export("t0", 3, Global(0x7f, mutable: false, address: false));
            }

            for (var i = pcg.Below(3); i > 0; i--)
            {
                var type = ValueTypeGen.Draw(pcg);
                var index = Global(type, mutable: pcg.Chance(50), address: false);
                if (pcg.Chance(50))
                {
                    Export(pcg.Pick(GlobalSymbols), 3, index);
                }
            }
        }

        private void Exports()
        {
            var imported = (uint)_importCounts[0];
            for (var i = 0; i < _functions.Count; i++)
            {
                if (pcg.Chance(80))
                {
                    Export(pcg.Pick(FunctionSymbols), 0, imported + (uint)i);
                }
            }

            if (role == ModuleRole.FixedMain || Rarely())
            {
                if (_functions.Count > 0 && pcg.Chance(70))
                {
                    Export(pcg.Pick(["aligned_alloc", "memalign", "malloc"]), 0, imported + (uint)pcg.Below(_functions.Count));
                }

                if (_memoryCount > 0 && pcg.Chance(80))
                {
                    Export("memory", 2, 0);
                }

                if (_tableCount > 0 && pcg.Chance(70))
                {
                    Export("__indirect_function_table", 1, (uint)_importCounts[1]);
                }

                if (_functions.Count > 0 && pcg.Chance(50))
                {
                    Export("_start", 0, imported + (uint)pcg.Below(_functions.Count));
                }
            }

            if (Rarely(5) && _importCounts[0] > 0)
            {
                Export(pcg.Pick(FunctionSymbols), 0, (uint)pcg.Below(_importCounts[0]));
            }

            if (Rarely(5) && _importCounts[3] > 0)
            {
                Export(pcg.Pick(DataSymbols), 3, (uint)pcg.Below(_importCounts[3]));
            }

            if (_tagCount > 0 || (Rarely() && _importCounts[4] > 0))
            {
                Export(pcg.Pick(["__cpp_exception", "__c_longjmp"]), 4, 0);
            }
        }

        private void OffsetExpr(WasmWriter w, int baseGlobal, bool table)
        {
            if (baseGlobal >= 0 && pcg.Chance(80))
            {
                w.Byte(0x23).U32((uint)baseGlobal);
                if (pcg.Chance(30))
                {
                    w.Byte(0x41).S32(pcg.Below(8)).Byte(0x6a);
                }
            }
            else
            {
                w.Byte(0x41).S32(table ? pcg.Below(8) : (int)ConstGen.Draw(pcg));
            }

            w.Byte(0x0b);
        }

        private byte[] Elements()
        {
            var items = new WasmWriter();
            var count = 0;
            if (FunctionCount > 0 && (Side ? pcg.Chance(60) : pcg.Chance(30)))
            {
                count++;
                var flags = Rarely(15) ? (uint)pcg.Below(8) : 0;
                if (Rarely(1))
                {
                    flags = (uint)pcg.Below(100);
                }

                items.U32(flags);
                if ((flags & 1) == 0)
                {
                    if ((flags & 2) != 0)
                    {
                        items.U32(Rarely() ? 1u : 0u);
                    }

                    OffsetExpr(items, _tableBase, table: true);
                }

                if ((flags & 3) != 0)
                {
                    items.Byte((flags & 4) != 0 ? (byte)0x70 : (byte)0);
                }

                var n = 1 + pcg.Below(Math.Min(FunctionCount, 6));
                items.U32((uint)n);
                for (var i = 0; i < n; i++)
                {
                    var function = (uint)(Rarely() ? FunctionCount : _importCounts[0] + pcg.Below(Math.Max(1, _functions.Count)));
                    if ((flags & 4) != 0)
                    {
                        items.Byte(pcg.Chance(90) ? (byte)0xd2 : (byte)0xd0).U32(function).Byte(0x0b);
                    }
                    else
                    {
                        items.U32(function);
                    }
                }
            }

            return Vector(count, items);
        }

        private byte[] Code()
        {
            var bodies = _functions.Count + (Rarely() ? pcg.Below(3) - 1 : 0);
            var items = new WasmWriter();
            for (var i = 0; i < Math.Max(0, bodies); i++)
            {
                var body = pcg.Below(4) switch
                {
                    0 => new byte[] { 0x01, 0x01, 0x7f, 0x0b },
                    1 when Rarely(5) => [],
                    2 => [.. Enumerable.Range(0, 1 + pcg.Below(8)).Select(_ => (byte)pcg.Next(256))],
                    _ => [0x00, 0x0b],
                };
                items.Sized(body);
            }

            return Vector(Math.Max(0, bodies), items);
        }

        private (int Count, byte[] Payload) Data()
        {
            var items = new WasmWriter();
            var count = pcg.Below(3);
            for (var i = 0; i < count; i++)
            {
                var flags = Rarely(15) ? (uint)pcg.Below(4) : 0;
                items.U32(flags);
                if (flags == 2)
                {
                    items.U32((uint)pcg.Below(2));
                }

                if (flags != 1)
                {
                    OffsetExpr(items, _memoryBase, table: false);
                }

                items.Sized([.. Enumerable.Range(0, pcg.Below(16)).Select(_ => (byte)pcg.Next(256))]);
            }

            return (count, Vector(count, items));
        }

        private byte[] NameSection()
        {
            var w = new WasmWriter().Name("name");
            var ids = new List<byte> { 0, 1, 7, 9 };
            ids.RemoveAll(_ => pcg.Chance(40));
            if (Rarely(5))
            {
                ids.Add(pcg.Pick(new byte[] { 0, 2, 4, 1 }));
            }

            foreach (var id in ids)
            {
                var sub = new WasmWriter();
                if (id == 0)
                {
                    sub.Name(pcg.Pick(FunctionSymbols));
                }
                else
                {
                    var n = pcg.Below(4);
                    sub.U32((uint)n);
                    for (var i = 0; i < n; i++)
                    {
                        sub.U32((uint)(Rarely(10) ? 0 : i)).Name(pcg.Pick(FunctionSymbols));
                    }
                }

                w.Byte(id).Sized(sub);
            }

            return w.ToArray();
        }

        private byte[]? Dylink()
        {
            var percent = role switch
            {
                ModuleRole.Side => 96,
                ModuleRole.PieMain => 70,
                ModuleRole.FixedMain => 40,
                _ => 50,
            };
            if (!pcg.Chance(percent))
            {
                return null;
            }

            if (Rarely(5))
            {
                // The legacy "dylink" section: MEM_INFO fields, then NEEDED, no framing.
                var legacy = new WasmWriter().Name("dylink").U32(SizeGen.Draw(pcg)).U32(AlignGen.Draw(pcg)).U32(SizeGen.Draw(pcg)).U32(AlignGen.Draw(pcg));
                Strings(legacy, Needed());
                return legacy.ToArray();
            }

            var subsections = new List<(byte Type, byte[] Payload)>();
            if (pcg.Chance(85))
            {
                subsections.Add((1, new WasmWriter().U32(SizeGen.Draw(pcg)).U32(AlignGen.Draw(pcg)).U32(pcg.Chance(80) ? (uint)pcg.Below(8) : SizeGen.Draw(pcg)).U32(AlignGen.Draw(pcg)).ToArray()));
            }

            if (pcg.Chance(60))
            {
                subsections.Add((2, Strings(new WasmWriter(), Needed()).ToArray()));
            }

            if (pcg.Chance(25) && _exportNames.Count > 0)
            {
                var names = _exportNames.Where(_ => pcg.Chance(50)).ToList();
                var w = new WasmWriter().U32((uint)names.Count);
                names.ForEach(n => w.Name(n).U32(Flags()));
                subsections.Add((3, w.ToArray()));
            }

            if (pcg.Chance(25) && _importNames.Count > 0)
            {
                var imports = _importNames.Where(_ => pcg.Chance(50)).ToList();
                var w = new WasmWriter().U32((uint)imports.Count);
                imports.ForEach(i => w.Name(pcg.Chance(80) ? i.Module : "env").Name(i.Field).U32(pcg.Chance(70) ? 1u : Flags()));
                subsections.Add((4, w.ToArray()));
            }

            if (pcg.Chance(15))
            {
                subsections.Add((5, Strings(new WasmWriter(), [.. Enumerable.Range(0, 1 + pcg.Below(2)).Select(_ => pcg.Pick(RuntimePaths))]).ToArray()));
            }

            if (Rarely(5))
            {
                subsections.Add((pcg.Chance(80) ? (byte)(6 + pcg.Below(250)) : (byte)0, [.. Enumerable.Range(0, pcg.Below(8)).Select(_ => (byte)pcg.Next(256))]));
            }

            if (Rarely(2) && subsections.Count > 0)
            {
                subsections.Add(pcg.Pick(subsections));
            }

            if (Rarely(5) && subsections.Count > 1)
            {
                (subsections[0], subsections[^1]) = (subsections[^1], subsections[0]);
            }

            var section = new WasmWriter().Name("dylink.0");
            foreach (var (type, payload) in subsections)
            {
                section.Byte(type).Sized(payload);
            }

            return section.ToArray();
        }

        private uint Flags() => pcg.Below(8) switch
        {
            0 => 0x100,
            1 => 0x1,
            2 => 0x4,
            3 => 0x2,
            4 => 0x20,
            5 => 0x101,
            6 => 0x0,
            _ => pcg.Next(),
        };

        private List<string> Needed()
        {
            var names = new List<string>();
            for (var i = pcg.Below(5); i > 0; i--)
            {
                names.Add(neededPool.Count > 0 && pcg.Chance(85) ? pcg.Pick(neededPool) : pcg.Pick(["libmissing.so", "/lib/libmissing.so", "../lib/liba.so", "", "sub/libx.so", "./lib0.so"]));
            }

            return names;
        }

        private static WasmWriter Strings(WasmWriter w, List<string> strings)
        {
            w.U32((uint)strings.Count);
            foreach (var s in strings)
            {
                w.Name(s);
            }

            return w;
        }
    }
}
