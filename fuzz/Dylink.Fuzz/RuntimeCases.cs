using System.Globalization;
using System.Text;
using Dylink.Linking;
using Dylink.Runtime;
using Wasmtime;

namespace Dylink.Fuzz;

/// <summary>
/// The fuzzer's input read as a stream of decisions, as libFuzzer's FuzzedDataProvider does: each decision takes the
/// next byte, and an exhausted input answers 0 from then on. So every byte string is a valid input, and deleting bytes
/// (the minimizer's raw chunk step) gives a shorter, still meaningful, sequence.
/// </summary>
internal sealed class Decisions(byte[] data)
{
    private int _next;

    public bool Exhausted => _next >= data.Length;

    public int Byte() => _next < data.Length ? data[_next++] : 0;

    public int Below(int n) => n <= 1 ? 0 : n <= 256 ? Byte() % n : ((Byte() << 8) | Byte()) % n;

    public bool Chance(int percent) => Byte() * 100 < percent * 256;

    public T Pick<T>(IReadOnlyList<T> items) => items[Below(items.Count)];
}

/// <summary>
/// One generated side library <c>libr{K}.so</c>: it exports <c>f{K}</c> (x + 1000·K + version), <c>g{K}</c> (calls the
/// functions it imports and reads the data it imports), and the data symbol <c>d{K}</c> at the start of its 48-byte
/// region, where its constructor writes <see cref="Marker"/>; the region also holds its start function's word and two
/// names for the guest <c>dlopen</c>s.
/// </summary>
internal sealed record LibrarySpec(
    int K,
    int[] Needed,
    int[] Calls,
    int[] Reads,
    bool CtorCallsImports,
    bool CtorTraps,
    bool HasStart,
    bool StartTraps,
    bool AtExit,
    bool AtExitReopensSelf,
    int CtorOpens)
{
    public const int RegionSize = 48;

    public string Name => $"libr{K}.so";

    /// <summary>What the constructor of this version writes at <c>d{K}</c>; what a destructor writes is <see cref="Destroyed"/>.</summary>
    public static int Marker(int k, int version) => 0x4D000000 | (k << 16) | (version & 0xFFFF);

    public static int Destroyed(int k) => 0x0DEA0000 | k;

    public static int Value(int k, int version) => (1000 * k) + version;

    /// <summary>Libraries this one may keep loaded: what it needs and whatever may provide its imports.</summary>
    public IEnumerable<int> Edges => Needed.Concat(Calls).Concat(Reads);

    public static LibrarySpec Draw(Decisions d, int k, int count)
    {
        var others = Enumerable.Range(0, count).Where(j => j != k).ToList();
        // Mostly needing earlier libraries (a DAG), sometimes later ones (cycles: forwarders).
        int[] Some(int percentEarlier, int percentLater) =>
            [.. others.Where(j => d.Chance(j < k ? percentEarlier : percentLater))];
        var needed = Some(40, 10);
        var calls = Some(35, 15);
        var reads = Some(20, 10);
        var ctorTraps = d.Chance(12);
        var hasStart = d.Chance(30);
        var atExit = d.Chance(25);
        return new LibrarySpec(k, needed, calls, reads,
            CtorCallsImports: calls.Length > 0 && d.Chance(40),
            CtorTraps: ctorTraps,
            HasStart: hasStart,
            StartTraps: hasStart && d.Chance(15),
            AtExit: atExit,
            AtExitReopensSelf: atExit && d.Chance(40),
            CtorOpens: d.Chance(15) ? d.Pick(Enumerable.Range(0, count).ToList()) : -1);
    }

    /// <summary>The library as WAT; <paramref name="version"/> changes its marker and its function's value (hot reload).</summary>
    public string Wat(int version)
    {
        var w = new StringBuilder();
        // One NEEDED subsection lists them all (a second subsection is a format error).
        var needed = Needed.Length == 0 ? "" : $" (needed {string.Join(' ', Needed.Select(j => $"\"libr{j}.so\""))})";
        w.Append(CultureInfo.InvariantCulture, $"""
            (module
              (@dylink.0 (mem-info (memory {RegionSize} 2) (table {(AtExit ? 1 : 0)} 0)){needed})
              (import "env" "memory" (memory 0))
              (import "env" "__indirect_function_table" (table 0 funcref))
              (import "env" "__memory_base" (global $mb i32))
              (import "env" "__table_base" (global $tb i32))

            """);
        foreach (var j in Calls)
        {
            w.Append(CultureInfo.InvariantCulture, $"  (import \"env\" \"f{j}\" (func $f{j} (param i32) (result i32)))\n");
        }

        foreach (var j in Reads)
        {
            w.Append(CultureInfo.InvariantCulture, $"  (import \"GOT.mem\" \"d{j}\" (global $d{j} (mut i32)))\n");
        }

        var opens = CtorOpens >= 0 || AtExitReopensSelf;
        if (opens)
        {
            w.Append("  (import \"env\" \"dlopen\" (func $dlopen (param i32 i32) (result i32)))\n");
            w.Append("  (import \"env\" \"dlclose\" (func $dlclose (param i32) (result i32)))\n");
        }

        if (AtExit)
        {
            w.Append("  (import \"env\" \"__cxa_atexit\" (func $atexit (param i32 i32 i32) (result i32)))\n");
        }

        w.Append(CultureInfo.InvariantCulture, $"  (global (export \"d{K}\") i32 (i32.const 0))\n");
        w.Append(CultureInfo.InvariantCulture, $"  (func (export \"f{K}\") (param i32) (result i32) (i32.add (local.get 0) (i32.const {Value(K, version)})))\n");
        w.Append(CultureInfo.InvariantCulture, $"  (func (export \"g{K}\") (param i32) (result i32) (local.get 0)");
        foreach (var j in Calls)
        {
            w.Append(CultureInfo.InvariantCulture, $" (call $f{j} (local.get 0)) (i32.add)");
        }

        foreach (var j in Reads)
        {
            w.Append(CultureInfo.InvariantCulture, $" (i32.load (global.get $d{j})) (i32.add)");
        }

        w.Append(")\n");
        // Offsets 8 and 24 of the region: the names the guest dlopens (a library, and itself for RTLD_NOLOAD).
        var target = CtorOpens >= 0 ? $"libr{CtorOpens}.so" : "";
        w.Append(CultureInfo.InvariantCulture, $"  (data (global.get $mb) \"\\00\\00\\00\\00\\00\\00\\00\\00{target.PadRight(16, '\0').Replace("\0", "\\00", StringComparison.Ordinal)}{Name.PadRight(16, '\0').Replace("\0", "\\00", StringComparison.Ordinal)}\")\n");
        w.Append(CultureInfo.InvariantCulture, $"  (func (export \"__wasm_call_ctors\") (i32.store (global.get $mb) (i32.const {Marker(K, version)}))");
        if (CtorCallsImports)
        {
            w.Append(CultureInfo.InvariantCulture, $" (drop (call $f{Calls[0]} (i32.const 0)))");
        }

        if (CtorOpens >= 0)
        {
            // A balanced dlopen + dlclose from a constructor: a load inside a load.
            w.Append(" (drop (call $dlclose (call $dlopen (i32.add (global.get $mb) (i32.const 8)) (i32.const 2))))");
        }

        if (AtExit)
        {
            w.Append(" (drop (call $atexit (global.get $tb) (i32.const 0) (i32.const 0)))");
        }

        w.Append(CtorTraps ? " (unreachable))\n" : ")\n");
        if (AtExit)
        {
            // The handler writes into the library's own region: run at the wrong time, it clobbers someone else's data.
            w.Append(CultureInfo.InvariantCulture, $"  (func $dtor (param i32) (i32.store (global.get $mb) (i32.const {Destroyed(K)}))");
            if (AtExitReopensSelf)
            {
                // A balanced dlopen(self, RTLD_NOLOAD) + dlclose from a destructor.
                w.Append(" (drop (call $dlclose (call $dlopen (i32.add (global.get $mb) (i32.const 24)) (i32.const 4))))");
            }

            w.Append(")\n  (elem (global.get $tb) func $dtor)\n");
        }

        if (HasStart)
        {
            w.Append(CultureInfo.InvariantCulture, $"  (func $start (i32.store offset=4 (global.get $mb) (i32.const {Marker(K, 0x7fff)})){(StartTraps ? " (unreachable)" : "")})\n  (start $start)\n");
        }

        return w.Append(')').ToString();
    }
}

