using Dylink.Format;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// A function of a loaded module, to call from C#: every call enters the linker's gate (so it never runs at the same
/// time as another call into the program, a load, an unload or <c>Dispose</c>) under the linker's timeout, and fails
/// cleanly once the module is unloaded or the linker disposed. Shaped like <see cref="Function"/>.
/// </summary>
public sealed class GuestFunction
{
    private readonly StoreGate _gate;
    private readonly ModuleRecord _module;
    private readonly Function _function;
    private readonly string _name;

    internal GuestFunction(StoreGate gate, ModuleRecord module, Function function, string name)
    {
        (_gate, _module, _function, _name) = (gate, module, function, name);
        Parameters = [.. function.Parameters];
        Results = [.. function.Results];
    }

    /// <summary>The parameter types.</summary>
    public IReadOnlyList<ValueKind> Parameters { get; }

    /// <summary>The result types.</summary>
    public IReadOnlyList<ValueKind> Results { get; }

    /// <summary>Calls the function.</summary>
    /// <returns>Null for no result, the value for one, an array for several.</returns>
    /// <exception cref="ObjectDisposedException">The linker is disposed, or was disposed during the call.</exception>
    /// <exception cref="InvalidOperationException">The function's module was unloaded.</exception>
    /// <exception cref="TimeoutException">The call ran past <see cref="DynamicLinkerOptions.Timeout"/>.</exception>
    /// <exception cref="TrapException">The function trapped.</exception>
    public object? Invoke(params ValueBox[] arguments)
    {
        using var entry = Enter();
        try
        {
            return _function.Invoke(arguments);
        }
        catch (WasmtimeException e)
        {
            StoreGate.ThrowIfStopped(e, _name);
            throw;
        }
    }

    /// <summary>A typed delegate calling the function through the gate, or null when the signature is not <c>() -> TResult</c>.</summary>
    public Func<TResult?>? WrapFunc<TResult>() =>
        _function.WrapFunc<TResult>() is { } f ? () => Call(() => f()) : null;

    /// <summary>A typed delegate calling the function through the gate, or null when the signature differs.</summary>
    public Func<T1, TResult?>? WrapFunc<T1, TResult>() =>
        _function.WrapFunc<T1, TResult>() is { } f ? a => Call(() => f(a)) : null;

    /// <summary>A typed delegate calling the function through the gate, or null when the signature differs.</summary>
    public Func<T1, T2, TResult?>? WrapFunc<T1, T2, TResult>() =>
        _function.WrapFunc<T1, T2, TResult>() is { } f ? (a, b) => Call(() => f(a, b)) : null;

    /// <summary>A typed delegate calling the function through the gate, or null when the signature differs.</summary>
    public Func<T1, T2, T3, TResult?>? WrapFunc<T1, T2, T3, TResult>() =>
        _function.WrapFunc<T1, T2, T3, TResult>() is { } f ? (a, b, c) => Call(() => f(a, b, c)) : null;

    /// <summary>A typed delegate calling the function through the gate, or null when the signature differs.</summary>
    public Func<T1, T2, T3, T4, TResult?>? WrapFunc<T1, T2, T3, T4, TResult>() =>
        _function.WrapFunc<T1, T2, T3, T4, TResult>() is { } f ? (a, b, c, d) => Call(() => f(a, b, c, d)) : null;

    /// <summary>A typed delegate calling the function through the gate, or null when the signature is not <c>() -> nil</c>.</summary>
    public Action? WrapAction() =>
        _function.WrapAction() is { } f ? () => Call(f) : null;

    /// <summary>A typed delegate calling the function through the gate, or null when the signature differs.</summary>
    public Action<T1>? WrapAction<T1>() =>
        _function.WrapAction<T1>() is { } f ? a => Call(() => f(a)) : null;

    /// <summary>A typed delegate calling the function through the gate, or null when the signature differs.</summary>
    public Action<T1, T2>? WrapAction<T1, T2>() =>
        _function.WrapAction<T1, T2>() is { } f ? (a, b) => Call(() => f(a, b)) : null;

    /// <summary>A typed delegate calling the function through the gate, or null when the signature differs.</summary>
    public Action<T1, T2, T3>? WrapAction<T1, T2, T3>() =>
        _function.WrapAction<T1, T2, T3>() is { } f ? (a, b, c) => Call(() => f(a, b, c)) : null;

    /// <summary>A typed delegate calling the function through the gate, or null when the signature differs.</summary>
    public Action<T1, T2, T3, T4>? WrapAction<T1, T2, T3, T4>() =>
        _function.WrapAction<T1, T2, T3, T4>() is { } f ? (a, b, c, d) => Call(() => f(a, b, c, d)) : null;

    /// <summary>The Wasmtime function behind it (tests compare it with table elements).</summary>
    internal Function Raw => _function;

    /// <summary>The wasm signature.</summary>
    internal FuncType Signature => HostFunctions.Signature(_function);

    /// <summary>The symbol and its signature, as <c>add: (i32, i32) -> i32</c>.</summary>
    public override string ToString() => $"{_name}: {Signature}";

    private T Call<T>(Func<T> call)
    {
        using var entry = Enter();
        try
        {
            return call();
        }
        catch (WasmtimeException e)
        {
            StoreGate.ThrowIfStopped(e, _name);
            throw;
        }
    }

    private void Call(Action call) => Call(() =>
    {
        call();
        return 0;
    });

    private StoreGate.Entry Enter()
    {
        var entry = _gate.Enter();
        if (!_module.IsLoaded)
        {
            entry.Dispose();
            throw new InvalidOperationException($"{_module.Name}: {_name} was called after {_module.Name} was unloaded (dlclose)");
        }

        return entry;
    }
}
