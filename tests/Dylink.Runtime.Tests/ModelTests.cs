using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CsCheck;
using Dylink.Linking;
using Dylink.Linking.Tests;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Runtime.Tests;

/// <summary>
/// The C# run-time linking API against a model (<see cref="LinkerModel"/>), one thread and several: random sequences of
/// Open/Close/Symbol/GetFunction+Invoke/Rebind/Restore/Reload/Describe, each step checked against what the model says
/// is loaded, visible and returned; Dispose while guest code runs; every call on a linker with nothing loaded.
/// Counts are small so the file runs in seconds; DYLINK_SOAK_MINUTES=N runs each test for about N minutes instead.
/// </summary>
public class ModelTests
{
    private const int Threads = 4;

    // Not a timing assertion: only how long a test waits for a thread that should have stopped before calling it hung
    // (a hung guest call would otherwise block the test run for ever).
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(1);

    private static readonly ModelLibraries Single = new("");

    [Fact]
    public void SampleModelBased_OneThread_AgreesWithTheModel()
    {
        using var harnesses = new OneAtATime();
        Gen.Int[0, 0].Select(_ => (harnesses.Next(Single), new LinkerModel(Single)))
            .SampleModelBased(Operations(), Agrees, iter: 60, time: Soak.Seconds, threads: 1,
                printActual: h => $"{h.Mismatch}\nhandles: {h}", printModel: m => m.ToString());
    }

    /// <summary>
    /// Up to four operations at once on one linker, after a few in sequence: the state they leave (what is loaded,
    /// visible, and what each function returns) must be one that some sequential order of them would have left.
    /// </summary>
    [Fact]
    public void SampleParallel_OperationsLinearize()
    {
        using var harnesses = new OneAtATime();
        Gen.Int[0, 0].Select(_ => (
                harnesses.Next(Single, logging: false, callsAreDirect: true),
                new LinkerModel(Single) { Logging = false, CallsAreDirect = true }))
            .SampleParallel(Operations(parallel: true), (h, m) => SnapshotsAgree(h, m), maxSequentialOperations: 6, maxParallelOperations: Threads,
                iter: 40, time: Soak.Seconds, threads: 1, printActual: h => $"{h.Mismatch}\nhandles: {h}", printModel: m => m.ToString());
    }

    /// <summary>Four threads on one linker, each with its own libraries and its own model, each step checked: the others'
    /// loads, unloads, rebinds and reloads must not change what one thread sees of its own libraries.</summary>
    [Fact]
    public void FourThreads_EachAgreesWithItsModel()
    {
        var sets = Enumerable.Range(0, Threads).Select(t => new ModelLibraries($"t{t}_")).ToArray();
        var source = ModelLibraries.Source(sets);
        Soak.Repeat(rounds: 1, round =>
        {
            using var linker = LinkerHarness.Start(source);
            var failures = RunThreads(Threads, t => RandomOperations(linker, sets[t], seed: (round * Threads) + t, operations: 120));
            Assert.True(failures.IsEmpty, string.Join("\n\n", failures));
        });
    }

    /// <summary>The same sequences as <see cref="FourThreads_EachAgreesWithItsModel"/>, one set after the other on one
    /// thread: when this passes and the four-thread test fails, the difference is the threads.</summary>
    [Fact]
    public void FourSets_OneThread_AgreeWithTheirModels()
    {
        var sets = Enumerable.Range(0, Threads).Select(t => new ModelLibraries($"t{t}_")).ToArray();
        using var linker = LinkerHarness.Start(ModelLibraries.Source(sets));
        for (var t = 0; t < Threads; t++)
        {
            RandomOperations(linker, sets[t], seed: t, operations: 120)();
        }
    }