/// <summary>
/// An invariant of the run-time linker that a sequence broke, or an exception outside those the public API documents.
/// <see cref="Rule"/> names the invariant (it is the finding's signature); the message holds the sequence that led
/// there and the libraries, as a reproduction.
/// </summary>
internal sealed class RuntimeFinding(string rule, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Rule { get; } = rule;
}

/// <summary>
/// The runtime target: from the input's decisions, 2–5 generated side libraries (NEEDED each other, cycles included;
/// importing each other's functions and data; constructors that call imports, trap, dlopen another library or register
/// a <c>__cxa_atexit</c> handler that may dlopen itself RTLD_NOLOAD and dlclose; start functions that may trap), some
/// loaded at start-up, then up to 40 steps on one <see cref="DynamicLinker"/> through the public API only: Open (every
/// mode), Close, Symbol, GetFunction(...).Invoke, Rebind (to a function or a C# delegate), Restore, Reload(bytes) and
/// Describe. After each step the invariants are checked; at the end every handle is closed and nothing but start-up and
/// NODELETE libraries (and what they may depend on) may stay loaded.
/// </summary>
internal static class RuntimeCases
{
    private const int MaxSteps = 40;

    private static readonly OpenMode[] Modes =
    [
        OpenMode.Now, OpenMode.Lazy, OpenMode.Now | OpenMode.Global, OpenMode.Local, OpenMode.NoLoad,
        OpenMode.NoLoad | OpenMode.Global, OpenMode.Now | OpenMode.NoDelete, OpenMode.Global | OpenMode.NoDelete,
    ];

