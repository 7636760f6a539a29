using System.Runtime.CompilerServices;
using Dylink.Format;
using Dylink.Linking;

namespace Dylink.Runtime;

/// <summary>
/// The bytes a load compiles for a module, and the call table entries they have: the module's own bytes, with the
/// memory export WASI needs added (<see cref="MemoryExport"/>) and its calls of <c>env</c> imports rewritten through
/// call tables (<see cref="CallTables"/>). Both depend on the module alone (and on whether it calls WASI), so the result
/// is computed once per parsed module and the compiled code is cached by content hash as for any module. A module the
/// rewriter cannot decode is compiled as it is: its late-bound calls go through thunks, as they did before call tables.
/// </summary>
internal sealed record CompiledForm(ReadOnlyMemory<byte> Bytes, CallTableModule? Calls)
{
    private static readonly ConditionalWeakTable<WasmModule, CompiledForm> Plain = [];
    private static readonly ConditionalWeakTable<WasmModule, CompiledForm> WithMemoryExport = [];

    /// <summary>What a load compiles for <paramref name="module"/>.</summary>
    /// <param name="module">The module.</param>
    /// <param name="addMemoryExport">It calls WASI and does not export its memory (<see cref="MemoryExport.IsNeeded"/>).</param>
    /// <param name="rewriteCalls">Rewrite its calls (<see cref="DynamicLinkerOptions.CallTables"/>).</param>
    /// <exception cref="LoadException">The memory export cannot be added.</exception>
    public static CompiledForm Of(WasmModule module, bool addMemoryExport, bool rewriteCalls)
    {
        if (!rewriteCalls)
        {
            return new CompiledForm(addMemoryExport ? MemoryExport.Add(module) : module.Bytes, null);
        }

        return (addMemoryExport ? WithMemoryExport : Plain).GetValue(module, m => Rewrite(m, addMemoryExport));
    }

    private static CompiledForm Rewrite(WasmModule module, bool addMemoryExport)
    {
        var source = addMemoryExport ? WasmModule.Parse(MemoryExport.Add(module), module.Name) : module;
        try
        {
            return CallTables.Rewrite(source) is { } rewritten ? new CompiledForm(rewritten.Bytes, rewritten) : new CompiledForm(source.Bytes, null);
        }
        catch (WasmFormatException)
        {
            return new CompiledForm(source.Bytes, null);
        }
    }
}