    /// <summary>One thread calls functions it got from GetFunction (untyped and typed) in a loop while three others
    /// open, close, rebind and reload their own libraries.</summary>
    [Fact]
    public void GetFunctionLoop_WhileOthersCloseOpenAndReload()
    {
        var sets = Enumerable.Range(0, Threads).Select(t => new ModelLibraries($"t{t}_")).ToArray();
        var source = ModelLibraries.Source(sets);
        Soak.Repeat(rounds: 1, round =>
        {
            using var linker = LinkerHarness.Start(source);
            using var others = new CountdownEvent(Threads - 1);
            var failures = RunThreads(Threads, t => t == 0
                ? () => CallInALoop(linker, sets[0], others)
                : () =>
                {
                    try
                    {
                        RandomOperations(linker, sets[t], seed: 1000 + (round * Threads) + t, operations: 120)();
                    }
                    finally
                    {
                        others.Signal();
                    }
                });
            Assert.True(failures.IsEmpty, string.Join("\n\n", failures));
        });
    }

    /// <summary>Without epoch checks, Dispose cannot stop a guest call: it must wait for it (or the call must fail
    /// cleanly), and then every call throws <see cref="ObjectDisposedException"/>. The loop is long but bounded.</summary>
    [Fact]
    public void Dispose_DuringALongGuestCall_WaitsForIt_ThenEveryCallThrowsObjectDisposed() =>
        DisposeDuringGuestCall(options: null, iterations: 200_000_000);

    /// <summary>With epoch checks on (a Timeout far away), Dispose interrupts a guest call that would never return.</summary>
    [Fact]
    public void Dispose_DuringAnEndlessGuestCall_WithTimeout_InterruptsIt_ThenEveryCallThrowsObjectDisposed() =>
        DisposeDuringGuestCall(new DynamicLinkerOptions { Timeout = TimeSpan.FromHours(1) }, iterations: -1);