    /// <summary>Runs one input; returns its outcome template. Throws <see cref="RuntimeFinding"/> for a finding.</summary>
    public static string Run(byte[] input)
    {
        using var session = new Session(input);
        return session.Run();
    }

    private sealed class Session(byte[] input) : IDisposable
    {
        private readonly Decisions _d = new(input);
        private readonly StringBuilder _log = new();
        private readonly List<LibraryHandle> _held = [];
        private readonly Dictionary<int, (int K, int Version)> _known = [];
        private readonly HashSet<int> _pinned = [];
        private readonly SortedSet<string> _events = new(StringComparer.Ordinal);

        // Functions rebound and not restored: their lookups give the replacement.
        private readonly HashSet<string> _rebound = new(StringComparer.Ordinal);
        private LibrarySpec[] _libs = [];
        private DynamicLinker? _linker;
        private int _versions;
        private int _step;

        public string Run()
        {
            var count = 2 + _d.Below(4);
            _libs = [.. Enumerable.Range(0, count).Select(k => LibrarySpec.Draw(_d, k, count))];
            var files = _libs.Select(l => new CaseFile($"/lib/{l.Name}", Module.ConvertText(l.Wat(0)))).ToList();
            var startup = _libs.Where(_ => _d.Chance(25)).Select(l => l.K).ToList();
            var rebindable = _d.Chance(30);
            var options = new LinkOptions
            {
                Source = new InMemoryModuleSource(files),
                SearchPaths = ["/lib"],
                Libraries = [.. startup.Select(k => _libs[k].Name)],
                Rebindable = rebindable,
            };
            _log.Append(CultureInfo.InvariantCulture, $"LoadLibraries([{string.Join(", ", options.Libraries)}], Rebindable = {rebindable})");
            _linker = new DynamicLinker();
            try
            {
                Linker.LoadLibraries(options);
                _log.Append(" -> ok\n");
                _pinned.UnionWith(startup);
            }
            catch (DylinkException e)
            {
                // A start-up that fails leaves nothing to drive: start again with no library (that must work).
                _log.Append(CultureInfo.InvariantCulture, $" -> {Short(e)}; again with none\n");
                _events.Add("startup failed");
                Linker.Dispose();
                _linker = new DynamicLinker();
                Expect("startup", () => Linker.LoadLibraries(options with { Libraries = [] }));
            }

            Check();
            while (_step < MaxSteps && !_d.Exhausted)
            {
                _step++;
                Step();
                Check();
            }

            Finish();
            return $"runtime: {_step} steps; {string.Join(", ", _events)}";
        }

