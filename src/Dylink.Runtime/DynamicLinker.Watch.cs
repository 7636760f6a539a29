using System.Collections.Concurrent;

namespace Dylink.Runtime;

/// <summary>Watching library files and reloading them when they change, while the program runs.</summary>
public sealed partial class DynamicLinker
{
    private Watcher? _watch;
    private Timer? _ticks;
    private DateTime? _runDeadline;

    /// <summary>
    /// Reloads a loaded library (see <see cref="Reload(LibraryHandle, string)"/>) whenever its file changes. Needs
    /// <see cref="DynamicLinkerOptions.AllowReloadWhileRunning"/>: the reload happens on the thread running guest code,
    /// at its next epoch check, never concurrently with it. Direct cross-module calls follow the reload only in loads
    /// made with <c>LinkOptions.Rebindable</c>. A file caught half-written is retried at the next check.
    /// </summary>
    /// <param name="report">Receives one line per reload or failed reload (the old version stays after a failure).</param>
    /// <exception cref="InvalidOperationException">The linker was created without <see cref="DynamicLinkerOptions.AllowReloadWhileRunning"/>.</exception>
    public void Watch(Action<string> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!_options.AllowReloadWhileRunning)
        {
            throw new InvalidOperationException("watching needs DynamicLinkerOptions.AllowReloadWhileRunning");
        }

        _watch ??= new Watcher(this, report);
    }

    /// <summary>With epoch interruption on, guest code checks the epoch in loops and calls: without a deadline it would
    /// stop at once. The deadline is the next tick, whose callback applies pending reloads and lets the guest go on.</summary>
    private void EnableEpochChecks()
    {
        _store.SetEpochDeadline(1);
        _store.SetEpochDeadlineCallback(_ =>
        {
            if (_runDeadline is { } deadline && DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"stopped after {_options.Timeout!.Value.TotalSeconds:0.###} s (timeout)");
            }

            if (_watch is { Pending.IsEmpty: false } watcher)
            {
                // A reload runs the new version's relocation and constructor code from inside this callback, while
                // the deadline that called it is still due: without pushing it out, that code would be interrupted at
                // its first check. Returning below sets the next deadline again.
                _store.SetEpochDeadline(ulong.MaxValue / 2);
                ApplyPendingReloads(watcher);
            }

            return 1;
        });
        _ticks = new Timer(_ =>
        {
            try
            {
                _engine.IncrementEpoch();
            }
            catch (ObjectDisposedException)
            {
                // The linker is going away; the timer is being disposed too.
            }
        }, null, 20, 20);
    }

    private bool EpochChecks => NeedsEpochChecks(_options);

    private static bool NeedsEpochChecks(DynamicLinkerOptions options) => options.AllowReloadWhileRunning || options.Timeout is not null;

    /// <summary>Applies the reloads the watcher queued; called at epoch checks on the guest's thread.</summary>
    private void ApplyPendingReloads(Watcher watcher)
    {
        while (watcher.Pending.TryPeek(out var path))
        {
            var module = Scope.Modules.LastOrDefault(m => Scope.IsLive(m.Index) && m.Path is { } p && Path.GetFullPath(p) == path);
            if (module is null)
            {
                watcher.Pending.TryDequeue(out _);
                continue;
            }

            try
            {
                Reload(new LibraryHandle(module.Index + 1), path);
                watcher.Retried(path);
                watcher.Report($"reloaded {module.Name} from {path}");
            }
            catch (DylinkException e)
            {
                // A file caught half-written fails to parse or link: give the writer a few more checks before reporting.
                if (watcher.Retry(path))
                {
                    return;
                }

                watcher.Report($"reload of {module.Name} failed, the loaded version stays: {e.Message}");
            }

            watcher.Pending.TryDequeue(out _);
        }
    }

    /// <summary>File-system watchers on the libraries' directories, and the epoch ticks that give the guest thread safe points.</summary>
    private sealed class Watcher : IDisposable
    {
        private readonly List<FileSystemWatcher> _watchers = [];

        public Watcher(DynamicLinker linker, Action<string> report)
        {
            Report = report;
            var directories = linker.Scope.Modules.Where(m => linker.Scope.IsLive(m.Index) && m.Path is not null && !m.IsMain)
                .Select(m => Path.GetDirectoryName(Path.GetFullPath(m.Path!))!).Distinct(StringComparer.Ordinal);
            foreach (var directory in directories)
            {
                var watcher = new FileSystemWatcher(directory) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
                watcher.Changed += (_, e) => Enqueue(e.FullPath);
                watcher.Created += (_, e) => Enqueue(e.FullPath);
                watcher.Renamed += (_, e) => Enqueue(e.FullPath);
                watcher.EnableRaisingEvents = true;
                _watchers.Add(watcher);
            }
        }

        public ConcurrentQueue<string> Pending { get; } = new();

        public Action<string> Report { get; }

        private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);

        public void Retried(string path) => _attempts.Remove(path);

        /// <summary>True while a failing path deserves another try (25 checks, about half a second).</summary>
        public bool Retry(string path)
        {
            var attempts = _attempts[path] = _attempts.GetValueOrDefault(path) + 1;
            if (attempts < 25)
            {
                return true;
            }

            _attempts.Remove(path);
            return false;
        }

        private void Enqueue(string path)
        {
            var full = Path.GetFullPath(path);
            if (!Pending.Contains(full))
            {
                Pending.Enqueue(full);
            }
        }

        public void Dispose()
        {
            foreach (var watcher in _watchers)
            {
                watcher.Dispose();
            }
        }
    }
}
