using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Dylink.Fuzz;

/// <summary>Counters of one target.</summary>
internal sealed class TargetStats
{
    private readonly Lock _lock = new();

    public long Inputs { get; private set; }

    public long Accepted { get; private set; }

    public long Rejected { get; private set; }

    public long Findings { get; private set; }

    /// <summary>The distinct outcomes this target reached.</summary>
    public ConcurrentDictionary<string, byte> Outcomes { get; } = new(StringComparer.Ordinal);

    public long BusyTicks { get; private set; }

    /// <summary>Time spent drawing (generating and mutating) inputs.</summary>
    public long DrawTicks { get; private set; }

    public long SlowestTicks { get; private set; }

    /// <summary>The largest allocation per input byte among inputs of 16 KiB or more (below, fixed costs dominate).</summary>
    public double PeakAllocPerByte { get; private set; }

    /// <summary>Which input allocated the most per byte, and which ran longest.</summary>
    public string PeakAllocInput { get; private set; } = "";

    public string SlowestInput { get; private set; } = "";

    public void Add(Outcome outcome, long ticks, long drawTicks, long inputBytes, string label)
    {
        lock (_lock)
        {
            Inputs++;
            DrawTicks += drawTicks;
            BusyTicks += ticks;
            if (ticks > SlowestTicks)
            {
                SlowestTicks = ticks;
                SlowestInput = label;
            }

            switch (outcome.Verdict)
            {
                case Verdict.Accepted:
                    Accepted++;
                    break;
                case Verdict.Rejected:
                    Rejected++;
                    break;
                default:
                    Findings++;
                    break;
            }

            if (inputBytes >= 16384 && (double)outcome.Allocated / inputBytes > PeakAllocPerByte)
            {
                PeakAllocPerByte = (double)outcome.Allocated / inputBytes;
                PeakAllocInput = $"{label} ({outcome.Allocated:N0} bytes for {inputBytes:N0})";
            }
        }
    }
}

/// <summary>One worker thread: the input it is running (for the watchdog) and its in-flight record (for the parent).</summary>
internal sealed class Worker(int id, string inflightPath) : IDisposable
{
    private readonly SafeFileHandle _inflight = File.OpenHandle(inflightPath, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
    private long _started;

    public int Id { get; } = id;

    public FuzzCase? Current { get; private set; }

    public string Label { get; private set; } = "";

    /// <summary>When the current input started (<see cref="Stopwatch.GetTimestamp"/>), or 0 when idle.</summary>
    public long Started => Volatile.Read(ref _started);

    /// <summary>
    /// Records the input before it runs: written with pwrite, so it survives the process dying in the middle of it
    /// (a stack overflow or a fail-fast cannot be caught in .NET); the supervising parent then keeps it.
    /// </summary>
    public void Begin(FuzzCase c, string label)
    {
        var bytes = CaseCodec.Encode(c);
        var header = new byte[8];
        "DYFZ"u8.CopyTo(header);
        BitConverter.TryWriteBytes(header.AsSpan(4), bytes.Length);
        RandomAccess.Write(_inflight, bytes, 8);
        RandomAccess.Write(_inflight, header, 0);
        Current = c;
        Label = label;
        Volatile.Write(ref _started, Stopwatch.GetTimestamp());
    }

    public void End() => Volatile.Write(ref _started, 0);

    public void Dispose() => _inflight.Dispose();

    /// <summary>Reads an in-flight record back; null when the file holds none.</summary>
    public static byte[]? ReadInflight(string path)
    {
        var data = File.ReadAllBytes(path);
        if (data.Length < 8 || !data.AsSpan(0, 4).SequenceEqual("DYFZ"u8))
        {
            return null;
        }

        var length = BitConverter.ToInt32(data, 4);
        return length >= 0 && length <= data.Length - 8 ? data[8..(8 + length)] : null;
    }
}

/// <summary>
/// Runs a fuzz session: replays the corpus and the unmodified fixtures, then draws inputs from the targets on worker
/// threads until the input count or the time is reached, with a watchdog for hangs; minimizes and writes each new
/// finding to <c>fuzz/findings/</c>; prints per-target figures.
/// </summary>
internal sealed class Runner : IDisposable
{
    private static readonly double TicksPerMs = Stopwatch.Frequency / 1000.0;

