using Dylink.Format;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// A function of a loaded module, to call from C#: every call enters the linker's gate (so it never runs at the same
/// time as another call into the program, a load, an unload or <c>Dispose</c>) under the linker's timeout, and fails
/// cleanly once the module is unloaded or the linker disposed. Shaped like <see cref="Function"/>; typed delegates come
/// from <see cref="GuestFunctionWrappers"/> (<c>WrapFunc&lt;…&gt;</c>, <c>WrapAction&lt;…&gt;</c>).
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

    /// <summary>The Wasmtime function behind it (tests compare it with table elements).</summary>
    internal Function Raw => _function;

    /// <summary>The wasm signature.</summary>
    internal FuncType Signature => HostFunctions.Signature(_function);

    /// <summary>The symbol and its signature, as <c>add: (i32, i32) -> i32</c>.</summary>
    public override string ToString() => $"{_name}: {Signature}";

    /// <summary>The symbol it was looked up by.</summary>
    internal string Name => _name;

    /// <summary>Runs a call of the function (a typed delegate's) inside the gate, as <see cref="Invoke"/> does.</summary>
    internal T Call<T>(Func<T> call)
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

    /// <summary>Runs a call of the function (a typed delegate's) inside the gate.</summary>
    internal void Call(Action call) => Call(() =>
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
