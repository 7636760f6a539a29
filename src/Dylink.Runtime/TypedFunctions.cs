using Dylink.Format;

namespace Dylink.Runtime;

// Typed access with as many parameters as wasmtime-dotnet's Function.WrapFunc/WrapAction offer (16): one overload per
// arity, every one the same shape; each delegate enters the linker's gate on every call (GuestFunction.Call).

/// <summary>Typed delegates over a <see cref="GuestFunction"/>, as wasmtime-dotnet's <c>Function.WrapFunc</c> and
/// <c>WrapAction</c>: null when the wasm signature does not match the types.</summary>
public static class GuestFunctionWrappers
{
    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<TResult?>? WrapFunc<TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<TResult>() is { } f ? () => function.Call(() => f()) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, TResult?>? WrapFunc<T1, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, TResult>() is { } f ? a1 => function.Call(() => f(a1)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, TResult?>? WrapFunc<T1, T2, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, TResult>() is { } f ? (a1, a2) => function.Call(() => f(a1, a2)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, TResult?>? WrapFunc<T1, T2, T3, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, TResult>() is { } f ? (a1, a2, a3) => function.Call(() => f(a1, a2, a3)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, TResult?>? WrapFunc<T1, T2, T3, T4, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, TResult>() is { } f ? (a1, a2, a3, a4) => function.Call(() => f(a1, a2, a3, a4)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, TResult?>? WrapFunc<T1, T2, T3, T4, T5, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, TResult>() is { } f ? (a1, a2, a3, a4, a5) => function.Call(() => f(a1, a2, a3, a4, a5)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, TResult?>? WrapFunc<T1, T2, T3, T4, T5, T6, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, T6, TResult>() is { } f ? (a1, a2, a3, a4, a5, a6) => function.Call(() => f(a1, a2, a3, a4, a5, a6)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, TResult?>? WrapFunc<T1, T2, T3, T4, T5, T6, T7, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, T6, T7, TResult>() is { } f ? (a1, a2, a3, a4, a5, a6, a7) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, TResult?>? WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, TResult>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult?>? WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult?>? WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult?>? WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult?>? WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult?>? WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult?>? WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult?>? WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult?>? WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult>(this GuestFunction function) =>
        function.Raw.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature is not <c>() -> nil</c>.</summary>
    public static Action? WrapAction(this GuestFunction function) =>
        function.Raw.WrapAction() is { } f ? () => function.Call(f) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1>? WrapAction<T1>(this GuestFunction function) =>
        function.Raw.WrapAction<T1>() is { } f ? a1 => function.Call(() => f(a1)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2>? WrapAction<T1, T2>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2>() is { } f ? (a1, a2) => function.Call(() => f(a1, a2)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3>? WrapAction<T1, T2, T3>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3>() is { } f ? (a1, a2, a3) => function.Call(() => f(a1, a2, a3)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4>? WrapAction<T1, T2, T3, T4>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4>() is { } f ? (a1, a2, a3, a4) => function.Call(() => f(a1, a2, a3, a4)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5>? WrapAction<T1, T2, T3, T4, T5>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5>() is { } f ? (a1, a2, a3, a4, a5) => function.Call(() => f(a1, a2, a3, a4, a5)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5, T6>? WrapAction<T1, T2, T3, T4, T5, T6>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5, T6>() is { } f ? (a1, a2, a3, a4, a5, a6) => function.Call(() => f(a1, a2, a3, a4, a5, a6)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7>? WrapAction<T1, T2, T3, T4, T5, T6, T7>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5, T6, T7>() is { } f ? (a1, a2, a3, a4, a5, a6, a7) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8>? WrapAction<T1, T2, T3, T4, T5, T6, T7, T8>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9>? WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>? WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>? WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>? WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>? WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>? WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>? WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15)) : null;

    /// <summary>A typed delegate calling <paramref name="function"/> through the gate, or null when its signature differs.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>? WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>(this GuestFunction function) =>
        function.Raw.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>() is { } f ? (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16) => function.Call(() => f(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16)) : null;
}

/// <summary>
/// Typed functions of a loaded program by symbol, as wasmtime-dotnet's <c>Instance.GetFunction&lt;…&gt;</c> and
/// <c>GetAction&lt;…&gt;</c>: from the global scope, or from a library handle's scope. A missing symbol is a
/// <see cref="SymbolNotFoundException"/>, another signature a <see cref="SignatureMismatchException"/> naming both;
/// the <c>TryGet…</c> forms return null instead. Cache the delegate: creating one costs more than a call.
/// </summary>
public static class TypedFunctions
{
    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<TResult?> GetFunction<TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<TResult>(), Asked(typeof(TResult)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<TResult?>? TryGetFunction<TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<TResult?> GetFunction<TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<TResult>(), Asked(typeof(TResult)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<TResult?>? TryGetFunction<TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, TResult?> GetFunction<T1, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, TResult>(), Asked(typeof(TResult), typeof(T1)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, TResult?>? TryGetFunction<T1, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, TResult?> GetFunction<T1, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, TResult>(), Asked(typeof(TResult), typeof(T1)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, TResult?>? TryGetFunction<T1, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, TResult?> GetFunction<T1, T2, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, TResult?>? TryGetFunction<T1, T2, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, TResult?> GetFunction<T1, T2, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, TResult?>? TryGetFunction<T1, T2, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, TResult?> GetFunction<T1, T2, T3, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, TResult?>? TryGetFunction<T1, T2, T3, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, TResult?> GetFunction<T1, T2, T3, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, TResult?>? TryGetFunction<T1, T2, T3, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, TResult?> GetFunction<T1, T2, T3, T4, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, TResult?>? TryGetFunction<T1, T2, T3, T4, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, TResult?> GetFunction<T1, T2, T3, T4, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, TResult?>? TryGetFunction<T1, T2, T3, T4, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, TResult?> GetFunction<T1, T2, T3, T4, T5, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, TResult?> GetFunction<T1, T2, T3, T4, T5, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14), typeof(T15)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14), typeof(T15)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14), typeof(T15), typeof(T16)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult?> GetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult>(), Asked(typeof(TResult), typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14), typeof(T15), typeof(T16)));

    /// <summary>Like <c>GetFunction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Func<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult?>? TryGetFunction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapFunc<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, TResult>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action GetAction(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction(), Asked(null));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action? TryGetAction(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action GetAction(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction(), Asked(null));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action? TryGetAction(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1> GetAction<T1>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1>(), Asked(null, typeof(T1)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1>? TryGetAction<T1>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1> GetAction<T1>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1>(), Asked(null, typeof(T1)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1>? TryGetAction<T1>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2> GetAction<T1, T2>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2>(), Asked(null, typeof(T1), typeof(T2)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2>? TryGetAction<T1, T2>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2> GetAction<T1, T2>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2>(), Asked(null, typeof(T1), typeof(T2)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2>? TryGetAction<T1, T2>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3> GetAction<T1, T2, T3>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3>(), Asked(null, typeof(T1), typeof(T2), typeof(T3)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3>? TryGetAction<T1, T2, T3>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3> GetAction<T1, T2, T3>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3>(), Asked(null, typeof(T1), typeof(T2), typeof(T3)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3>? TryGetAction<T1, T2, T3>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4> GetAction<T1, T2, T3, T4>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4>? TryGetAction<T1, T2, T3, T4>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4> GetAction<T1, T2, T3, T4>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4>? TryGetAction<T1, T2, T3, T4>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5> GetAction<T1, T2, T3, T4, T5>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5>? TryGetAction<T1, T2, T3, T4, T5>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5> GetAction<T1, T2, T3, T4, T5>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5>? TryGetAction<T1, T2, T3, T4, T5>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6> GetAction<T1, T2, T3, T4, T5, T6>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6>? TryGetAction<T1, T2, T3, T4, T5, T6>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6> GetAction<T1, T2, T3, T4, T5, T6>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6>? TryGetAction<T1, T2, T3, T4, T5, T6>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7> GetAction<T1, T2, T3, T4, T5, T6, T7>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7>? TryGetAction<T1, T2, T3, T4, T5, T6, T7>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7> GetAction<T1, T2, T3, T4, T5, T6, T7>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7>? TryGetAction<T1, T2, T3, T4, T5, T6, T7>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8> GetAction<T1, T2, T3, T4, T5, T6, T7, T8>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8> GetAction<T1, T2, T3, T4, T5, T6, T7, T8>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14), typeof(T15)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14), typeof(T15)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>() : null;

    /// <summary>The function <paramref name="symbol"/> in the global scope, as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>(this DynamicLinker linker, string symbol) =>
        Typed(linker.GetFunction(symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14), typeof(T15), typeof(T16)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the global scope or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>(this DynamicLinker linker, string symbol) =>
        linker.TryGetFunction(symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>() : null;

    /// <summary>The function <paramref name="symbol"/> in the scope of <paramref name="handle"/> (<c>dlsym</c>), as a typed delegate.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16> GetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        Typed(linker.GetFunction(handle, symbol), f => f.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>(), Asked(null, typeof(T1), typeof(T2), typeof(T3), typeof(T4), typeof(T5), typeof(T6), typeof(T7), typeof(T8), typeof(T9), typeof(T10), typeof(T11), typeof(T12), typeof(T13), typeof(T14), typeof(T15), typeof(T16)));

    /// <summary>Like <c>GetAction</c>, or null when the symbol is not a function in the scope of <paramref name="handle"/> (<c>dlsym</c>) or has another signature.</summary>
    public static Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>? TryGetAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>(this DynamicLinker linker, LibraryHandle handle, string symbol) =>
        linker.TryGetFunction(handle, symbol) is { } function ? function.WrapAction<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>() : null;

    private static T Typed<T>(GuestFunction function, Func<GuestFunction, T?> wrap, Func<string> asked)
        where T : Delegate => wrap(function) ?? throw new SignatureMismatchException(function.Name, function.Signature, asked());

    // The signature the delegate's types stand for, in the notation of FuncType ("(i32, i64) -> i32"); a type with no
    // wasm value type is shown by its .NET name.
    private static Func<string> Asked(Type? result, params Type[] parameters) => () =>
    {
        static string Of(Type type) => HostFunctions.ValueTypeOf(type) is { } v ? WasmNames.Of(v) : type.Name;
        return $"({string.Join(", ", parameters.Select(Of))}) -> {(result is null ? "nil" : Of(result))}";
    };
}
