using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Dylink.Format;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>C# delegates as wasm functions, and their wasm signatures.</summary>
internal static class HostFunctions
{
    private static readonly HashSet<Type> TypedKinds = [typeof(int), typeof(long), typeof(float), typeof(double)];

    // The matching FromCallback<…> by delegate type: the reflection search costs more than creating the function.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, System.Reflection.MethodInfo?> TypedFactories = new();

    public static Function Create(Store store, Delegate callback) => Typed(store, callback) ?? Untyped(store, callback);

    /// <summary>A function of the given signature that fails with <paramref name="message"/> when called: the loader's
    /// traps (a weak undefined function, a call into an unloaded library). Wasmtime wraps the exception, so the caller
    /// sees the module and the message as the cause (<c>dylink run</c> reports it as a trap).</summary>
    public static Function Trap(Store store, string module, string message, IReadOnlyList<ValueKind> parameters, IReadOnlyList<ValueKind> results) =>
        Function.FromCallback(store, (Caller _, ReadOnlySpan<ValueBox> _, Span<ValueBox> _) => throw new LoadException(module, message), parameters, results);

    /// <summary>
    /// A <c>Func</c>/<c>Action</c> over int, long, float and double goes to Wasmtime's matching generic
    /// <c>FromCallback</c>, which converts values without boxing: a wasm → C# call then allocates nothing (the untyped
    /// path boxes every argument and result and goes through <c>DynamicInvoke</c>, about 10× slower).
    /// </summary>
    private static Function? Typed(Store store, Delegate callback) => callback switch
    {
        // The shapes the loader itself defines (GuestAbi's dlopen family), spelled out: Native AOT compiles only the
        // generic instantiations it can see, so these stay typed in the AOT-compiled dylink too.
        Action f => Function.FromCallback(store, f),
        Func<int> f => Function.FromCallback(store, f),
        Func<int, int> f => Function.FromCallback(store, f),
        Func<int, int, int> f => Function.FromCallback(store, f),
        Action<int> f => Function.FromCallback(store, f),
        _ => RuntimeFeature.IsDynamicCodeSupported ? TypedByReflection(store, callback) : null,
    };

    /// <summary>Any other <c>Func</c>/<c>Action</c> over the four value types: the matching <c>FromCallback</c>
    /// instantiated at run time (JIT only; ahead-of-time compiled code takes the untyped path instead).</summary>
    [RequiresDynamicCode("instantiates Function.FromCallback for the delegate's type arguments")]
    [UnconditionalSuppressMessage("Trimming", "IL2060", Justification = "FromCallback's type parameters carry no " +
        "DynamicallyAccessedMembers requirement, and typeof(Function).GetMethods() keeps every public method of Function.")]
    private static Function? TypedByReflection(Store store, Delegate callback)
    {
        var type = callback.GetType();
        if (!type.IsGenericType || !type.GetGenericArguments().All(TypedKinds.Contains))
        {
            return null;
        }

        var factory = TypedFactories.GetOrAdd(type, static type =>
        {
            var definition = type.GetGenericTypeDefinition();
            return typeof(Function).GetMethods().FirstOrDefault(m => m.Name == nameof(Function.FromCallback) && m.IsGenericMethodDefinition
                && m.GetGenericArguments().Length == type.GenericTypeArguments.Length
                && m.GetParameters() is [_, var p] && p.ParameterType.IsGenericType && p.ParameterType.GetGenericTypeDefinition() == definition)
                ?.MakeGenericMethod(type.GenericTypeArguments);
        });
        return (Function?)factory?.Invoke(null, [store, callback]);
    }

