using Dylink.Format;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>C# delegates as wasm functions, and their wasm signatures.</summary>
internal static class HostFunctions
{
    public static Function Create(Store store, Delegate callback)
    {
        var method = callback.Method;
        var parameters = method.GetParameters().Select(p => Kind(p.ParameterType)).ToArray();
        var results = method.ReturnType == typeof(void) ? [] : new[] { Kind(method.ReturnType) };
        return Function.FromCallback(store, (Caller _, ReadOnlySpan<ValueBox> args, Span<ValueBox> res) =>
        {
            var values = new object?[args.Length];
            for (var i = 0; i < args.Length; i++)
            {
                values[i] = parameters[i] switch
                {
                    ValueKind.Int32 => args[i].AsInt32(),
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

    public static FuncType Signature(Function function) =>
        new([.. function.Parameters.Select(Type)], [.. function.Results.Select(Type)]);

    private static ValueKind Kind(Type type) =>
        type == typeof(int) || type == typeof(uint) ? ValueKind.Int32
        : type == typeof(long) || type == typeof(ulong) ? ValueKind.Int64
        : type == typeof(float) ? ValueKind.Float32
        : type == typeof(double) ? ValueKind.Float64
        : throw new ArgumentException($"host functions take and return int, long, float or double, not {type.Name}");

    private static Format.ValueType Type(ValueKind kind) => kind switch
    {
        ValueKind.Int32 => Format.ValueType.I32,
        ValueKind.Int64 => Format.ValueType.I64,
        ValueKind.Float32 => Format.ValueType.F32,
        _ => Format.ValueType.F64,
    };
}
