namespace Dylink.Linking;

/// <summary>How one import of a module is satisfied. One subtype per way; the runtime switches over them.</summary>
/// <param name="Import">The import being bound.</param>
public abstract record ImportBinding(Format.Import Import);

/// <summary><c>env.memory</c>: the program's one linear memory.</summary>
public sealed record MemoryBinding(Format.Import Import) : ImportBinding(Import);

/// <summary><c>env.__indirect_function_table</c>: the program's one function table.</summary>
public sealed record TableBinding(Format.Import Import) : ImportBinding(Import);

/// <summary><c>env.__stack_pointer</c>: the shared stack pointer.</summary>
public sealed record StackPointerBinding(Format.Import Import) : ImportBinding(Import);

/// <summary><c>env.__memory_base</c>: the start of the importing module's own memory region.</summary>
public sealed record MemoryBaseBinding(Format.Import Import) : ImportBinding(Import);

/// <summary><c>env.__table_base</c>: the start of the importing module's own table region.</summary>
public sealed record TableBaseBinding(Format.Import Import) : ImportBinding(Import);

/// <summary>A function import bound to another module's export.</summary>
/// <param name="Import">The import.</param>
/// <param name="Provider">Index of the defining module.</param>
/// <param name="ExportName">The provider's export.</param>
/// <param name="Forwarder">When the provider is instantiated after the importer (a cycle, a non-PIE main calling its
/// libraries, or a weak definition bound to itself): the index in <see cref="LinkPlan.Forwarders"/> of the wasm thunk
/// the import is bound to; otherwise null and the export is passed directly.</param>
public sealed record FunctionBinding(Format.Import Import, int Provider, string ExportName, int? Forwarder) : ImportBinding(Import);

/// <summary>A function import no module defines, in a lazy load (<see cref="LinkOptions.LazyBinding"/>, <c>RTLD_LAZY</c>):
/// bound at its first call to the then-current global scope's definition, or a trap naming it if there is still none.</summary>
/// <param name="Import">The import.</param>
/// <param name="Signature">Its type, which the definition found at the first call must have.</param>
public sealed record LazyFunctionBinding(Format.Import Import, Format.FuncType Signature) : ImportBinding(Import);

/// <summary>A global import bound to another module's exported (mutable) global.</summary>
/// <param name="Import">The import.</param>
/// <param name="Provider">Index of the defining module.</param>
/// <param name="ExportName">The provider's export.</param>
public sealed record GlobalBinding(Format.Import Import, int Provider, string ExportName) : ImportBinding(Import);

/// <summary>An <c>env</c> tag import bound to another module's exported tag: every importer shares the definer's tag, so
/// an exception thrown in one module is caught in another.</summary>
/// <param name="Import">The import.</param>
/// <param name="Provider">Index of the defining module (instantiated before the importer: a tag cannot be forwarded).</param>
/// <param name="ExportName">The provider's export.</param>
public sealed record TagBinding(Format.Import Import, int Provider, string ExportName) : ImportBinding(Import);

/// <summary>An ABI tag (<c>__cpp_exception</c>, <c>__c_longjmp</c>) that no module defines: the loader creates it once
/// per program (type <see cref="WellKnownSymbols.LoaderTags"/>) and every importer, later <c>dlopen</c>s included,
/// shares it.</summary>
public sealed record LoaderTagBinding(Format.Import Import) : ImportBinding(Import);

/// <summary>A <c>GOT.mem</c> import (or an immutable global import) holding a data symbol's address.</summary>
/// <param name="Import">The import.</param>
/// <param name="Provider">Index of the defining module.</param>
/// <param name="ExportName">The provider's export.</param>
/// <param name="Offset">The export's value: relative to the provider's <c>__memory_base</c> (or <c>__tls_base</c>), or absolute for a fixed main.</param>
/// <param name="IsTls">True for a thread-local symbol: relative to the provider's TLS block (<see cref="PlannedModule.TlsOffset"/>).</param>
public sealed record DataAddressBinding(Format.Import Import, int Provider, string ExportName, long Offset, bool IsTls) : ImportBinding(Import);

/// <summary>A <c>GOT.func</c> import: the table index of a function.</summary>
/// <param name="Import">The import.</param>
/// <param name="Slot">Index into <see cref="LinkPlan.Slots"/>.</param>
public sealed record FunctionAddressBinding(Format.Import Import, int Slot) : ImportBinding(Import);

/// <summary>An address the loader itself defines because no module does (<c>__heap_base</c>, <c>__stack_low</c>, …).</summary>
/// <param name="Import">The import.</param>
/// <param name="Value">The address.</param>
public sealed record LayoutBinding(Format.Import Import, uint Value) : ImportBinding(Import);

/// <summary>A weak undefined symbol nobody defines: 0 for addresses, a function that traps when called.</summary>
public sealed record WeakUndefinedBinding(Format.Import Import) : ImportBinding(Import);

/// <summary>An import from a module the host provides (<c>wasi_snapshot_preview1</c>, host functions).</summary>
public sealed record HostBinding(Format.Import Import) : ImportBinding(Import);
