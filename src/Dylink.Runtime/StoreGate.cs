using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// The one way into a linker's Wasmtime store. A Wasmtime store may be used by one thread at a time, and freeing it
/// while a call runs frees the code under that call: every public operation — loads, <c>dlopen</c>/<c>dlsym</c>/
/// <c>dlclose</c>, calls into guest code (<see cref="GuestFunction"/>, typed delegates), rebinding, reloads, watch
/// reloads, <c>Dispose</c> — enters here first.
/// </summary>
/// <remarks>
/// <para>Re-entrant on the thread that holds it: a guest's <c>dlopen</c> runs inside the guest call that made it.
/// The outermost entry on a thread starts the call's deadline (<see cref="DynamicLinkerOptions.Timeout"/>), so every
/// guest code a top-level operation runs — constructors, start functions, relocations, <c>_start</c>, a C# call — is
/// bounded by it.</para>
/// <para>Disposal: <see cref="RequestDisposal"/> marks the store as going away, so every later entry throws
/// <see cref="ObjectDisposedException"/>; a call in flight is interrupted at its next epoch check when epoch checks
/// are on (an <c>interrupt</c> action is given), and otherwise runs to its end. The disposing thread frees the store
/// once the gate is free; a disposal asked for from inside a call (a host function) is carried out by that call's
/// outermost exit.</para>
/// </remarks>
internal sealed class StoreGate(object owner, Action release, Action? interrupt, TimeSpan? timeout)
{
    private readonly object _lock = new();
    private int _depth;
    // 0, then 1 once disposal was asked for; set once (Interlocked), so that only one thread ever interrupts and frees.
    private int _disposal;
    private bool _released;
    // Disposal asked for from inside a call (a host function): the outermost exit frees the store. Otherwise only the
    // disposing thread frees it, after its interrupt: nothing may free the engine between those two.
    private bool _releaseAtExit;

    /// <summary>When the current top-level operation must end, if a timeout is set and an operation is running.</summary>
    public DateTime? Deadline { get; private set; }

    /// <summary>True while the calling thread is inside the gate (a host function called from guest code).</summary>
    private bool IsHeldByCurrentThread => Monitor.IsEntered(_lock);

    private bool Disposing => Volatile.Read(ref _disposal) == 1;

    /// <summary>Enters the gate; dispose the result to leave it.</summary>
    /// <exception cref="ObjectDisposedException">The linker is disposed or being disposed.</exception>
    public Entry Enter()
    {
        Monitor.Enter(_lock);
        if (Disposing)
        {
            Leave();
            throw new ObjectDisposedException(owner.GetType().FullName);
        }

        if (_depth++ == 0 && timeout is { } t)
        {
            Deadline = DateTime.UtcNow + t;
        }

        return new Entry(this);
    }

    /// <summary>Runs <paramref name="operation"/> inside the gate.</summary>
    public T Run<T>(Func<T> operation)
    {
        using var entry = Enter();
        return operation();
    }

    /// <summary>Runs <paramref name="operation"/> inside the gate.</summary>
    public void Run(Action operation)
    {
        using var entry = Enter();
        operation();
    }

    /// <summary>Marks the store as going away and frees it as soon as no call is in flight (at once when none is).
    /// Idempotent; safe from any thread, including a host function called by the guest.</summary>
    public void RequestDisposal()
    {
        if (Interlocked.Exchange(ref _disposal, 1) == 1)
        {
            return;
        }

        if (IsHeldByCurrentThread)
        {
            _releaseAtExit = true;
            return;
        }

        interrupt?.Invoke();
        Monitor.Enter(_lock);
        try
        {
            ReleaseOnce();
        }
        finally
        {
            Monitor.Exit(_lock);
        }
    }

    private void Exit()
    {
        _depth--;
        Leave();
    }

    private void Leave()
    {
        try
        {
            if (_depth == 0)
            {
                Deadline = null;
                if (_releaseAtExit)
                {
                    ReleaseOnce();
                }
            }
        }
        finally
        {
            Monitor.Exit(_lock);
        }
    }

    // Called with the lock held and no call in flight.
    private void ReleaseOnce()
    {
        if (!_released)
        {
            _released = true;
            release();
        }
    }

    /// <summary>One entry into the gate.</summary>
    public readonly struct Entry(StoreGate gate) : IDisposable
    {
        /// <summary>Leaves the gate.</summary>
        public void Dispose() => gate.Exit();
    }

    /// <summary>The error the epoch callback throws when the call must stop, or null to let it go on.</summary>
    public Exception? StopReason()
    {
        if (Disposing)
        {
            return new ObjectDisposedException(owner.GetType().FullName, "the linker was disposed during this call");
        }

        return Deadline is { } deadline && DateTime.UtcNow > deadline
            ? new TimeoutException($"stopped after {timeout!.Value.TotalSeconds:0.###} s (timeout)")
            : null;
    }

    /// <summary>Rethrows what a guest call ended with as the operation's own error: the timeout or the disposal that
    /// stopped it (Wasmtime wraps the callback's exception in a trap), else nothing.</summary>
    public static void ThrowIfStopped(WasmtimeException e, string who)
    {
        switch (e.InnerException)
        {
            case TimeoutException timedOut:
                throw new TimeoutException($"{who}: {timedOut.Message}", e);
            case ObjectDisposedException disposed:
                throw new ObjectDisposedException(disposed.ObjectName, $"{who}: {disposed.Message}");
        }
    }
}