        public void Dispose() => _linker?.Dispose();

        private DynamicLinker Linker => _linker!;

        private void Step()
        {
            switch (_d.Below(20))
            {
                case < 6:
                    Open();
                    break;
                case < 10:
                    Close();
                    break;
                case < 11:
                    SymbolStep();
                    break;
                case < 13:
                    Invoke();
                    break;
                case < 15:
                    Rebind();
                    break;
                case < 16:
                    Restore();
                    break;
                case < 18:
                    Reload();
                    break;
                default:
                    DescribeStep();
                    break;
            }
        }

        private void Open()
        {
            var k = _d.Below(_libs.Length + 1);
            var name = k < _libs.Length ? _libs[k].Name : "libmissing.so";
            var mode = _d.Pick(Modes);
            var result = TryValue($"Open(\"{name}\", {mode})", () => Linker.Open(name, mode), typeof(LibraryNotLoadedException));
            if (result is not { } handle)
            {
                return;
            }

            if (!Linker.IsLoaded(handle))
            {
                throw Finding("open-returned-unloaded", $"Open(\"{name}\", {mode}) returned handle {handle.Value}, which is not loaded");
            }

            if (_known.TryGetValue(handle.Value, out var known) && known.K != k)
            {
                throw Finding("open-returned-wrong-library", $"Open(\"{name}\") returned handle {handle.Value}, which was returned for libr{known.K}.so");
            }

            _known.TryAdd(handle.Value, (k, 0));
            _held.Add(handle);
            if ((mode & OpenMode.NoDelete) != 0)
            {
                _pinned.Add(k);
            }
        }

        private void Close()
        {
            if (_held.Count == 0 || _d.Chance(10))
            {
                // A handle the host does not hold: closing it must be refused unless it is loaded (then it is not ours to close).
                var stale = new LibraryHandle(_known.Count > 0 && _d.Chance(70) ? _d.Pick(_known.Keys.ToList()) : 1000 + _d.Below(10));
                if (!Linker.IsLoaded(stale))
                {
                    Try($"Close(stale {stale.Value})", () => Linker.Close(stale), typeof(ArgumentException));
                }

                return;
            }

            var i = _d.Below(_held.Count);
            var handle = _held[i];
            _held.RemoveAt(i);
            Try($"Close({Describe(handle)})", () => Linker.Close(handle));
        }

        private void SymbolStep()
        {
            var handle = PickHandle();
            var name = SymbolName();
            TryValue($"Symbol({Describe(handle)}, \"{name}\")", () => Linker.Symbol(handle, name), typeof(SymbolNotFoundException), typeof(ArgumentException));
        }

        private void Invoke()
        {
            var handle = PickHandle();
            var name = _d.Chance(50) ? $"g{_d.Below(_libs.Length)}" : SymbolName();
            var x = _d.Byte();
            var global = _d.Chance(25);
            var call = global ? $"GetFunction(\"{name}\").Invoke({x})" : $"GetFunction({Describe(handle)}, \"{name}\").Invoke({x})";
            Try(call, () => _log.Append(CultureInfo.InvariantCulture, $" = {(global ? Linker.GetFunction(name) : Linker.GetFunction(handle, name)).Invoke(x)}"),
                typeof(SymbolNotFoundException), typeof(ArgumentException), typeof(TrapException));
        }

