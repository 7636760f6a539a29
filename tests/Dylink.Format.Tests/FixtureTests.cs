using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Dylink.Tests;

namespace Dylink.Format.Tests;

/// <summary>
/// The committed toolchain-built fixtures (tests/fixtures/bin): every well-formed one parses and agrees with
/// <c>wasm-objdump -x</c> (wabt 1.0.32, the <c>.objdump</c> file beside it); the malformed ones fail with a pinned
/// message; and no truncation or byte flip of any fixture makes the reader throw anything but
/// <see cref="WasmFormatException"/>.
/// </summary>
public partial class FixtureTests
{
    public static TheoryData<string> WellFormedFixtures => new(Fixtures.WellFormed());

    public static TheoryData<string> AllFixtures => new(Fixtures.All());

    // wabt 1.0.32 stops reading at a 64-bit table ("tables may not be 64-bit"), so its dump of them is no reference.
    public static TheoryData<string> ObjdumpReadableFixtures => new(Fixtures.WellFormed().Where(f => !File.ReadAllText(Fixtures.PathOf(f) + ".objdump")
        .Contains("error: tables may not be 64-bit", StringComparison.Ordinal)));

    public static TheoryData<string> Wasm64Fixtures => new(Fixtures.All().Where(f => f.StartsWith("wasm64/", StringComparison.Ordinal)));

    // ---------------------------------------------------------------- 1. parsing