    private readonly Options _o;
    private readonly RepoPaths _paths;
    private readonly Oracle _oracle;
    private readonly Seeds _seeds;
    private readonly IReadOnlyList<Target> _targets;
    private readonly TargetStats[] _stats;
    private readonly Worker[] _workers;
    private readonly ConcurrentDictionary<string, (FuzzCase Case, int Target)> _templates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _templateCounts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _corpusTemplates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _findings = new(StringComparer.Ordinal);
    private readonly Lock _findingLock = new();
    private long _next;
    private long _deadline = long.MaxValue;
    private int _crashes;
    private int _allocationOverruns;
    private int _runtimeFindings;

    public Runner(Options options, RepoPaths paths)
    {
        _o = options;
        _paths = paths;
        _oracle = new Oracle(options.AllocFactor, options.AllocSlack);
        _seeds = Seeds.Load(paths);
        _targets = Targets.All(_seeds);
        _stats = [.. _targets.Select(_ => new TargetStats())];
        Directory.CreateDirectory(paths.Inflight);
        _workers = [.. Enumerable.Range(0, Math.Max(1, options.Threads)).Select(i => new Worker(i, Path.Combine(paths.Inflight, $"worker-{i}.bin")))];
    }

    public void Dispose()
    {
        foreach (var w in _workers)
        {
            w.Dispose();
        }
    }

    public int Run()
    {
        StartWatchdog();
        if (_o.Replay.Count > 0)
        {
            return Replay();
        }

        if (_o.Dump is { } dump)
        {
            return DumpInputs(dump);
        }

        var wall = Stopwatch.StartNew();
        var corpusFindings = _o.NoCorpus ? 0 : ReplayCorpus();
        Console.WriteLine($"fuzzing: seed 0x{_o.Seed:x}, {_workers.Length} thread{(_workers.Length == 1 ? "" : "s")}, " +
            $"{(_o.InputLimit == long.MaxValue ? "no input limit" : $"{_o.InputLimit} inputs")}{(_o.Seconds is { } s ? $", {s} s" : "")}, " +
            $"timeout {_o.TimeoutMs} ms/input, allocation bound {_o.AllocFactor}×N + {_o.AllocSlack >> 20} MiB");
        var fuzzClock = Stopwatch.StartNew();
        if (_o.Seconds is { } seconds)
        {
            _deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        }

        RunPhase(Slots(), _o.InputLimit, fuzzClock);
        if (_o.Target is null && _o.RuntimeInputs > 0)
        {
            // The runtime target costs milliseconds per input (an engine, compiling its libraries), so it is not in the
            // round-robin: it runs its own bounded number of inputs afterwards, whatever --seconds left.
            var runtime = _targets.ToList().FindIndex(t => t.Name == "runtime");
            _next = 0;
            _deadline = long.MaxValue;
            var phase = Stopwatch.StartNew();
            RunPhase([runtime], _o.RuntimeInputs, fuzzClock);
            Console.WriteLine($"runtime: {_stats[runtime].Inputs} inputs in {phase.Elapsed.TotalSeconds:F1} s");
        }

        var fuzzTime = fuzzClock.Elapsed.TotalSeconds;
        PrintSummary(fuzzTime, wall.Elapsed.TotalSeconds);
        if (_o.Outcomes)
        {
            Console.WriteLine($"GC: {GC.CollectionCount(0)} gen0, {GC.CollectionCount(1)} gen1, {GC.CollectionCount(2)} gen2 collections, " +
                $"{GC.GetTotalPauseDuration().TotalSeconds:F1} s paused, {GC.GetTotalAllocatedBytes() >> 20:N0} MiB allocated");
            for (var t = 0; t < _targets.Count; t++)
            {
                Console.WriteLine($"{_targets[t].Name}: slowest {_stats[t].SlowestInput}; peak allocation {_stats[t].PeakAllocInput}; " +
                    $"drawing inputs {_stats[t].DrawTicks / (double)Stopwatch.Frequency:F1} s, running them {_stats[t].BusyTicks / (double)Stopwatch.Frequency:F1} s (thread time)");
            }

            foreach (var (template, count) in _templateCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                Console.WriteLine($"{count,9} {template}");
            }
        }

        if (_o.SaveCorpus)
        {
            SaveCorpus();
        }

        var findings = corpusFindings + _findings.Count;
        if (findings == 0)
        {
            CleanInflight();
        }

        return findings > 0 ? 1 : 0;
    }

