using System.Diagnostics;
using Dylink.Runtime;

namespace Dylink.Cli;

/// <summary>
/// One self-erasing status line on a terminal's standard error while modules compile: "dylink: compiling libfoo.so
/// (3/7)". Nothing appears unless the load has taken longer than <see cref="Terminal.ProgressDelay"/> (a warm cache
/// or a small program stays silent), and the line is erased before the program's own output starts.
/// </summary>
internal sealed class ProgressLine : IDisposable
{
    private const string EraseLine = "\r\u001b[2K";
    private readonly TextWriter _error;
    private readonly TimeSpan _delay;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer _timer;
    private readonly Lock _gate = new();
    private CompileProgress? _current;
    private CompileProgress? _lastShown;
    private bool _shown;
    private bool _done;

    public ProgressLine(TextWriter error, TimeSpan delay)
    {
        (_error, _delay) = (error, delay);
        // One long compile (a large module, a cold cache) shows up without waiting for the next module.
        _timer = new Timer(_ => Show(), null, delay, Timeout.InfiniteTimeSpan);
    }

    public void Report(CompileProgress progress)
    {
        lock (_gate)
        {
            _current = progress;
        }

        if (_clock.Elapsed >= _delay)
        {
            Show();
        }
    }

    private void Show()
    {
        lock (_gate)
        {
            // The timer and a report may both ask for the same line.
            if (_done || _current is not { } p || ReferenceEquals(p, _lastShown))
            {
                return;
            }

            _lastShown = p;
            _error.Write($"{EraseLine}dylink: compiling {p.Module} ({p.Number}/{p.Count})");
            _error.Flush();
            _shown = true;
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_gate)
        {
            _done = true;
            if (_shown)
            {
                _error.Write(EraseLine);
                _error.Flush();
            }
        }
    }
}