    [Fact]
    public void FixtureList_IsCompleteAndHasObjdumps()
    {
        var all = Fixtures.All().ToList();
        Assert.True(all.Count >= 30, $"only {all.Count} fixtures found in {Fixtures.BinDir}");
        Assert.Contains("sub/libsub.so", all.Select(n => n.Replace('\\', '/')));
        Assert.All(all, n => Assert.True(File.Exists(Fixtures.PathOf(n) + ".objdump"), n + ".objdump is missing"));

        // Every malformed fixture must have its message pinned below.
        Assert.Equal(BadFixtures.Select(b => (string)b[0]).Order(StringComparer.Ordinal),
            all.Where(n => n.StartsWith("handmade-bad-", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(WellFormedFixtures))]
    public void EveryWellFormedFixture_Parses(string fixture)
    {
        var module = Parse(fixture);
        Assert.Equal(Fixtures.Bytes(fixture).Length, module.Bytes.Length);
        Assert.NotEmpty(module.Sections);
    }

    [Theory]
    [MemberData(nameof(Wasm64Fixtures))]
    public void Wasm64Fixture_Has64BitMemoryAndTable_AndI64Addresses(string fixture)
    {
        // clang-19 and clang-22 -fPIC for wasm64: memory64 and table64 imports; every base, GOT entry and stack pointer i64.
        var m = Parse(fixture);
        var memory = m.Imports.Single(i => i.Kind == ExternalKind.Memory);
        Assert.Equal(("env", "memory", true), (memory.Module, memory.Name, memory.Memory!.Value.Is64));
        var table = m.Imports.Single(i => i.Kind == ExternalKind.Table);
        Assert.Equal(("env", "__indirect_function_table", true), (table.Module, table.Name, table.Table!.Limits.Is64));
        var globals = m.Imports.Where(i => i.Kind == ExternalKind.Global).ToList();
        Assert.Contains(globals, g => g.Name == "__memory_base");
        Assert.All(globals, g => Assert.Equal(ValueType.I64, g.Global!.ValueType));
    }

    // ---------------------------------------------------------------- 2. agreement with wasm-objdump

    [Theory]
    [MemberData(nameof(ObjdumpReadableFixtures))]
    public void Parse_WellFormedFixture_AgreesWithWasmObjdump(string fixture)
    {
        var m = Parse(fixture);
        var dump = Objdump.Load(fixture);

        // Sections in file order (custom sections by name), and the module name from the name section.
        Assert.Equal(dump.Sections.Select(s => s.Key), m.Sections.Select(SectionKey));
        Assert.Equal(dump.ModuleName, m.Names?.ModuleName);

        // Entry counts printed as Kind[N]; a section wabt does not print must be empty in ours.
        var ours = new Dictionary<string, int>
        {
            ["Type"] = m.Types.Length,
            ["Import"] = m.Imports.Length,
            ["Function"] = m.FunctionTypeIndices.Length,
            ["Table"] = m.Tables.Length,
            ["Memory"] = m.Memories.Length,
            ["Tag"] = m.Tags.Length,
            ["Global"] = m.Globals.Length,
            ["Export"] = m.Exports.Length,
            ["Elem"] = m.Elements.Length,
            ["Code"] = m.Code.Length,
            ["Data"] = m.Data.Length,
        };
        foreach (var (header, count) in ours)
        {
            Assert.Equal((header, dump.Section(header)?.Count ?? 0), (header, count));
        }

        // wabt 1.0.32 cannot decode exnref (standard exception handling: clang-22's cxx/exceptions libraries). It
        // reports an error, then prints a type section without the types it failed on and stops listing code bodies,
        // so only the section list, the entry counts and the exports can be compared with it.
        if (dump.DecodeErrors.Count > 0)
        {
            Assert.All(dump.DecodeErrors, e => Assert.Matches(": error: expected valid (result|local) type", e));
            Assert.Equal(dump.Lines("Export").Select(l => Match(ExportRegex(), l)).Select(g => $"{g[1]}[{g[2]}] \"{g[3]}\""),
                m.Exports.Select(e => $"{WasmNames.Of(e.Kind)}[{e.Index}] \"{e.Name}\""));
            return;
        }

        Assert.Equal(dump.Lines("Start").Select(l => uint.Parse(Match(StartRegex(), l)[1], CultureInfo.InvariantCulture)).Cast<uint?>().SingleOrDefault(), m.StartFunction);
        Assert.Equal(dump.Lines("DataCount").Select(l => uint.Parse(Match(DataCountRegex(), l)[1], CultureInfo.InvariantCulture)).Cast<uint?>().SingleOrDefault(), m.DataCount);

        // Types: FuncType.ToString() is meant to print exactly what wabt prints.
        var types = dump.Lines("Type").ToList();
        Assert.Equal(types, m.Types.Select((t, i) => $"type[{i}] {t}"));
        string WabtType(string index) => Match(TypeRegex(), types[int.Parse(index, CultureInfo.InvariantCulture)])[2];

        // Imports in order: kind, index, module.field, and the kind's details.
        Assert.Equal(
            dump.Lines("Import").Select(l => Match(ImportRegex(), l)).Select(g => $"{g[1]}[{g[2]}] {g[4]} {NormalizeImportDetails(g[1], g[3], WabtType)}"),
            m.Imports.Select(i => $"{WasmNames.Of(i.Kind)}[{i.Index}] {i.Module}.{i.Name} {ImportDetails(m, i)}"));

        // Defined functions, tables, memories, tags, globals.
        Assert.Equal(dump.Lines("Function").Select(l => Match(FunctionRegex(), l)).Select(g => $"func[{g[1]}] sig={g[2]}"),
            m.FunctionTypeIndices.Select((t, k) => $"func[{m.ImportedFunctionCount + k}] sig={t}"));
        Assert.Equal(dump.Lines("Table").Select(l => Match(TableRegex(), l)).Select(g => $"table[{g[1]}] {g[2]} {WabtLimits(g[3])}"),
            m.Tables.Select((t, k) => $"table[{Count(m, ExternalKind.Table) + k}] {WasmNames.Of(t.ElementType)} {t.Limits}"));
        Assert.Equal(dump.Lines("Memory").Select(l => Match(MemoryRegex(), l)).Select(g => $"memory[{g[1]}] {WabtLimits(g[2])}"),
            m.Memories.Select((l, k) => $"memory[{Count(m, ExternalKind.Memory) + k}] {l}"));
        Assert.Equal(dump.Lines("Tag").Select(l => Match(TagRegex(), l)).Select(g => $"tag[{g[1]}] sig={g[2]}"),
            m.Tags.Select(t => $"tag[{t.Index}] sig={t.TypeIndex}"));
        Assert.Equal(dump.Lines("Global").Select(l => Match(GlobalRegex(), l)).Select(g => $"global[{g[1]}] {g[2]} mutable={g[3]} init {NormalizeWabtInit(g[4])}"),
            m.Globals.Select(g => $"global[{g.Index}] {WasmNames.Of(g.Type.ValueType)} mutable={(g.Type.Mutable ? 1 : 0)} init {Init(g.Init)}"));
        // And explicitly what the brief asks for: wabt's `init i32=N` is Init.IntegerConstant.
        foreach (var line in dump.Lines("Global"))
        {
            var g = Match(GlobalRegex(), line);
            if (InitI32Regex().Match(g[4]) is { Success: true } i32)
            {
                var index = uint.Parse(g[1], CultureInfo.InvariantCulture);
                Assert.Equal(long.Parse(i32.Groups[1].Value, CultureInfo.InvariantCulture), m.Globals.Single(d => d.Index == index).Init.IntegerConstant);
            }
        }

        // Exports in order: kind, index, name.
        Assert.Equal(dump.Lines("Export").Select(l => Match(ExportRegex(), l)).Select(g => $"{g[1]}[{g[2]}] \"{g[3]}\""),
            m.Exports.Select(e => $"{WasmNames.Of(e.Kind)}[{e.Index}] \"{e.Name}\""));

        // Element segments (count and functions), code body sizes, data segments (mode, size, offset).
        Assert.Equal(ElemSegments(dump.Lines("Elem")),
            m.Elements.Select((e, k) => $"segment[{k}] table={e.TableIndex} count={e.Elements.Length} init {Init(e.Offset)} funcs {string.Join(",", e.Elements)}"));
        Assert.Equal(dump.Lines("Code").Select(l => Match(CodeRegex(), l)).Select(g => $"func[{g[1]}] size={g[2]}"),
            m.Code.Select((c, k) => $"func[{m.ImportedFunctionCount + k}] size={c.Size}"));
        Assert.Equal(dump.Lines("Data").Where(l => !l.StartsWith(' ')).Select(l => Match(DataRegex(), l))
                .Select(g => $"segment[{g[1]}] {(g[2].Length > 0 ? "passive" : "memory=" + g[3])} size={g[4]} init {NormalizeWabtInit(g[5])}"),
            m.Data.Select((d, k) => $"segment[{k}] {(d.Mode == SegmentMode.Passive ? "passive" : "memory=" + d.MemoryIndex)} size={d.Size} init {Init(d.Offset)}"));

        // The name section's function, global and data segment names.
        var names = dump.Sections.SingleOrDefault(s => s.Key == "custom:name")?.Lines ?? [];
        foreach (var (kind, ourNames) in new[] { ("func", m.Names?.FunctionNames), ("global", m.Names?.GlobalNames), ("dataseg", m.Names?.DataSegmentNames) })
        {
            Assert.Equal(
                names.Select(l => NameRegex().Match(l)).Where(x => x.Success && x.Groups[1].Value == kind)
                    .Select(x => $"{kind}[{x.Groups[2].Value}] <{x.Groups[3].Value}>").Order(StringComparer.Ordinal),
                (ourNames ?? []).Select(p => $"{kind}[{p.Key}] <{p.Value}>").Order(StringComparer.Ordinal));
        }

        AssertDylinkAgrees(dump, m);
    }

    private static void AssertDylinkAgrees(Objdump dump, WasmModule m)
    {
        var section = dump.Sections.SingleOrDefault(s => s.Key is "custom:dylink.0" or "custom:dylink");
        if (section is null)
        {
            Assert.Null(m.Dylink);
            return;
        }

        var d = Assert.IsType<DylinkInfo>(m.Dylink);
        Assert.Equal(section.Key == "custom:dylink", d.IsLegacy);
        Assert.Equal(ReferenceEquals(dump.Sections[0], section), d.IsFirstSection);

        var fields = new Dictionary<string, uint>(StringComparer.Ordinal);
        var lists = new Dictionary<string, List<string>>(StringComparer.Ordinal) { ["needed_dynlibs"] = [], ["exports"] = [], ["imports"] = [] };
        List<string>? current = null;
        foreach (var line in section.Lines)
        {
            if (DylinkFieldRegex().Match(line) is { Success: true } field)
            {
                fields.Add(field.Groups[1].Value, uint.Parse(field.Groups[2].Value, CultureInfo.InvariantCulture));
                current = null;
            }
            else if (DylinkListRegex().Match(line) is { Success: true } list)
            {
                current = lists[list.Groups[1].Value];
            }
            else if (line.StartsWith("  - ", StringComparison.Ordinal) && current is not null)
            {
                current.Add(line[4..]);
            }
            else
            {
                Assert.Fail($"unexpected line in wasm-objdump's {section.Key} section: \"{line}\"");
            }
        }

        // wabt prints MEM_INFO only when present; the reader then reports zeros.
        var memInfo = fields.Count == 0
            ? default
            : new MemInfo(fields["mem_size"], fields["mem_p2align"], fields["table_size"], fields["table_p2align"]);
        Assert.Equal(memInfo, d.MemInfo);
        Assert.Equal(lists["needed_dynlibs"], d.Needed);
        Assert.Equal(lists["exports"].Select(WabtSymbol), d.ExportInfo.Select(e => (e.Name, e.Flags)));
        Assert.Equal(lists["imports"].Select(WabtSymbol), d.ImportInfo.Select(i => ($"{i.Module}.{i.Field}", i.Flags)));
        // wabt 1.0.32 silently skips RUNTIME_PATH and unknown subsections, so d.RuntimePath and d.Unknown are not compared.
    }

    [Fact]
    public void FuncTypeToString_MultiValueAndReferenceTypes_MatchesWabt()
    {
        // Types section of (func (param i32 f64) (result i32 i64)), (func (param v128 externref funcref) (result f32 f64 i32)),
        // (func (param i32)), (func); the expected strings are wasm-objdump 1.0.32's output for the same module.
        var m = WasmModule.Parse(Fixtures.Hex(Dylink0Tests.Header + "01 18 04 60 02 7f 7c 02 7f 7e 60 03 7b 6f 70 03 7d 7c 7f 60 01 7f 00 60 00 00"), "t.wasm");
        Assert.Equal<string>(["(i32, f64) -> (i32, i64)", "(v128, externref, funcref) -> (f32, f64, i32)", "(i32) -> nil", "() -> nil"],
            m.Types.Select(t => t.ToString()));
    }

    // ---------------------------------------------------------------- 3. malformed fixtures

    public static TheoryData<string, string> BadFixtures => new()
    {
        // 0x19: NEEDED (02), size 0x0c at 0x1a, count 3 at 0x1b, "libbase.so" (len 0x0a) at 0x1c..0x26; the second
        // name's length would be at 0x27 = end of file. wabt: "0000027: unable to read u32 leb128: string length".
        { "handmade-bad-needed-count.so", "handmade-bad-needed-count.so: dylink.0 subsection NEEDED: unexpected end of data: needed 1 byte, 0 left (at offset 0x27)" },
        // Custom section payload 0x0a..0x18; MEM_INFO (01) at 0x13, its size 0x20 at 0x14, 4 bytes (0x15..0x18) left.
        { "handmade-bad-subsection-overrun.so", "handmade-bad-subsection-overrun.so: dylink.0 subsection MEM_INFO: size 32 overruns the section (4 bytes left) (at offset 0x14)" },
        // Section size 0x40 at 0x9, but the file ends at 0x15: 11 bytes (0x0a..0x14) left.
        { "handmade-bad-truncated.so", "handmade-bad-truncated.so: custom section size 64 overruns the module (11 bytes left) (at offset 0x9)" },
    };

    [Theory]
    [MemberData(nameof(BadFixtures))]
    public void Parse_MalformedFixture_ThrowsPinnedMessage(string fixture, string expected)
    {
        var e = Assert.Throws<WasmFormatException>(() => Parse(fixture));
        Assert.Equal(expected, e.Message);
    }

    // ---------------------------------------------------------------- 4. robustness

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void Parse_EveryTruncation_ParsesOrThrowsFormatException(string fixture)
    {
        var bytes = Fixtures.Bytes(fixture);
        var failures = new List<string>();
        var tried = 0;
        foreach (var length in TruncationLengths(bytes, fixture))
        {
            tried++;
            if (TryParse(bytes.AsMemory(0, length), fixture) is { } e)
            {
                failures.Add($"{fixture}: prefix of {length} of {bytes.Length} bytes threw {e}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {tried} truncations threw something else than WasmFormatException:\n"
            + string.Join("\n\n", failures.Take(3)));
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void Parse_RandomByteMutations_ParseOrThrowFormatException(string fixture)
    {
        const int Mutations = 3000;
        var bytes = Fixtures.Bytes(fixture);
        var seed = StableSeed(fixture);
        var random = new Random(seed);
        var structure = StructurePositions(bytes, fixture);
        var failures = new List<string>();
        var saved = new List<(int Position, byte Value)>();
        var description = new StringBuilder();
        for (var i = 0; i < Mutations; i++)
        {
            saved.Clear();
            description.Clear();
            // Half of the mutations hit the module's structure (headers, counts, names, const expressions, sizes),
            // not the insides of function bodies and data segments, which the reader only skips.
            var at = random.Next(2) == 0 || structure.Count == 0 ? random.Next(bytes.Length) : structure[random.Next(structure.Count)];
            var kind = random.Next(4);
            var span = kind switch { 1 => random.Next(2, 5), 3 => random.Next(2, 6), _ => 1 };
            for (var j = 0; j < span; j++)
            {
                // Kind 1 flips a few bytes near each other; kind 3 writes a run of LEB continuation bytes.
                var position = kind == 1 ? Math.Clamp(at + random.Next(-8, 9), 0, bytes.Length - 1) : Math.Min(at + j, bytes.Length - 1);
                var value = kind switch
                {
                    0 or 1 => (byte)(bytes[position] ^ random.Next(1, 256)),
                    2 => LebBytes[random.Next(LebBytes.Length)],
                    _ => random.Next(2) == 0 ? (byte)0x80 : (byte)0xff,
                };
                saved.Add((position, bytes[position]));
                description.Append(CultureInfo.InvariantCulture, $" [0x{position:x}] 0x{bytes[position]:x2}->0x{value:x2}");
                bytes[position] = value;
            }

            if (TryParse(bytes, fixture) is { } e)
            {
                failures.Add($"{fixture} (seed {seed}): mutation #{i}:{description} threw {e}");
            }

            for (var j = saved.Count - 1; j >= 0; j--)
            {
                bytes[saved[j].Position] = saved[j].Value;
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {Mutations} mutations threw something else than WasmFormatException:\n"
            + string.Join("\n\n", failures.Take(3)));
    }

    private static readonly byte[] LebBytes = [0x80, 0xff, 0x00, 0x7f, 0x40];

    /// <summary>Every prefix for files under 4 KiB; for bigger ones, every prefix in the first 4 KiB and the last 512
    /// bytes, every prefix within 8 bytes of a section, function body or data segment boundary, and every 7th.</summary>
    private static IEnumerable<int> TruncationLengths(byte[] bytes, string fixture)
    {
        const int Small = 4096;
        if (bytes.Length < Small)
        {
            return Enumerable.Range(0, bytes.Length);
        }

        var m = WasmModule.Parse(bytes, fixture);
        var boundaries = m.Sections.SelectMany(s => new[] { s.Offset, s.PayloadOffset, s.PayloadOffset + s.PayloadSize })
            .Concat(m.Code.SelectMany(c => new[] { c.Offset, c.Offset + c.Size }))
            .Concat(m.Data.SelectMany(d => new[] { d.DataOffset, d.DataOffset + d.Size }));
        return Enumerable.Range(0, Small)
            .Concat(Enumerable.Range(bytes.Length - 512, 512))
            .Concat(boundaries.SelectMany(b => Enumerable.Range((int)b - 8, 17)))
            .Concat(Enumerable.Range(0, bytes.Length / 7).Select(i => i * 7))
            .Where(n => n >= 0 && n < bytes.Length)
            .Distinct()
            .Order();
    }

    /// <summary>Positions outside function bodies and data segment contents (empty if the fixture does not parse).</summary>
    private static List<int> StructurePositions(byte[] bytes, string fixture)
    {
        if (TryParseModule(bytes, fixture) is not { } m)
        {
            return [];
        }

        var skipped = new bool[bytes.Length];
        foreach (var (offset, size) in m.Code.Select(c => (c.Offset, c.Size)).Concat(m.Data.Select(d => (d.DataOffset, d.Size))))
        {
            // Keep a body's first bytes (its locals declaration).
            if (size > 2)
            {
                Array.Fill(skipped, true, (int)offset + 2, size - 2);
            }
        }

        return Enumerable.Range(0, bytes.Length).Where(i => !skipped[i]).ToList();
    }

    /// <summary>FNV-1a of the fixture name: stable across runs and machines, unlike string.GetHashCode.</summary>
    private static int StableSeed(string fixture)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(fixture.Replace('\\', '/')))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash & 0x7fffffff);
    }

    /// <summary>Null when the bytes parse or are rejected with <see cref="WasmFormatException"/>; otherwise the exception.</summary>
    private static Exception? TryParse(ReadOnlyMemory<byte> bytes, string fixture)
    {
        try
        {
            WasmModule.Parse(bytes, fixture);
            return null;
        }
        catch (WasmFormatException)
        {
            return null;
        }
#pragma warning disable CA1031 // Any other exception is exactly what this test looks for.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return e;
        }
    }

    private static WasmModule? TryParseModule(byte[] bytes, string fixture)
    {
        try
        {
            return WasmModule.Parse(bytes, fixture);
        }
        catch (WasmFormatException)
        {
            return null;
        }
    }

    // ---------------------------------------------------------------- 5. dynamic-linking specifics

    [Fact]
    public void Parse_LegacyDylinkFixture_ReadsLegacySection()
    {
        var d = Parse("handmade-legacy-dylink.so").Dylink!;
        Assert.True(d.IsLegacy);
        Assert.True(d.IsFirstSection);
        Assert.Equal(new MemInfo(8, 3, 1, 0), d.MemInfo);
        Assert.Equal<string>(["libbase.so"], d.Needed);
        Assert.Empty(d.RuntimePath);
        Assert.Empty(d.ExportInfo);
        Assert.Empty(d.ImportInfo);
    }

    [Fact]
    public void Parse_RuntimePathFixture_ReadsRuntimePath()
    {
        var d = Parse("handmade-runtime-path.so").Dylink!;
        Assert.False(d.IsLegacy);
        Assert.Equal<string>(["$ORIGIN/sub"], d.RuntimePath);
        Assert.Equal<string>(["libsub.so"], d.Needed);
        Assert.Empty(d.Unknown);
        Assert.Equal(0x13, d.Offset);
    }

    [Fact]
    public void Parse_UnknownSubsectionFixture_KeepsUnknownSubsection()
    {
        var m = Parse("handmade-unknown-subsection.so");
        var d = m.Dylink!;
        // 0x19: type 0x7f, size 3 at 0x1a, payload "abc" at 0x1b; then NEEDED.
        Assert.Equal(new UnknownSubsection(0x7f, 0x1b, 3), Assert.Single(d.Unknown));
        Assert.Equal("abc"u8.ToArray(), m.Bytes.Span.Slice(0x1b, 3).ToArray());
        Assert.Equal<string>(["libbase.so"], d.Needed);
        Assert.Equal(default, d.MemInfo);
    }

    [Fact]
    public void Parse_DylinkNotFirstFixture_IsNotFirstSection()
    {
        var m = Parse("handmade-dylink-not-first.so");
        Assert.False(m.Dylink!.IsFirstSection);
        Assert.Equal(0x1a, m.Dylink.Offset);
        Assert.Equal<SectionId>([SectionId.Type, SectionId.Custom], m.Sections.Select(s => s.Id));
    }

    [Theory]
    [InlineData("libweak_tls.so")]
    [InlineData("libweak_tls14.so")]
    public void Parse_WeakTlsFixture_ReadsExportAndImportInfo(string fixture)
    {
        var d = Parse(fixture).Dylink!;
        Assert.Equal<ExportInfo>([new ExportInfo("tls_counter", SymbolFlags.Tls)], d.ExportInfo);
        Assert.Equal(SymbolFlags.Tls, d.FlagsOfExport("tls_counter"));
        Assert.Equal<ImportInfo>(
            [new ImportInfo("env", "maybe_there", SymbolFlags.Undefined | SymbolFlags.BindingWeak),
             new ImportInfo("env", "weak_data", SymbolFlags.Undefined | SymbolFlags.BindingWeak)],
            d.ImportInfo);
        Assert.Equal(SymbolFlags.BindingWeak, d.FlagsOfImport("env", "weak_data") & SymbolFlags.BindingWeak);
    }

    // ---------------------------------------------------------------- helpers

    private static WasmModule Parse(string fixture) => WasmModule.Parse(Fixtures.Bytes(fixture), fixture);

    private static int Count(WasmModule m, ExternalKind kind) => m.Imports.Count(i => i.Kind == kind);

    private static string SectionKey(SectionHeader s) => s.Id switch
    {
        SectionId.Custom => "custom:" + s.Name,
        SectionId.Element => "Elem",
        _ => s.Id.ToString(),
    };

    private static string ImportDetails(WasmModule m, Import i) => i.Kind switch
    {
        ExternalKind.Function => $"sig={i.TypeIndex} {m.FunctionType(i.Index)}",
        ExternalKind.Table => $"{WasmNames.Of(i.Table!.ElementType)} {i.Table.Limits}",
        ExternalKind.Memory => i.Memory!.Value.ToString(),
        ExternalKind.Global => $"{WasmNames.Of(i.Global!.ValueType)} mutable={(i.Global.Mutable ? 1 : 0)}",
        _ => $"sig={i.TypeIndex}",
    };

    /// <summary>Turns the middle of a wabt import line (between "kind[i] " and " &lt;- ") into <see cref="ImportDetails"/>'s form.</summary>
    private static string NormalizeImportDetails(string kind, string details, Func<string, string> typeOf)
    {
        switch (kind)
        {
            case "func":
                var sig = Match(SigRegex(), details)[1];
                return $"sig={sig} {typeOf(sig)}";
            case "table":
                var table = Match(TableDetailsRegex(), details);
                return $"{table[1]} {WabtLimits(table[2])}";
            case "memory":
                return WabtLimits(Match(MemoryDetailsRegex(), details)[1]).ToString();
            case "global":
                var global = Match(GlobalDetailsRegex(), details);
                return $"{global[1]} mutable={global[2]}";
            default:
                return "sig=" + Match(SigRegex(), details)[1];
        }
    }

    /// <summary>Parses wabt's limits text, <c>initial=1 max=65536 shared</c>.</summary>
    private static Limits WabtLimits(string text)
    {
        var g = Match(LimitsRegex(), text);
        return new Limits(ulong.Parse(g[1], CultureInfo.InvariantCulture),
            g[2].Length > 0 ? ulong.Parse(g[2], CultureInfo.InvariantCulture) : null, g[3].Length > 0, g[4].Length > 0);
    }

    /// <summary>A constant expression the way the wabt normalisation below prints it.</summary>
    private static string Init(ConstExpr? e) => e switch
    {
        null => "-",
        { Instructions: [{ Opcode: ConstOpcode.I32Const }] } => $"i32={e.IntegerConstant}",
        { Instructions: [{ Opcode: ConstOpcode.I64Const }] } => $"i64={e.IntegerConstant}",
        { GlobalGetIndex: { } g } => $"global={g}",
        _ => e.ToString(),
    };

    /// <summary>wabt's "init i32=1024" / "init global=0 &lt;env.__memory_base&gt;" as <see cref="Init"/> prints it.</summary>
    private static string NormalizeWabtInit(string text)
    {
        if (text.Length == 0)
        {
            return "-";
        }

        var g = InitRegex().Match(text);
        return g.Success ? g.Groups[1].Value : text;
    }

    private static List<string> ElemSegments(IEnumerable<string> lines)
    {
        var result = new List<string>();
        string? head = null;
        var funcs = new List<string>();
        foreach (var line in lines.Append(" - end"))
        {
            if (line.StartsWith("  - ", StringComparison.Ordinal))
            {
                funcs.Add(Match(ElemFuncRegex(), line)[1]);
                continue;
            }

            if (head is not null)
            {
                result.Add($"{head} funcs {string.Join(",", funcs)}");
                funcs.Clear();
            }

            if (line != " - end")
            {
                var g = Match(ElemRegex(), line);
                head = $"segment[{g[1]}] table={g[2]} count={g[3]} init {NormalizeWabtInit(g[4])}";
            }
        }

        return result;
    }

    /// <summary>An EXPORT_INFO / IMPORT_INFO line, <c>env.weak_data [ undefined binding=weak vis=default ]</c>.</summary>
    private static (string Name, SymbolFlags Flags) WabtSymbol(string line)
    {
        var g = Match(SymbolRegex(), line);
        var flags = SymbolFlags.None;
        foreach (var token in g[2].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            flags |= token switch
            {
                "undefined" => SymbolFlags.Undefined,
                "exported" => SymbolFlags.Exported,
                "explicit_name" => SymbolFlags.ExplicitName,
                "no_strip" => SymbolFlags.NoStrip,
                "tls" => SymbolFlags.Tls,
                "binding=global" or "vis=default" => SymbolFlags.None,
                "binding=weak" => SymbolFlags.BindingWeak,
                "binding=local" => SymbolFlags.BindingLocal,
                "vis=hidden" => SymbolFlags.VisibilityHidden,
                _ => throw new InvalidDataException($"unknown wabt symbol flag \"{token}\" in \"{line}\""),
            };
        }

        return (g[1], flags);
    }

    /// <summary>The groups of a regex that must match <paramref name="line"/> (index 0 is the whole match).</summary>
    private static string[] Match(Regex regex, string line)
    {
        var match = regex.Match(line);
        Assert.True(match.Success, $"wasm-objdump line \"{line}\" does not match /{regex}/");
        return match.Groups.Cast<Group>().Select(g => g.Value).ToArray();
    }

    /// <summary>
    /// The output of <c>wasm-objdump -x</c>: the module name and each section's header (<c>Import[7]:</c>, or
    /// <c>Custom:</c> with its <c>- name:</c> line) and detail lines, without their leading " - " for the standard sections.
    /// </summary>
    private sealed class Objdump
    {
        public string? ModuleName { get; private set; }

        public List<DumpSection> Sections { get; } = [];

        /// <summary>wabt's decoding errors (its stderr lines before the dump), e.g. for code it does not know.</summary>
        public List<string> DecodeErrors { get; } = [];

        public DumpSection? Section(string header) => Sections.SingleOrDefault(s => s.Key == header);

        /// <summary>The detail lines of a standard section without their leading " - "; nested lines keep their indentation.</summary>
        public IEnumerable<string> Lines(string header) =>
            Section(header)?.Lines.Select(l => l.StartsWith(" - ", StringComparison.Ordinal) ? l[3..] : l) ?? [];

        public static Objdump Load(string fixture)
        {
            var dump = new Objdump();
            DumpSection? current = null;
            var details = false;
            foreach (var line in File.ReadAllText(Fixtures.PathOf(fixture) + ".objdump").Split('\n'))
            {
                if (line.Length == 0)
                {
                    continue;
                }

                if (line.StartsWith("module name: <", StringComparison.Ordinal) && line.EndsWith('>'))
                {
                    dump.ModuleName = line["module name: <".Length..^1];
                }
                else if (line == "Section Details:")
                {
                    details = true;
                }
                else if (!details)
                {
                    // "<file>:\tfile format wasm 0x1", and wabt's error lines (malformed modules, code it cannot decode).
                    if (line.Contains(": error: ", StringComparison.Ordinal))
                    {
                        dump.DecodeErrors.Add(line);
                    }

                    continue;
                }
                else if (HeaderRegex().Match(line) is { Success: true } header)
                {
                    current = new DumpSection(header.Groups[1].Value,
                        header.Groups[2].Success ? int.Parse(header.Groups[2].Value, CultureInfo.InvariantCulture) : null);
                    dump.Sections.Add(current);
                }
                else if (current is { Header: "Custom", CustomName: null } && CustomNameRegex().Match(line) is { Success: true } name)
                {
                    current.CustomName = name.Groups[1].Value;
                }
                else
                {
                    Assert.True(current is not null, $"{fixture}.objdump: unexpected line \"{line}\" before the first section");
                    current.Lines.Add(line);
                }
            }

            Assert.True(details, $"{fixture}.objdump has no \"Section Details:\"");
            return dump;
        }
    }

    private sealed class DumpSection(string header, int? count)
    {
        public string Header { get; } = header;

        public int? Count { get; } = count;

        public string? CustomName { get; set; }

        /// <summary>"custom:NAME" for a custom section, the header otherwise.</summary>
        public string Key => Header == "Custom" ? "custom:" + CustomName : Header;

        public List<string> Lines { get; } = [];
    }

    [GeneratedRegex(@"^([A-Z][A-Za-z]*)(?:\[(\d+)\])?:$")]
    private static partial Regex HeaderRegex();

    [GeneratedRegex("^ - name: \"(.*)\"$")]
    private static partial Regex CustomNameRegex();

    [GeneratedRegex(@"^start function: (\d+)(?: <.*>)?$")]
    private static partial Regex StartRegex();

    [GeneratedRegex(@"^data count: (\d+)$")]
    private static partial Regex DataCountRegex();

    [GeneratedRegex(@"^type\[(\d+)\] (.*)$")]
    private static partial Regex TypeRegex();

    [GeneratedRegex(@"^(func|table|memory|global|tag)\[(\d+)\] (.*) <- (.*)$")]
    private static partial Regex ImportRegex();

    [GeneratedRegex(@"\bsig=(\d+)")]
    private static partial Regex SigRegex();

    [GeneratedRegex(@"^type=(\S+) (initial=.*)$")]
    private static partial Regex TableDetailsRegex();

    [GeneratedRegex(@"^pages: (initial=.*)$")]
    private static partial Regex MemoryDetailsRegex();

    [GeneratedRegex(@"^(\S+) mutable=([01])$")]
    private static partial Regex GlobalDetailsRegex();

    [GeneratedRegex(@"^initial=(\d+)(?: max=(\d+))?( shared)?( i64)?$")]
    private static partial Regex LimitsRegex();

    [GeneratedRegex(@"^func\[(\d+)\] sig=(\d+)(?: <.*>)?$")]
    private static partial Regex FunctionRegex();

    [GeneratedRegex(@"^table\[(\d+)\] type=(\S+) (initial=.*)$")]
    private static partial Regex TableRegex();

    [GeneratedRegex(@"^memory\[(\d+)\] pages: (initial=.*)$")]
    private static partial Regex MemoryRegex();

    [GeneratedRegex(@"^tag\[(\d+)\] sig=(\d+)$")]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"^global\[(\d+)\] (\S+) mutable=([01])(?: <.*?>)?(?: - init (.*))?$")]
    private static partial Regex GlobalRegex();