    private void RunPhase(int[] slots, long limit, Stopwatch fuzzClock)
    {
        var threads = _workers.Select(w => new Thread(() => Work(w, slots, limit)) { IsBackground = true, Name = $"fuzz-{w.Id}" }).ToList();
        threads.ForEach(t => t.Start());
        var lastReport = Stopwatch.GetTimestamp();
        while (threads.Any(t => t.IsAlive))
        {
            threads.First(t => t.IsAlive).Join(500);
            if (Stopwatch.GetElapsedTime(lastReport).TotalSeconds >= 30)
            {
                lastReport = Stopwatch.GetTimestamp();
                var done = _stats.Sum(s => s.Inputs);
                Console.WriteLine($"  … {done} inputs, {done / fuzzClock.Elapsed.TotalSeconds:F0} exec/s, {_findings.Count} findings");
            }
        }
    }

    private int[] Slots() => _o.Target is { } only
        ? [_targets.ToList().FindIndex(t => t.Name == only)]
        : [.. _targets.SelectMany((t, i) => Enumerable.Repeat(i, t.Weight))];

    /// <summary>Input <paramref name="i"/> of the run: a function of the seed and the index only.</summary>
    private (int Target, FuzzCase Case) Draw(int[] slots, long i)
    {
        var t = slots[i % slots.Length];
        return (t, _targets[t].Cases.Draw(new CsCheck.PCG((uint)t, Rand.Mix(_o.Seed, (ulong)i))));
    }

    private int DumpInputs(string dir)
    {
        Directory.CreateDirectory(dir);
        var slots = Slots();
        var count = Math.Min(_o.InputLimit, 100_000);
        for (long i = 0; i < count; i++)
        {
            var (t, c) = Draw(slots, i);
            File.WriteAllBytes(Path.Combine(dir, $"{i:D6}-{_targets[t].Name}{c.Extension}"), CaseCodec.Encode(c));
        }

        Console.WriteLine($"wrote {count} inputs to {dir}");
        return 0;
    }

    private void Work(Worker w, int[] slots, long limit)
    {
        while (true)
        {
            var i = Interlocked.Increment(ref _next) - 1;
            if (i >= limit || Stopwatch.GetTimestamp() >= _deadline)
            {
                return;
            }

            var drawStart = Stopwatch.GetTimestamp();
            var (t, c) = Draw(slots, i);
            var drawTicks = Stopwatch.GetTimestamp() - drawStart;
            var (outcome, ticks) = Execute(w, c, $"{_targets[t].Name} input #{i} of seed 0x{_o.Seed:x}");
            _stats[t].Add(outcome, ticks, drawTicks, c.InputBytes, w.Label);
            Observe(w, c, t, outcome);
        }
    }

    private (Outcome Outcome, long Ticks) Execute(Worker w, FuzzCase c, string label)
    {
        w.Begin(c, label);
        var start = Stopwatch.GetTimestamp();
        var outcome = _oracle.Run(c);
        var ticks = Stopwatch.GetTimestamp() - start;
        w.End();
        return (outcome, ticks);
    }

