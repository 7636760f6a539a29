using System.Collections.Concurrent;

namespace Dylink.Runtime;

/// <summary>
/// Watches the loaded libraries' directories and queues the files that change; the linker applies the queue at epoch
/// checks on the thread running guest code (inside the gate), so a reload never runs concurrently with the guest.
/// A file caught half-written fails to parse or link: it is retried for about half a second before the failure is
/// reported.
/// </summary>
internal sealed class ReloadWatcher : IDisposable
{
    private const int Attempts = 25;

    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly ConcurrentQueue<string> _pending = new();
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly Action<string> _report;

    /// <param name="directories">The directories of the loaded libraries.</param>
    /// <param name="report">Receives one line per reload or failed reload.</param>
    public ReloadWatcher(IEnumerable<string> directories, Action<string> report)
    {
        _report = report;
        foreach (var directory in directories.Distinct(StringComparer.Ordinal))
        {
            var watcher = new FileSystemWatcher(directory) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
            watcher.Changed += (_, e) => Enqueue(e.FullPath);
            watcher.Created += (_, e) => Enqueue(e.FullPath);
            watcher.Renamed += (_, e) => Enqueue(e.FullPath);
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    /// <summary>True when a changed file waits to be applied.</summary>
    public bool HasPending => !_pending.IsEmpty;

    /// <summary>
    /// Applies the queue: <paramref name="reload"/> reloads the library loaded from a path and returns its name, or null
    /// when no loaded library comes from that path. Stops at a failure worth retrying, leaving it queued.
    /// </summary>
    public void Apply(Func<string, string?> reload)
    {
        while (_pending.TryPeek(out var path))
        {
            try
            {
                if (reload(path) is { } name)
                {
                    _attempts.Remove(path);
                    _report($"reloaded {name} from {path}");
                }
            }
            catch (ReloadFailure failure)
            {
                var attempts = _attempts[path] = _attempts.GetValueOrDefault(path) + 1;
                if (attempts < Attempts)
                {
                    return;
                }

                _attempts.Remove(path);
                _report($"reload of {failure.Library} failed, the loaded version stays: {failure.InnerException!.Message}");
            }

            _pending.TryDequeue(out _);
        }
    }

    private void Enqueue(string path)
    {
        var full = Path.GetFullPath(path);
        if (!_pending.Contains(full))
        {
            _pending.Enqueue(full);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }
    }

    /// <summary>A reload that failed; the loaded version stays.</summary>
    public sealed class ReloadFailure(string library, Exception inner) : Exception(inner.Message, inner)
    {
        /// <summary>The library whose reload failed.</summary>
        public string Library { get; } = library;
    }
}