        private void Rebind()
        {
            var symbol = $"f{_d.Below(_libs.Length)}";
            if (_d.Chance(50))
            {
                var replacement = $"f{_d.Below(_libs.Length)}";
                if (Try($"Rebind(\"{symbol}\", \"{replacement}\")", () => Linker.Rebind(symbol, replacement), typeof(SymbolNotFoundException), typeof(ArgumentException)))
                {
                    _rebound.Add(symbol);
                }
            }
            else
            {
                var add = _d.Byte();
                if (Try($"Rebind(\"{symbol}\", x => x + {add})", () => Linker.Rebind(symbol, (Func<int, int>)(x => x + add)), typeof(SymbolNotFoundException), typeof(ArgumentException)))
                {
                    _rebound.Add(symbol);
                }
            }

            _events.Add("rebind");
        }

        private void Restore()
        {
            var symbol = $"f{_d.Below(_libs.Length)}";
            if (Try($"Restore(\"{symbol}\")", () => Linker.Restore(symbol), typeof(SymbolNotFoundException), typeof(ArgumentException)))
            {
                // Restore puts back the global definition's function; after a reload, older versions of the same
                // library stay rebound to the newest, so the symbol still may not be the original everywhere.
                if (!_events.Contains("reload"))
                {
                    _rebound.Remove(symbol);
                }
            }
        }

        private void Reload()
        {
            if (_held.Count == 0)
            {
                return;
            }

            var handle = _d.Pick(_held);
            if (!_known.TryGetValue(handle.Value, out var known) || known.K >= _libs.Length)
            {
                return;
            }

            var version = ++_versions;
            var bytes = Module.ConvertText(_libs[known.K].Wat(version));
            if (TryValue($"Reload({Describe(handle)}, libr{known.K}.so version {version})", () => Linker.Reload(handle, bytes)) is not { } replacement)
            {
                return;
            }

            _events.Add("reload");
            _rebound.Add($"f{known.K}"); // the old version's functions now reach the new one's, lookups included
            if (_known.TryGetValue(replacement.Value, out var seen))
            {
                throw Finding("reload-reused-handle", $"Reload returned handle {replacement.Value}, already used for libr{seen.K}.so version {seen.Version}");
            }

            _known[replacement.Value] = (known.K, version);
            // The new version takes over every reference to the old one.
            for (var i = 0; i < _held.Count; i++)
            {
                if (_held[i] == handle)
                {
                    _held[i] = replacement;
                }
            }
        }

        private void DescribeStep()
        {
            var handle = PickHandle();
            var name = SymbolName();
            if (TryValue($"Symbol({Describe(handle)}, \"{name}\")", () => Linker.Symbol(handle, name), typeof(SymbolNotFoundException), typeof(ArgumentException)) is { } address)
            {
                Try($"Describe({address})", () => _log.Append(CultureInfo.InvariantCulture, $" = {Linker.Describe(address)}"));
            }
        }

        /// <summary>The invariants, after every step; an exception they meet is a finding too.</summary>
        private void Check()
        {
            try
            {
                CheckInvariants();
            }
#pragma warning disable CA1031 // Any exception other than the findings is a finding.
            catch (Exception e) when (e is not RuntimeFinding)
#pragma warning restore CA1031
            {
                throw Finding($"crash: {e.GetType().FullName} at {Oracle.ThrowingFrame(e)} in the invariant checks", $"checking the invariants: {Short(e)}", e);
            }
        }