    private void Observe(Worker w, FuzzCase c, int target, Outcome outcome)
    {
        if (outcome.Verdict == Verdict.Finding)
        {
            ReportFinding(w, c, target, outcome, minimize: true);
            return;
        }

        _templates.AddOrUpdate(outcome.Template, (c, target), (_, old) => c.InputBytes < old.Case.InputBytes ? (c, target) : old);
        _stats[target].Outcomes.TryAdd(outcome.Template, 0);
        _templateCounts.AddOrUpdate(outcome.Template, 1, (_, n) => n + 1);
    }

    private void ReportFinding(Worker w, FuzzCase c, int target, Outcome outcome, bool minimize)
    {
        var signature = outcome.Signature!;
        if (_findings.AddOrUpdate(signature, 1, (_, n) => n + 1) > 1)
        {
            return;
        }

        var kind = signature.StartsWith("crash", StringComparison.Ordinal) ? "crash" : signature.StartsWith("runtime", StringComparison.Ordinal) ? "runtime" : "alloc";
        if (kind == "crash")
        {
            Interlocked.Increment(ref _crashes);
        }
        else if (kind == "runtime")
        {
            Interlocked.Increment(ref _runtimeFindings);
        }
        else
        {
            Interlocked.Increment(ref _allocationOverruns);
        }

        var label = w.Label;
        var minimized = minimize
            // A runtime input takes milliseconds (an engine, its libraries compiled): a small budget keeps CI short.
            ? Minimizer.Minimize(c, candidate => Execute(w, candidate, label + " (minimizing)").Outcome.Signature == signature, c.Kind == CaseKind.Runtime ? 60 : 4000)
            : c;
        var detail = minimize ? Execute(w, minimized, label + " (minimized)").Outcome.Detail ?? outcome.Detail : outcome.Detail;
        lock (_findingLock)
        {
            var name = $"{kind}-{(target >= 0 ? _targets[target].Name : "corpus")}-{Hash(signature)}";
            var raw = WriteFinding(name, c, minimized, $"{signature}\n{label}\n\n{detail}\n");
            Console.Error.WriteLine($"FINDING {signature}");
            Console.Error.WriteLine($"  input: {label}; written to {raw}");
            Console.Error.WriteLine($"  minimized: {minimized.InputBytes} bytes{(minimized.Kind == CaseKind.Parse && minimized.InputBytes <= 512 ? $": {Convert.ToHexString(minimized.Files[0].Bytes).ToLowerInvariant()}" : "")}");
            Console.Error.WriteLine("  " + (detail ?? "").Split('\n').Take(12).Aggregate((a, b) => a + "\n  " + b));
        }
    }

    /// <summary>Writes the input, its minimized form and a report; returns the input's path.</summary>
    private string WriteFinding(string name, FuzzCase c, FuzzCase? minimized, string report)
    {
        Directory.CreateDirectory(_paths.Findings);
        var path = Path.Combine(_paths.Findings, name + c.Extension);
        File.WriteAllBytes(path, CaseCodec.Encode(c));
        if (minimized is not null)
        {
            File.WriteAllBytes(Path.Combine(_paths.Findings, name + ".min" + minimized.Extension), CaseCodec.Encode(minimized));
            if (minimized.Kind == CaseKind.Parse)
            {
                report += $"\nminimized input ({minimized.InputBytes} bytes, hex):\n{Convert.ToHexString(minimized.Files[0].Bytes).ToLowerInvariant()}\n";
            }
        }

        File.WriteAllText(Path.Combine(_paths.Findings, name + ".txt"), report);
        return path;
    }

