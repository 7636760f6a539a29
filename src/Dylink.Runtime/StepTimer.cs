using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Dylink.Runtime;

/// <summary>
/// <c>DYLINK_DEBUG=timing</c> (<see cref="DebugTrace.Timing"/>): where a fresh process's milliseconds go. A step line
/// gives the time since <see cref="Origin"/> (<c>dylink</c>'s <c>Main</c>; the runtime's start before it is the whole
/// process's wall clock minus the last line) and since the previous line; laps gather the parts of one load (plan,
/// compile, instantiate, …) into a single line, so a program that opens a hundred libraries gets a hundred lines.
/// </summary>
/// <remarks>One per <see cref="DynamicLinker"/> (and one in the CLI); used under the store gate, so by one thread at a time.</remarks>
internal sealed class StepTimer(Action<string> trace)
{
    // The kernel's process start time has a 10 ms clock tick: too coarse for a run that takes ten.
    private static readonly long Start = Stopwatch.GetTimestamp();

    private readonly StringBuilder _laps = new();
    private long _last = Stopwatch.GetTimestamp();

    /// <summary>Fixes the time lines are measured from (the first use of this class, if never called).</summary>
    public static long Origin() => Start;

    /// <summary>Writes one line for the step that just ended.</summary>
    public void Step(string what)
    {
        var now = Stopwatch.GetTimestamp();
        trace(string.Create(CultureInfo.InvariantCulture,
            $"timing: {Stopwatch.GetElapsedTime(Start).TotalMilliseconds,7:F1} ms (+{Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds:F2}) {what}"));
        _last = Stopwatch.GetTimestamp();
    }

    /// <summary>Records the part of a load that just ended, for the next <see cref="Flush"/>.</summary>
    public void Lap(string part)
    {
        var now = Stopwatch.GetTimestamp();
        _laps.Append(CultureInfo.InvariantCulture, $"{(_laps.Length == 0 ? "" : ", ")}{part} {Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds:F3}");
        _last = now;
    }

    /// <summary>Writes the laps since the previous line as one line about <paramref name="what"/>.</summary>
    public void Flush(string what)
    {
        Lap("rest");
        trace(string.Create(CultureInfo.InvariantCulture,
            $"timing: {Stopwatch.GetElapsedTime(Start).TotalMilliseconds,7:F1} ms {what}: {_laps} ms"));
        _laps.Clear();
        _last = Stopwatch.GetTimestamp();
    }

    /// <summary>Starts the next step or lap now, leaving out what came between (e.g. the guest's own run).</summary>
    public void Restart() => _last = Stopwatch.GetTimestamp();
}