    /// <summary>Dispose while four threads are in the middle of operations: no crash, and afterwards every call fails
    /// with <see cref="ObjectDisposedException"/>.</summary>
    [Fact]
    public void Dispose_WhileThreadsOperate_NothingCrashes_ThenEveryCallThrowsObjectDisposed()
    {
        Soak.Repeat(rounds: 3, round =>
        {
            var sets = Enumerable.Range(0, Threads).Select(t => new ModelLibraries($"t{t}_")).ToArray();
            var linker = LinkerHarness.Start(ModelLibraries.Source(sets));
            var handle = linker.Open(sets[0].All[ModelLibraries.B].Name, OpenMode.Now | OpenMode.Global);
            var function = linker.GetFunction(handle, sets[0].All[ModelLibraries.B].Function);
            using var started = new CountdownEvent(Threads);
            var failures = new ConcurrentQueue<string>();
            var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                var random = new Random((round * Threads) + t);
                var set = sets[t];
                started.Signal();
                // Until the linker is disposed under it: only ObjectDisposedException may end this loop.
                while (true)
                {
                    var lib = set.All[random.Next(set.All.Count)];
                    try
                    {
                        var h = linker.Open(lib.Name, OpenMode.Now | OpenMode.Global);
                        _ = linker.GetFunction(h, lib.Function).Invoke();
                        linker.Rebind(lib.Function, (Func<int>)(() => 1));
                        linker.Restore(lib.Function);
                        linker.Close(h);
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                    catch (LinkException)
                    {
                        // c cannot link while a is local: an outcome of the random opens, not of Dispose.
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        // An assertion here would end the process (an exception on a thread of ours): report it instead.
                        failures.Enqueue($"thread {t}: {e}");
                        return;
                    }
                }
            })
            { IsBackground = true }).ToList();
            threads.ForEach(thread => thread.Start());
            started.Wait();
            linker.Dispose();
            Assert.All(threads, thread => Assert.True(thread.Join(HangGuard), "a thread did not stop after Dispose"));
            Assert.True(failures.IsEmpty, string.Join("\n", failures));
            AssertDisposed(linker, handle, sets[0].All[ModelLibraries.B].Function, () => function.Invoke());
        });
    }

    public static TheoryData<string> CallsBeforeLoad() =>
        ["RunMain", "Close", "Symbol", "Open", "GetFunction", "GetFunction(handle)", "Rebind", "Restore", "Reload", "Describe"];

    /// <summary>Nothing loaded yet: every call says so with <see cref="InvalidOperationException"/> (the docs' promise),
    /// never a <see cref="NullReferenceException"/>.</summary>
    [Theory]
    [MemberData(nameof(CallsBeforeLoad))]
    public void BeforeLoad_EveryCallThrowsInvalidOperation(string call)
    {
        using var linker = new DynamicLinker();
        var handle = new LibraryHandle(1);
        Action action = call switch
        {
            "RunMain" => () => linker.RunMain(),
            "Close" => () => linker.Close(handle),
            "Symbol" => () => linker.Symbol(LibraryHandle.Default, "f"),
            "Open" => () => linker.Open("liba.so"),
            "GetFunction" => () => linker.GetFunction("f"),
            "GetFunction(handle)" => () => linker.GetFunction(handle, "f"),
            "Rebind" => () => linker.Rebind("f", (Func<int>)(() => 1)),
            "Restore" => () => linker.Restore("f"),
            "Reload" => () => linker.Reload(handle, new byte[] { 0 }),
            "Describe" => () => linker.Describe(1),
            _ => throw new ArgumentOutOfRangeException(nameof(call)),
        };
        Assert.Throws<InvalidOperationException>(action);
    }

    /// <summary>Compares the harness's log with the model's entry by entry; the first difference goes to the report.</summary>
    internal static bool Agrees(LinkerHarness harness, LinkerModel model)
    {
        for (var i = 0; i < Math.Max(harness.Log.Count, model.Log.Count); i++)
        {
            var actual = i < harness.Log.Count ? harness.Log[i] : "(nothing)";
            var expected = i < model.Log.Count ? model.Log[i] : ["(nothing)"];
            if (!expected.Contains(actual))
            {
                harness.Mismatch = $"at log entry {i}: the linker shows '{actual}', the model expects {string.Join(" or ", expected.Select(e => $"'{e}'"))}\n"
                    + $"operations so far:\n  {string.Join("\n  ", harness.Log.Take(i + 1).Where(l => l.Contains(": ", StringComparison.Ordinal)))}";
                return false;
            }
        }

        return true;
    }

    private static bool SnapshotsAgree(LinkerHarness harness, LinkerModel model)
    {
        var actual = harness.Snapshot().ToList();
        var expected = model.Snapshot().ToList();
        for (var i = 0; i < expected.Count; i++)
        {
            if (!expected[i].Contains(actual[i]))
            {
                harness.Mismatch = $"the linker shows '{actual[i]}', the model expects {string.Join(" or ", expected[i])}";
                return false;
            }
        }

        return true;
    }

    /// <summary>The operations, as CsCheck generators: the same parameters go to the harness and to the model. Open comes
    /// twice so that sequences build up loaded libraries. In parallel, Reload is left out: it hands back a new handle and
    /// invalidates the old one, so a Close racing it on the old handle fails (ArgumentException) in one order and not in
    /// the other — right for the linker, but not a state the model, which tracks libraries rather than handles, can
    /// linearize. Reload is raced by the thread tests instead.</summary>
    private static GenOperation<LinkerHarness, LinkerModel>[] Operations(bool parallel = false)
    {
        var libs = Single.All.Count;
        var lib = Gen.Int[0, libs - 1];
        var mode = Gen.Select(lib, Gen.Bool, Gen.Int[0, 5], Gen.Int[0, 7]).Select(t => (Lib: t.Item1, Mode: ModeOf(t.Item1, t.Item2, t.Item3, t.Item4)));
        var lookup = Gen.Select(Gen.Int[-1, libs - 1], Gen.Int[0, Single.SymbolCount - 1]);
        var rebind = Gen.Select(lib, Gen.Int[0, ModelLibraries.RebindTargets.Length], Gen.Int[0, 9]);
        GenOperation<LinkerHarness, LinkerModel> open = mode.Operation<LinkerHarness, LinkerModel>(
            t => $"Open({Single.All[t.Lib].Name}, {t.Mode})", (h, t) => h.Open(t.Lib, t.Mode), (m, t) => m.Open(t.Lib, t.Mode));
        return
        [
            open,
            open,
            lib.Operation<LinkerHarness, LinkerModel>(l => $"Close({Single.All[l].Name})", (h, l) => h.Close(l), (m, l) => m.Close(l)),
            lookup.Operation<LinkerHarness, LinkerModel>(t => $"Symbol({t.Item1}, {Single.SymbolName(t.Item2)})",
                (h, t) => h.Symbol(t.Item1, t.Item2), (m, t) => m.Symbol(t.Item1, t.Item2)),
            lookup.Operation<LinkerHarness, LinkerModel>(t => $"GetFunction({t.Item1}, {Single.SymbolName(t.Item2)}).Invoke()",
                (h, t) => h.Invoke(t.Item1, t.Item2), (m, t) => m.Invoke(t.Item1, t.Item2)),
            rebind.Operation<LinkerHarness, LinkerModel>(t => $"Rebind({Single.All[t.Item1].Function}, {RebindTarget(t.Item2, t.Item3)})",
                (h, t) => h.Rebind(t.Item1, Target(t.Item2), 7000 + t.Item3), (m, t) => m.Rebind(t.Item1, Target(t.Item2), 7000 + t.Item3)),
            lib.Operation<LinkerHarness, LinkerModel>(l => $"Restore({Single.All[l].Function})", (h, l) => h.Restore(l), (m, l) => m.Restore(l)),
            .. parallel ? Array.Empty<GenOperation<LinkerHarness, LinkerModel>>() :
                [Gen.Int[0, 2].Operation<LinkerHarness, LinkerModel>(v => $"Reload(libr.so, v{v})", (h, v) => h.Reload(v), (m, v) => m.Reload(v))],
            Gen.Int[0, Single.SymbolCount - 1].Operation<LinkerHarness, LinkerModel>(s => $"Describe({Single.SymbolName(s)})",
                (h, s) => h.Describe(s), (m, s) => m.Describe(s)),
        ];
    }

    /// <summary>Now, Global or Local, sometimes NoLoad, sometimes NoDelete (never for libr: a NODELETE library cannot be
    /// replaced by a reload, which the model leaves out).</summary>
    private static OpenMode ModeOf(int lib, bool global, int noLoad, int noDelete) =>
        OpenMode.Now | (global ? OpenMode.Global : OpenMode.Local) | (noLoad == 0 ? OpenMode.NoLoad : 0)
        | (noDelete == 0 && lib != ModelLibraries.R ? OpenMode.NoDelete : 0);

    private static int? Target(int target) => target < ModelLibraries.RebindTargets.Length ? target : null;

    private static string RebindTarget(int target, int value) =>
        Target(target) is { } t ? ModelLibraries.RebindTargets[t].Name : $"() => {7000 + value}";

    /// <summary>A thread's random sequence over its own set, checked against its own model after every operation.</summary>
    private static Action RandomOperations(DynamicLinker linker, ModelLibraries set, int seed, int operations) => () =>
    {
        var harness = new LinkerHarness(set, linker, ownsLinker: false) { CallsAreDirect = true };
        var model = new LinkerModel(set) { CallsAreDirect = true };
        var random = new Random(seed);
        var done = new List<string>();
        for (var i = 0; i < operations; i++)
        {
            var lib = random.Next(set.All.Count);
            var symbol = random.Next(-1, set.SymbolCount);
            switch (random.Next(9))
            {
                case 0 or 1:
                    var mode = ModeOf(lib, random.Next(2) == 0, random.Next(6), random.Next(8));
                    done.Add($"Open({set.All[lib].Name}, {mode})");
                    harness.Open(lib, mode);
                    model.Open(lib, mode);
                    break;
                case 2:
                    done.Add($"Close({set.All[lib].Name})");
                    harness.Close(lib);
                    model.Close(lib);
                    break;
                case 3:
                    done.Add($"Symbol({lib}, {set.SymbolName(Math.Max(0, symbol))})");
                    harness.Symbol(lib, Math.Max(0, symbol));
                    model.Symbol(lib, Math.Max(0, symbol));
                    break;
                case 4:
                    done.Add($"GetFunction({lib}, {set.SymbolName(Math.Max(0, symbol))}).Invoke()");
                    harness.Invoke(lib, Math.Max(0, symbol));
                    model.Invoke(lib, Math.Max(0, symbol));
                    break;
                case 5:
                    var value = 7000 + random.Next(10);
                    done.Add($"Rebind({set.All[lib].Function}, () => {value})");
                    harness.Rebind(lib, null, value);
                    model.Rebind(lib, null, value);
                    break;
                case 6:
                    done.Add($"Restore({set.All[lib].Function})");
                    harness.Restore(lib);
                    model.Restore(lib);
                    break;
                case 7:
                    var version = random.Next(3);
                    done.Add($"Reload(libr, v{version})");
                    harness.Reload(version);
                    model.Reload(version);
                    break;
                default:
                    done.Add($"Describe({set.SymbolName(Math.Max(0, symbol))})");
                    harness.Describe(Math.Max(0, symbol));
                    model.Describe(Math.Max(0, symbol));
                    break;
            }

            Assert.True(Agrees(harness, model), $"{set.Prefix}: {harness.Mismatch}\nthe last operation threw: {harness.OperationException}\nmodel: {model}\nall operations: {string.Join(", ", done)}");
            // Each step is checked on its own: only the last few entries are needed.
            harness.Log.Clear();
            model.Log.Clear();
        }

    };

    /// <summary>Thread 0 of <see cref="GetFunctionLoop_WhileOthersCloseOpenAndReload"/>: b (and a) stay open while it calls
    /// b's function, its typed wrapper and the base library's alt1 through GetFunction(symbol), for as long as the other
    /// threads run (a count of their operations, not a time, bounds it).</summary>
    private static void CallInALoop(DynamicLinker linker, ModelLibraries set, CountdownEvent others)
    {
        var b = set.All[ModelLibraries.B];
        var handle = linker.Open(b.Name, OpenMode.Now | OpenMode.Global);
        var function = linker.GetFunction(handle, b.Function);
        var typed = function.WrapFunc<int>()!;
        var alt = linker.GetFunction<int>("alt1");
        while (!others.IsSet)
        {
            Assert.Equal(11, (int)function.Invoke()!);
            Assert.Equal(11, typed());
            Assert.Equal(77, alt());
        }

        linker.Close(handle);
    }

    /// <summary>Runs one body per thread, all released together by a barrier; returns what failed (a crash ends the process).</summary>
    private static ConcurrentQueue<string> RunThreads(int count, Func<int, Action> body)
    {
        var failures = new ConcurrentQueue<string>();
        using var barrier = new Barrier(count);
        var threads = Enumerable.Range(0, count).Select(t => new Thread(() =>
        {
            barrier.SignalAndWait();
            try
            {
                body(t)();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failures.Enqueue($"thread {t}: {e}");
            }
        })
        { IsBackground = true }).ToList();
        threads.ForEach(thread => thread.Start());
        Assert.All(threads, thread => Assert.True(thread.Join(HangGuard), "a thread hung"));
        return failures;
    }

    /// <summary>A library whose spin(n) tells the host it has started, loops n times (for ever when n is negative) and
    /// returns 7; Dispose comes once it has started.</summary>
    private static void DisposeDuringGuestCall(DynamicLinkerOptions? options, int iterations)
    {
        Soak.Repeat(rounds: 1, _ =>
        {
            var source = new InMemorySource();
            ModelLibraries.AddBase(source);
            source.Add("libspin.so", Side("""
                (import "env" "entered" (func $entered))
                (func (export "spin") (param $n i32) (result i32)
                  (call $entered)
                  (block $done
                    (loop $again
                      (br_if $done (i32.eqz (local.get $n)))
                      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                      (br $again)))
                  (i32.const 7))
                """));
            using var entered = new ManualResetEventSlim();
            var linker = new DynamicLinker(options);
            linker.DefineFunction("entered", () => entered.Set());
            linker.LoadLibraries(new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = [ModelLibraries.Base] });
            var handle = linker.Open("libspin.so");
            var function = linker.GetFunction(handle, "spin");
            string? outcome = null;
            var guest = new Thread(() => outcome = LinkerHarness.Outcome(() => $"returned {function.Invoke(iterations)}")) { IsBackground = true };
            guest.Start();
            entered.Wait();
            linker.Dispose();
            Assert.True(guest.Join(HangGuard), "the guest call neither returned nor was interrupted after Dispose");
            // Waited for: it returned 7. Interrupted: it failed, with ObjectDisposedException or Wasmtime's trap for
            // the interrupt; any other exception (or a crash) is a bug.
            Assert.True(outcome is "returned 7" or nameof(ObjectDisposedException) or nameof(Wasmtime.TrapException) or nameof(Wasmtime.WasmtimeException)
                or nameof(OperationCanceledException), $"the guest call ended with {outcome}");
            if (iterations < 0)
            {
                Assert.NotEqual("returned 7", outcome);
            }

            AssertDisposed(linker, handle, "spin", () => function.Invoke(0));
        });
    }

    /// <summary>After Dispose every entry into the linker, and every function it handed out, throws ObjectDisposedException.</summary>
    private static void AssertDisposed(DynamicLinker linker, LibraryHandle handle, string symbol, Action callFunction)
    {
        var calls = new (string Name, Action Call)[]
        {
            ("Open", () => linker.Open("libbase.so")),
            ("Open(NoLoad)", () => linker.Open("libbase.so", OpenMode.Now | OpenMode.NoLoad)),
            ("Close", () => linker.Close(handle)),
            ("Symbol", () => linker.Symbol(handle, symbol)),
            ("GetFunction(handle)", () => linker.GetFunction(handle, symbol)),
            ("GetFunction(symbol)", () => linker.GetFunction("alt1")),
            ("Rebind", () => linker.Rebind("alt1", (Func<int>)(() => 1))),
            ("Restore", () => linker.Restore("alt1")),
            ("Reload", () => linker.Reload(handle, new byte[] { 0 })),
            ("Describe", () => linker.Describe(1)),
            ("IsLoaded", () => linker.IsLoaded(handle)),
            ("RunMain", () => linker.RunMain()),
            ("Table", () => linker.Table.GetSize()),
            ("a Function from GetFunction", callFunction),
        };
        var wrong = calls.Select(c => (c.Name, Outcome: LinkerHarness.Outcome(() => { c.Call(); return "no exception"; })))
            .Where(c => c.Outcome != nameof(ObjectDisposedException)).ToList();
        Assert.True(wrong.Count == 0, "after Dispose: " + string.Join(", ", wrong.Select(w => $"{w.Name} gave {w.Outcome}")));
    }
}