    private static Function Untyped(Store store, Delegate callback)
    {
        var method = callback.Method;
        var types = method.GetParameters().Select(p => p.ParameterType).ToArray();
        var parameters = types.Select(Kind).ToArray();
        var results = method.ReturnType == typeof(void) ? [] : new[] { Kind(method.ReturnType) };
        return Function.FromCallback(store, (Caller _, ReadOnlySpan<ValueBox> args, Span<ValueBox> res) =>
        {
            var values = new object?[args.Length];
            for (var i = 0; i < args.Length; i++)
            {
                // Unsigned parameters are the same bits: DynamicInvoke does not convert int to uint by itself.
                values[i] = parameters[i] switch
                {
                    ValueKind.Int32 when types[i] == typeof(uint) => unchecked((uint)args[i].AsInt32()),
                    ValueKind.Int32 => args[i].AsInt32(),
                    ValueKind.Int64 when types[i] == typeof(ulong) => unchecked((ulong)args[i].AsInt64()),
                    ValueKind.Int64 => args[i].AsInt64(),
                    ValueKind.Float32 => args[i].AsSingle(),
                    _ => (object)args[i].AsDouble(),
                };
            }

            var result = callback.DynamicInvoke(values);
            if (results.Length == 1)
            {
                res[0] = result switch
                {
                    int v => v,
                    uint v => (int)v,
                    long v => v,
                    ulong v => (long)v,
                    float v => v,
                    double v => (ValueBox)v,
                    _ => throw new InvalidOperationException("host function returned no value"),
                };
            }
        }, parameters, results);
    }

    /// <summary>Integer arguments (addresses, sizes) for a guest function, each as i64 where the function takes an i64
    /// (wasm64 allocators, <c>__wasm_init_tls</c>) and as i32 otherwise.</summary>
    public static ValueBox[] IntegerArguments(Function function, IReadOnlyList<long> args) =>
        [.. args.Select((a, i) => i < function.Parameters.Count && function.Parameters[i] == ValueKind.Int64 ? (ValueBox)a : (ValueBox)(int)a)];

    /// <summary>The wasm signature a C# delegate stands for (what <see cref="Create"/> would give it).</summary>
    /// <exception cref="ArgumentException">A parameter or result is not int, long, float or double (or unsigned).</exception>
    public static FuncType SignatureOf(Delegate callback)
    {
        var invoke = callback.GetType().GetMethod("Invoke")!;
        return new([.. invoke.GetParameters().Select(p => ValueType(p.ParameterType))],
            invoke.ReturnType == typeof(void) ? [] : [ValueType(invoke.ReturnType)]);
    }

    /// <summary>The wasm value type a .NET parameter or result type stands for, if any.</summary>
    public static Format.ValueType? ValueTypeOf(Type type) =>
        type == typeof(int) || type == typeof(uint) ? Format.ValueType.I32
        : type == typeof(long) || type == typeof(ulong) ? Format.ValueType.I64
        : type == typeof(float) ? Format.ValueType.F32
        : type == typeof(double) ? Format.ValueType.F64
        : null;

    /// <summary>Wasmtime's kind for a wasm value type.</summary>
    public static ValueKind KindOf(Format.ValueType type) => type switch
    {
        Format.ValueType.I32 => ValueKind.Int32,
        Format.ValueType.I64 => ValueKind.Int64,
        Format.ValueType.F32 => ValueKind.Float32,
        Format.ValueType.F64 => ValueKind.Float64,
        Format.ValueType.V128 => ValueKind.V128,
        Format.ValueType.FuncRef => ValueKind.FuncRef,
        _ => ValueKind.ExternRef,
    };

    /// <summary>Writes what <see cref="Function.Invoke(ReadOnlySpan{ValueBox})"/> returned (nothing, one value, or an
    /// array of them) into a host callback's results.</summary>
    public static void Return(object? value, Span<ValueBox> results)
    {
        if (results.Length == 1)
        {
            results[0] = Box(value);
        }
        else if (results.Length > 1 && value is object?[] values)
        {
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = Box(values[i]);
            }
        }
    }

    private static ValueBox Box(object? value) => value switch
    {
        int v => v,
        long v => v,
        float v => v,
        double v => v,
        Function f => ValueBox.AsBox(f),
        _ => ValueBox.AsBox(value),
    };

    public static FuncType Signature(Function function) =>
        new([.. function.Parameters.Select(Type)], [.. function.Results.Select(Type)]);

    private static ValueKind Kind(Type type) => KindOf(ValueType(type));

    private static Format.ValueType ValueType(Type type) => ValueTypeOf(type)
        ?? throw new ArgumentException($"host functions take and return int, long, float or double, not {type.Name}");

    private static Format.ValueType Type(ValueKind kind) => kind switch
    {
        ValueKind.Int32 => Format.ValueType.I32,
        ValueKind.Int64 => Format.ValueType.I64,
        ValueKind.Float32 => Format.ValueType.F32,
        _ => Format.ValueType.F64,
    };
}
