using Dylink.Format;
using ValueType = Dylink.Format.ValueType;

namespace Dylink.Linking;

/// <summary>
/// Names the dynamic-linking ABI gives a meaning (tool-conventions <c>DynamicLinking.md</c>, wasm-ld's synthetic
/// symbols). Kept in one place so that no other code compares against these strings.
/// </summary>
public static class WellKnownSymbols
{
    /// <summary><c>env.memory</c>: the shared linear memory.</summary>
    public const string Memory = "memory";

    /// <summary><c>env.__indirect_function_table</c>: the shared function table.</summary>
    public const string IndirectFunctionTable = "__indirect_function_table";

    /// <summary><c>env.__stack_pointer</c>: the shared, mutable stack pointer.</summary>
    public const string StackPointer = "__stack_pointer";

    /// <summary><c>env.__memory_base</c>: where the importing module's data region starts.</summary>
    public const string MemoryBase = "__memory_base";

    /// <summary><c>env.__table_base</c>: where the importing module's table region starts.</summary>
    public const string TableBase = "__table_base";

    /// <summary>Applies the module's data relocations; exported by LLVM ≥ 16, the start function in LLVM 14.</summary>
    public const string ApplyDataRelocs = "__wasm_apply_data_relocs";

    /// <summary>Applies relocations inside the module's TLS block.</summary>
    public const string ApplyTlsRelocs = "__wasm_apply_tls_relocs";

    /// <summary>Runs the module's constructors.</summary>
    public const string CallCtors = "__wasm_call_ctors";

    /// <summary>A reactor's initialiser (runs constructors); a module has this or <see cref="CallCtors"/>, not both.</summary>
    public const string Initialize = "_initialize";

    /// <summary>A WASI command's entry point.</summary>
    public const string Start = "_start";

    /// <summary>Initialises a module's TLS block at the address it is given (and applies its TLS relocations).</summary>
    public const string InitTls = "__wasm_init_tls";

    /// <summary>Size of a module's TLS block (an exported constant).</summary>
    public const string TlsSize = "__tls_size";

    /// <summary>Alignment of a module's TLS block (an exported constant).</summary>
    public const string TlsAlign = "__tls_align";

    /// <summary>The first address after static data (start of the heap).</summary>
    public const string HeapBase = "__heap_base";

    /// <summary>The end of the heap.</summary>
    public const string HeapEnd = "__heap_end";

    /// <summary>The lowest address of the stack.</summary>
    public const string StackLow = "__stack_low";

    /// <summary>The highest address of the stack.</summary>
    public const string StackHigh = "__stack_high";

    /// <summary>
    /// wasi-libc's exit-time cleanup (<c>atexit</c> handlers, then the <c>stdio</c> flush), which its <c>exit</c> calls
    /// and its <c>crt1-command.o</c> calls after <c>main</c>. Unlike <see cref="CallCtors"/>, wasm-ld never synthesizes
    /// it: a module that exports it has a libc in it (or is <c>libc.so</c>), so it is an ordinary symbol.
    /// </summary>
    public const string CallDtors = "__wasm_call_dtors";

    /// <summary><c>__cxa_atexit(void (*)(void *), void *, void *)</c>: registers an exit-time handler.</summary>
    public const string CxaAtexit = "__cxa_atexit";

    /// <summary>
    /// Exports every module has for itself (what wasm-ld synthesizes per module — initialisers, relocation functions,
    /// TLS block, DSO handle — and a reactor's <c>_initialize</c>): the loader calls them per module, and they never
    /// enter any scope, so one module's cannot satisfy or shadow another's. An import of one of these names can be
    /// bound only to the importing module's own definition (a weak definition imports its own name).
    /// </summary>
    public static readonly IReadOnlySet<string> ModuleLocal = new HashSet<string>(StringComparer.Ordinal)
    {
        CallCtors, ApplyDataRelocs, "__wasm_apply_global_relocs", ApplyTlsRelocs,
        "__wasm_apply_global_tls_relocs", InitTls, "__wasm_init_memory", Initialize,
        "__tls_base", TlsSize, TlsAlign, "__dso_handle",
    };

    /// <summary>
    /// Functions the loader itself provides to libraries, ahead of any module's definition: the <c>dlfcn.h</c> family,
    /// and <c>__cxa_atexit</c> so that a library's destructors run when it is unloaded rather than at exit. This holds
    /// even when a <c>libc.so</c> defines <c>__cxa_atexit</c>: wasi-libc's ignores its <c>dso</c> argument and has no
    /// <c>__cxa_finalize</c>, and clang's <c>__dso_handle</c> is hidden in each module, so only the import a handler
    /// arrives through says which library it belongs to; a handler left in libc's list would run, after a
    /// <c>dlclose</c>, code that is gone. The main's own <c>__cxa_atexit</c> import is resolved as any symbol (its
    /// libc's), and the loader runs the libraries' handlers from there at exit.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, FuncType> LoaderProvided = new Dictionary<string, FuncType>(StringComparer.Ordinal)
    {
        ["dlopen"] = Signature([ValueType.I32, ValueType.I32], [ValueType.I32]),
        ["dlsym"] = Signature([ValueType.I32, ValueType.I32], [ValueType.I32]),
        ["dlclose"] = Signature([ValueType.I32], [ValueType.I32]),
        ["dlerror"] = Signature([], [ValueType.I32]),
        ["dladdr"] = Signature([ValueType.I32, ValueType.I32], [ValueType.I32]),
        [CxaAtexit] = Signature([ValueType.I32, ValueType.I32, ValueType.I32], [ValueType.I32]),
    };

    /// <summary>
    /// Exception tags the loader creates when no module defines them, with their parameter types (wasm32): the C++
    /// exception tag (one pointer to the thrown exception) and the <c>longjmp</c> tag (one pointer to the
    /// <c>{env, value}</c> argument), as emscripten's loader provides them. Every module that throws or catches imports
    /// them from <c>env</c>, and all must share one tag for a throw in one module to reach a catch in another.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, FuncType> LoaderTags = new Dictionary<string, FuncType>(StringComparer.Ordinal)
    {
        ["__cpp_exception"] = Signature([ValueType.I32], []),
        ["__c_longjmp"] = Signature([ValueType.I32], []),
    };

    /// <summary>
    /// What the loader provides to wasm64 modules: <c>__cxa_atexit(void (*)(void *), void *, void *)</c> with 64-bit
    /// pointers. The <c>dlfcn.h</c> family is wasm32 only.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, FuncType> LoaderProvided64 = new Dictionary<string, FuncType>(StringComparer.Ordinal)
    {
        [CxaAtexit] = Signature([ValueType.I64, ValueType.I64, ValueType.I64], [ValueType.I32]),
    };

    private static FuncType Signature(ValueType[] parameters, ValueType[] results) => new([.. parameters], [.. results]);

    /// <summary>Allocators a non-relocatable main may export, in order of preference, to place library data in its heap.</summary>
    public static readonly IReadOnlyList<string> Allocators = ["aligned_alloc", "memalign", "malloc"];
}