/// <summary>
/// The linkers CsCheck's samples create. Each harness makes its linker on first use; with threads: 1 a sample is over
/// when the next harness is first used, so that one disposes the linker before it (thousands of live stores would
/// exhaust memory when soaking). Printing a failure reads only the harness's log and handles, never its linker.
/// </summary>
internal sealed class OneAtATime : IDisposable
{
    private LinkerHarness? _current;

    public LinkerHarness Next(ModelLibraries libraries, bool logging = true, bool callsAreDirect = false)
    {
        LinkerHarness? harness = null;
        harness = new LinkerHarness(libraries, () =>
        {
            _current?.Dispose();
            _current = harness;
            return LinkerHarness.Start(ModelLibraries.Source(libraries));
        }, ownsLinker: true)
        { Logging = logging, CallsAreDirect = callsAreDirect };
        return harness;
    }

    public void Dispose() => _current?.Dispose();
}

/// <summary>How long the model tests run: a few seconds by default; DYLINK_SOAK_MINUTES=N repeats each for about N minutes.</summary>
internal static class Soak
{
    public static double Minutes { get; } =
        double.TryParse(Environment.GetEnvironmentVariable("DYLINK_SOAK_MINUTES"), NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && m > 0 ? m : 0;

    /// <summary>CsCheck's time limit in seconds (-1: none, use the iteration count).</summary>
    public static int Seconds => Minutes > 0 ? (int)Math.Ceiling(Minutes * 60) : -1;

    /// <summary>Runs <paramref name="body"/> <paramref name="rounds"/> times, or, when soaking, until the soak time is up.</summary>
    public static void Repeat(int rounds, Action<int> body)
    {
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < rounds || clock.Elapsed.TotalMinutes < Minutes; round++)
        {
            body(round);
        }
    }
}