        private void CheckInvariants()
        {
            var regions = new List<(long Start, LibraryHandle Handle)>();
            foreach (var handle in _held.Distinct())
            {
                var (k, version) = _known[handle.Value];
                if (!Linker.IsLoaded(handle))
                {
                    throw Finding("held-handle-unloaded", $"handle {Describe(handle)} is held ({_held.Count(h => h == handle)} references) but not loaded");
                }

                long Lookup(string name)
                {
                    try
                    {
                        return Linker.Symbol(handle, name);
                    }
                    catch (Exception e) when (e is SymbolNotFoundException or ArgumentException or DylinkException)
                    {
                        throw Finding("live-handle-lookup-fails", $"Symbol({Describe(handle)}, \"{name}\") on a loaded library: {Short(e)}", e);
                    }
                }

                var data = Lookup($"d{k}");
                Lookup($"f{k}");
                var marker = Linker.Memory.ReadInt32(data);
                if (marker != LibrarySpec.Marker(k, version))
                {
                    throw Finding("data-clobbered", string.Create(CultureInfo.InvariantCulture,
                        $"d{k} of {Describe(handle)} at {data} holds 0x{marker:x8}, not its constructor's 0x{LibrarySpec.Marker(k, version):x8}{(marker == LibrarySpec.Destroyed(k) ? " (its own destructor's value)" : "")}"));
                }

                if (Linker.Describe(data) is not { } owner || !owner.Library.EndsWith(_libs[k].Name, StringComparison.Ordinal))
                {
                    throw Finding("describe-wrong-library", $"Describe({data}) (d{k} of {Describe(handle)}) = {Linker.Describe(data)}");
                }

                // A rebound function is looked up as what its callers reach: the replacement (issue 14).
                var value = Linker.GetFunction(handle, $"f{k}").Invoke(7);
                if (value is not int v || (v != 7 + LibrarySpec.Value(k, version) && !_rebound.Contains($"f{k}")))
                {
                    throw Finding("wrong-function", $"GetFunction({Describe(handle)}, \"f{k}\").Invoke(7) = {value}, expected {7 + LibrarySpec.Value(k, version)}");
                }

                regions.Add((data, handle));
            }

            regions.Sort((a, b) => a.Start.CompareTo(b.Start));
            for (var i = 1; i < regions.Count; i++)
            {
                if (regions[i].Start < regions[i - 1].Start + LibrarySpec.RegionSize)
                {
                    throw Finding("regions-overlap", $"{Describe(regions[i - 1].Handle)} at {regions[i - 1].Start} and {Describe(regions[i].Handle)} at {regions[i].Start} ({LibrarySpec.RegionSize} bytes each)");
                }
            }
        }

        /// <summary>Closes every handle held; then only start-up and NODELETE libraries, and what they may depend on, may stay.</summary>
        private void Finish()
        {
            _log.Append("-- closing every handle held\n");
            foreach (var handle in _held.ToList())
            {
                _held.Remove(handle);
                Try($"Close({Describe(handle)})", () => Linker.Close(handle));
                Check();
            }

            var mayStay = new HashSet<int>(_pinned);
            for (var grew = true; grew;)
            {
                var before = mayStay.Count;
                mayStay.UnionWith(mayStay.SelectMany(k => _libs[k].Edges).ToList());
                grew = mayStay.Count > before;
            }

            foreach (var (value, (k, version)) in _known)
            {
                if (k < _libs.Length && !mayStay.Contains(k) && Linker.IsLoaded(new LibraryHandle(value)))
                {
                    throw Finding("loaded-after-last-close", $"libr{k}.so version {version} (handle {value}) is still loaded after every handle was closed");
                }
            }

            foreach (var lib in _libs.Where(l => !mayStay.Contains(l.K)))
            {
                if (TryValue($"Open(\"{lib.Name}\", NoLoad)", () => Linker.Open(lib.Name, OpenMode.NoLoad), typeof(LibraryNotLoadedException)) is { } handle)
                {
                    throw Finding("loaded-after-last-close", $"Open(\"{lib.Name}\", NoLoad) found handle {handle.Value} after every handle was closed");
                }
            }
        }

        private LibraryHandle PickHandle() => _d.Below(10) switch
        {
            < 6 when _held.Count > 0 => _d.Pick(_held),
            < 7 when _known.Count > 0 => new LibraryHandle(_d.Pick(_known.Keys.ToList())),
            7 => LibraryHandle.Next,
            8 => new LibraryHandle(int.MaxValue),
            _ => LibraryHandle.Default,
        };

        private string SymbolName() => _d.Below(10) switch
        {
            < 4 => $"f{_d.Below(_libs.Length)}",
            < 7 => $"d{_d.Below(_libs.Length)}",
            < 8 => $"g{_d.Below(_libs.Length)}",
            8 => _d.Pick(["__wasm_call_ctors", "__memory_base", "missing", "dlopen", "__cxa_atexit"]),
            _ => "",
        };

        private string Describe(LibraryHandle handle) =>
            _known.TryGetValue(handle.Value, out var known) ? $"{handle.Value}=libr{known.K}.so v{known.Version}" : handle.Value.ToString(CultureInfo.InvariantCulture);

        private void Expect(string what, Action action)
        {
            if (!Try(what, action))
            {
                throw Finding("startup-without-libraries-fails", $"{what} failed");
            }
        }

        // A lazily bound import (RTLD_LAZY) still undefined at its first call traps, naming it: the documented outcome.
        private static bool IsLazyBindingTrap(Exception e) =>
            e is WasmtimeException { InnerException: LoadException load } && load.Message.Contains("(bound lazily, RTLD_LAZY)", StringComparison.Ordinal);

        private bool Try(string what, Action action, params Type[] allowed) => TryValue(what, () =>
        {
            action();
            return true;
        }, allowed) is true;

        /// <summary>
        /// Runs one API call. The DylinkException family (LinkException, LoadException) is always an allowed failure;
        /// <paramref name="allowed"/> adds the ones the call documents. Anything else is a finding. Null when it failed.
        /// </summary>
        private T? TryValue<T>(string what, Func<T> action, params Type[] allowed)
            where T : struct
        {
            _log.Append(CultureInfo.InvariantCulture, $"{_step,2}. {what}");
            try
            {
                var result = action();
                _log.Append(CultureInfo.InvariantCulture, $" -> {Format(result)}\n");
                return result;
            }
            catch (Exception e) when (e is DylinkException || allowed.Any(t => t.IsInstanceOfType(e)) || IsLazyBindingTrap(e))
            {
                _log.Append(CultureInfo.InvariantCulture, $" -> {Short(e)}\n");
                _events.Add($"{what.Split('(')[0]}: {e.GetType().Name}");
                if (e is TrapException && e.Message.Contains("was called after", StringComparison.Ordinal) && !_events.Contains("rebind") && !_events.Contains("reload"))
                {
                    // Nothing was rebound or reloaded, so every binding is a load-time one: its provider must be alive.
                    throw Finding("call-into-unloaded-provider", $"{what}: {Short(e)}", e);
                }

                return null;
            }
#pragma warning disable CA1031 // Any other exception is the finding.
            catch (Exception e) when (e is not RuntimeFinding)
#pragma warning restore CA1031
            {
                _log.Append(CultureInfo.InvariantCulture, $" -> {e.GetType().Name}\n");
                throw Finding($"crash: {e.GetType().FullName} at {Oracle.ThrowingFrame(e)} in {what.Split('(')[0]}", $"{what}: {e.GetType().Name}: {e.Message}", e);
            }
        }

        private static string Format<T>(T value) => value switch
        {
            LibraryHandle h => $"handle {h.Value}",
            bool => "ok",
            null => "null",
            _ => value.ToString() ?? "",
        };

        private static string Short(Exception e) => $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";

        private RuntimeFinding Finding(string rule, string what, Exception? inner = null)
        {
            var report = new StringBuilder();
            report.Append(CultureInfo.InvariantCulture, $"{what}\n\nsteps:\n{_log}\nlibraries (version 0; a reload's version N changes the marker and f's value):\n");
            foreach (var lib in _libs)
            {
                report.Append(CultureInfo.InvariantCulture, $";; {lib.Name}\n{lib.Wat(0)}\n");
            }

            return new RuntimeFinding(rule, report.ToString(), inner);
        }
    }
}