    [GeneratedRegex(@"^(i32=-?\d+|i64=-?\d+|global=\d+)(?: <.*>)?$")]
    private static partial Regex InitRegex();

    [GeneratedRegex(@"^i32=(-?\d+)$")]
    private static partial Regex InitI32Regex();

    [GeneratedRegex(@"^(func|table|memory|global|tag)\[(\d+)\](?: <.*?>)? -> ""(.*)""$")]
    private static partial Regex ExportRegex();

    [GeneratedRegex(@"^segment\[(\d+)\] flags=\d+ table=(\d+) count=(\d+)(?: - init (.*))?$")]
    private static partial Regex ElemRegex();

    [GeneratedRegex(@"^  - elem\[\d+\] = func\[(\d+)\](?: <.*>)?$")]
    private static partial Regex ElemFuncRegex();

    [GeneratedRegex(@"^func\[(\d+)\] size=(\d+)(?: <.*>)?$")]
    private static partial Regex CodeRegex();

    [GeneratedRegex(@"^segment\[(\d+)\](?: <.*?>)? (?:(passive) |memory=(\d+) )size=(\d+)(?: - init (.*))?$")]
    private static partial Regex DataRegex();

    [GeneratedRegex(@"^ - (func|global|dataseg)\[(\d+)\] <(.*)>$")]
    private static partial Regex NameRegex();

    [GeneratedRegex(@"^ - (mem_size|mem_p2align|table_size|table_p2align) *: (\d+)$")]
    private static partial Regex DylinkFieldRegex();

    [GeneratedRegex(@"^ - (needed_dynlibs|exports|imports)\[\d+\]:$")]
    private static partial Regex DylinkListRegex();

    [GeneratedRegex(@"^(.*) \[ (.*) \]$")]
    private static partial Regex SymbolRegex();
}