    private static string Hash(string s) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(s)))[..8].ToLowerInvariant();

    private void StartWatchdog()
    {
        var timeout = (long)(_o.TimeoutMs * TicksPerMs);
        new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(100);
                foreach (var w in _workers)
                {
                    var started = w.Started;
                    if (started != 0 && Stopwatch.GetTimestamp() - started > timeout && w.Current is { } c)
                    {
                        var name = $"hang-{Hash(w.Label)}";
                        var path = WriteFinding(name, c, null, $"hang: still running after {_o.TimeoutMs} ms\n{w.Label}\n");
                        Console.Error.WriteLine($"FINDING hang: an input ran for more than {_o.TimeoutMs} ms");
                        Console.Error.WriteLine($"  input: {w.Label}; written to {path}");
                        Console.Out.Flush();
                        Console.Error.Flush();
                        Environment.Exit(3);
                    }
                }
            }
        })
        { IsBackground = true, Name = "fuzz-watchdog" }.Start();
    }

    /// <summary>Runs the committed corpus, then every fixture as it is (each module parsed, each program planned).</summary>
    private int ReplayCorpus()
    {
        var w = _workers[0];
        var findings = 0;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        void Run(string name, FuzzCase c, string group)
        {
            var (outcome, _) = Execute(w, c, $"{group} {name}");
            counts[group] = counts.GetValueOrDefault(group) + 1;
            if (outcome.Verdict == Verdict.Finding)
            {
                findings++;
                ReportFinding(w, c, -1, outcome, minimize: false);
            }
            else if (group.StartsWith("corpus", StringComparison.Ordinal))
            {
                _corpusTemplates.Add(Oracle.CorpusKey(outcome.Template));
            }
            else if (group == "program" && outcome.Verdict != Verdict.Accepted)
            {
                Console.WriteLine($"  note: fixture program {name} does not plan: {outcome.Template}");
            }
        }

        foreach (var f in _seeds.CorpusParse)
        {
            Run(f.Name, FuzzCase.ParseOf(f.Bytes), "corpus/parse");
        }

        foreach (var (name, bytes) in _seeds.CorpusLink)
        {
            Run(name, CaseCodec.Decode(bytes), "corpus/link");
        }

        foreach (var m in _seeds.Modules)
        {
            Run(m.Name, FuzzCase.ParseOf(m.Bytes), "fixture");
        }

        foreach (var program in _seeds.Programs)
        {
            var files = program.Select(f => new CaseFile($"/app/{f.Name}", f.Bytes)).ToList();
            Run(program[0].Name, new FuzzCase(CaseKind.Link, files, new LinkConfig(LinkEntry.MainPath, $"/app/{program[0].Name}", [], [], [], [], [], [])), "program");
        }

        Console.WriteLine($"replayed: corpus {counts.GetValueOrDefault("corpus/parse")} parse + {counts.GetValueOrDefault("corpus/link")} link inputs " +
            $"({_corpusTemplates.Count} distinct outcomes), {counts.GetValueOrDefault("fixture")} fixture modules, {counts.GetValueOrDefault("program")} fixture programs; {findings} findings");
        return findings;
    }

    private int Replay()
    {
        var w = _workers[0];
        var findings = 0;
        foreach (var file in _o.Replay)
        {
            var c = CaseCodec.Decode(File.ReadAllBytes(file));
            var (outcome, ticks) = Execute(w, c, file);
            Console.WriteLine($"{file}: {outcome.Verdict} in {ticks / TicksPerMs:F1} ms, {outcome.Allocated:N0} bytes allocated for {c.InputBytes:N0} input bytes: {outcome.Template}");
            if (outcome.Verdict == Verdict.Finding)
            {
                findings++;
                Console.WriteLine($"  {outcome.Signature}\n  {outcome.Detail}");
            }

            if (_o.Minimize)
            {
                var minimized = Minimizer.Minimize(c, x => Execute(w, x, file + " (minimizing)").Outcome is var o
                    && (outcome.Signature is { } s ? o.Signature == s : o.Template == outcome.Template), 20_000);
                var path = Path.ChangeExtension(file, null) + ".min" + minimized.Extension;
                File.WriteAllBytes(path, CaseCodec.Encode(minimized));
                Console.WriteLine($"  minimized to {minimized.InputBytes} module bytes ({minimized.Files.Count} files): {path}");
                if (minimized.Kind == CaseKind.Parse || minimized.Files.Count == 1)
                {
                    Console.WriteLine($"  {Convert.ToHexString(minimized.Files[0].Bytes).ToLowerInvariant()}");
                }
            }
        }

        return findings > 0 ? 1 : 0;
    }

    private void PrintSummary(double fuzzSeconds, double wallSeconds)
    {
        Console.WriteLine($"{"target",-16} {"inputs",9} {"accepted",9} {"rejected",9} {"findings",8} {"outcomes",8} {"exec/s/thread",13} {"slowest",9} {"peak alloc",11}");
        for (var t = 0; t < _targets.Count; t++)
        {
            var s = _stats[t];
            var outcomes = s.Outcomes.Count;
            var rate = s.BusyTicks > 0 ? s.Inputs / (s.BusyTicks / (double)Stopwatch.Frequency) : 0;
            Console.WriteLine($"{_targets[t].Name,-16} {s.Inputs,9} {s.Accepted,9} {s.Rejected,9} {s.Findings,8} {outcomes,8} {rate,13:F0} {s.SlowestTicks / TicksPerMs,6:F1} ms {s.PeakAllocPerByte,9:F1}×N");
        }

        var total = _stats.Sum(s => s.Inputs);
        // A hang ends the process from the watchdog, so a summary always has none.
        Console.WriteLine($"total: {total} inputs in {fuzzSeconds:F1} s ({total / Math.Max(fuzzSeconds, 1e-9):F0} exec/s on {_workers.Length} threads; {wallSeconds:F1} s with replay); " +
            $"crashes {_crashes}, hangs 0, allocation overruns {_allocationOverruns}, runtime findings {_runtimeFindings}, distinct outcomes {_templates.Count}");
    }

    /// <summary>
    /// Adds a minimized input for each outcome the corpus does not cover yet (see <see cref="Oracle.CorpusKey"/>), keeping
    /// each under 8 KB (a link case built on a fixture program rarely shrinks; the fixtures are replayed anyway) and
    /// the corpus under 600 KB.
    /// </summary>
    private void SaveCorpus()
    {
        var w = _workers[0];
        var added = 0;
        long size = Directory.Exists(_paths.Corpus) ? Directory.EnumerateFiles(_paths.Corpus, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
        foreach (var (template, (c, _)) in _templates.OrderBy(kv => kv.Value.Case.InputBytes))
        {
            var key = Oracle.CorpusKey(template);
            if (_corpusTemplates.Contains(key) || size > 600_000)
            {
                continue;
            }

            var minimized = Minimizer.Minimize(c, x => Execute(w, x, "corpus (minimizing)").Outcome.Template == template, 1500);
            var bytes = CaseCodec.Encode(minimized);
            if (bytes.Length > 8192)
            {
                continue;
            }

            _corpusTemplates.Add(key);
            var dir = Path.Combine(_paths.Corpus, minimized.Kind == CaseKind.Parse ? "parse" : "link");
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, Hash(key) + minimized.Extension), bytes);
            size += bytes.Length;
            added++;
        }

        Console.WriteLine($"corpus: added {added} inputs; {size:N0} bytes in all");
    }

    private void CleanInflight()
    {
        foreach (var w in _workers)
        {
            w.Dispose();
        }

        try
        {
            Directory.Delete(_paths.Inflight, recursive: true);
            if (Directory.Exists(_paths.Findings) && !Directory.EnumerateFileSystemEntries(_paths.Findings).Any())
            {
                Directory.Delete(_paths.Findings);
            }
        }
        catch (IOException)
        {
            // Another run may be using them.
        }
    }
}
