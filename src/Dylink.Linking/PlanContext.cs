using System.Collections.Immutable;
using Dylink.Format;

namespace Dylink.Linking;

/// <summary>The state of one planning run: layout first, then bindings, which allocate function slots as they go.</summary>
/// <remarks>With a <paramref name="scope"/>, the plan extends a running program (<c>dlopen</c>): modules below
/// <c>scope.Modules.Count</c> exist already and only the others are laid out, bound and initialised; nothing here walks the
/// earlier modules, so a plan costs the same however many libraries the program loaded and unloaded before.</remarks>
internal sealed partial class PlanContext(ModuleList modules, int mainIndex, MainKind kind, LinkOptions options, List<string> errors,
    ProgramScope? scope = null, int? root = null, List<UndefinedSymbol>? undefined = null)
{
    private readonly int _first = modules.First;
    private SymbolTable _symbols = new();
    // The first definition of a host symbol wins, as for modules.
    private readonly Dictionary<string, HostSymbol> _host = options.HostSymbols.DistinctBy(h => h.Name).ToDictionary(h => h.Name, StringComparer.Ordinal);
    private readonly List<FunctionSlot> _slots = [];
    private readonly Dictionary<(int, string), int> _slotIndex = [];
    private readonly List<Forwarder> _forwarders = [];
    private readonly Dictionary<(int, string), int> _forwarderIndex = [];
    private int[] _instantiationPosition = [];
    // Each module's NEEDED closure, computed when a binding edge asks (ConstructorOrder).
    private readonly Dictionary<int, HashSet<int>> _neededClosure = [];
    private uint _blockSlots;
    private bool _is64;

    public LinkPlan Build()
    {
        BuildScope();
        var constructorOrder = ConstructorOrder();
        var instantiationOrder = kind == MainKind.Fixed && scope is null
            ? [mainIndex, .. constructorOrder.Where(i => i != mainIndex)]
            : constructorOrder;

        _instantiationPosition = new int[modules.Count - _first];
        for (var position = 0; position < instantiationOrder.Length; position++)
        {
            _instantiationPosition[instantiationOrder[position] - _first] = position;
        }

        var (memoryOffsets, tlsOffsets, blockSize, blockAlignment) = LayoutMemory();
        var (tableOffsets, regionSlots) = LayoutTable();
        var (is64, table64) = AddressWidths();
        _is64 = is64;
        var memory = scope is null ? MemoryPlan(blockSize, blockAlignment) : ExtensionMemoryPlan(blockSize, blockAlignment);
        memory = memory with { Is64 = is64, Table64 = table64 };
        CheckLimits(memory, regionSlots);
        CheckSegments();
        if (scope is null)
        {
            CheckMainExports(regionSlots);
        }
        else
        {
            CheckMemoryMaximum();
        }

        var planned = ImmutableArray.CreateBuilder<PlannedModule>(modules.Count);
        planned.AddRange(scope?.Modules ?? []);
        for (var i = _first; i < modules.Count; i++)
        {
            var m = modules[i];
            var bindings = m.Module.Imports.Select(import => Bind(i, import, scope?.Initial.Memory ?? memory)).ToImmutableArray();
            CheckAddressTypes(i, bindings, is64);
            planned.Add(new PlannedModule(i, m.Name, m.Path, m.Module, i == mainIndex, IsRelocatable(i),
                [.. m.Needed], m.NeededBy, memoryOffsets[i - _first], tableOffsets[i - _first], bindings, tlsOffsets[i - _first]));
        }

        return new LinkPlan(kind, planned.MoveToImmutable(), memory, regionSlots + _blockSlots, regionSlots,
            [.. _slots], [.. _forwarders], instantiationOrder, constructorOrder,
            mainIndex >= 0 && modules[mainIndex].Module.Exports.Any(e => e.Name == WellKnownSymbols.Start && e.Kind == ExternalKind.Function),
            [.. _symbols.Interpositions], _first, root);
    }

    /// <summary>
    /// The lookup scope: every module in load order at start-up. For a <c>dlopen</c>, the program's global scope first,
    /// then the opened library's dependency closure breadth-first — including local libraries it needs, which only
    /// it can see (musl's rule).
    /// </summary>
    private void BuildScope()
    {
        if (scope is null)
        {
            for (var i = 0; i < modules.Count; i++)
            {
                _symbols.AddModule(i, modules[i].Name, ModuleSymbols.Of(modules[i].Module), NameOf);
            }

            return;
        }

        _symbols = scope.Global.Overlay();
        var closure = new List<int> { root!.Value };
        for (var i = 0; i < closure.Count; i++)
        {
            closure.AddRange(modules[closure[i]].Needed.Where(d => !closure.Contains(d)));
        }

        foreach (var i in closure.Where(i => i >= _first || (scope.IsLive(i) && !scope.IsGlobal(i))))
        {
            _symbols.AddModule(i, modules[i].Name, ModuleSymbols.Of(modules[i].Module), NameOf);
        }
    }

    /// <summary>Where a module comes in this plan's instantiation order; -1 for one loaded earlier, which exists
    /// already, so every binding to it is direct.</summary>
    private int Position(int index) => index < _first ? -1 : _instantiationPosition[index - _first];

    private bool IsRelocatable(int index) => index != mainIndex || kind == MainKind.Relocatable;

    private string NameOf(int index) => modules[index].Name;

    /// <summary>
    /// Dependencies before dependents, the main last: depth-first post-order over each module's NEEDED entries and then
    /// the providers its imports bind to, from the first module in load order; an edge back into a module still being
    /// visited (a cycle) is cut there. Providers count because a library may use one it does not list in NEEDED (a
    /// <c>libc.so</c> the program links against, a sibling the main needs), and its constructors may call it. A binding
    /// never overrides what NEEDED declares the other way: libc.so bound to a library that interposes one of its weak
    /// symbols is no reason to construct that library, which needs libc.so, first.
    /// </summary>
    private ImmutableArray<int> ConstructorOrder()
    {
        var order = new List<int>();
        // Modules below _first were initialised by an earlier plan: only the new ones are visited.
        var visited = new bool[modules.Count - _first];
        void Visit(int i)
        {
            if (i < _first || visited[i - _first])
            {
                return;
            }

            visited[i - _first] = true;
            foreach (var dependency in modules[i].Needed)
            {
                Visit(dependency);
            }

            foreach (var provider in Providers(i))
            {
                Visit(provider);
            }

            if (i != mainIndex)
            {
                order.Add(i);
            }
        }

        for (var i = _first; i < modules.Count; i++)
        {
            Visit(i);
        }

        if (mainIndex >= _first)
        {
            order.Add(mainIndex);
        }

        return [.. order];
    }

    /// <summary>
    /// The modules the importer's symbol imports will bind to, in import order, without itself or the main (whose
    /// constructors run last whatever uses it): the same lookups <see cref="Bind"/> makes, minus what the loader provides.
    /// </summary>
    private IEnumerable<int> Providers(int importer)
    {
        foreach (var import in modules[importer].Module.Imports)
        {
            var symbol = (import.Module, import.Kind) switch
            {
                (ModuleSymbols.Env, ExternalKind.Function) => !IsLoaderProvided(importer, import),
                (ModuleSymbols.Env, ExternalKind.Tag) => scope is null || !scope.HasLoaderTag(import.Name),
                (ModuleSymbols.Env, ExternalKind.Global) => import.Name is not (WellKnownSymbols.MemoryBase or WellKnownSymbols.TableBase),
                (ModuleSymbols.GotFunc or ModuleSymbols.GotMem, ExternalKind.Global) => true,
                _ => false,
            };
            if (symbol && TryFind(importer, import.Name, out var definition)
                && definition.Provider != importer && definition.Provider != mainIndex && !Needs(definition.Provider, importer))
            {
                yield return definition.Provider;
            }
        }
    }

    /// <summary>True when <paramref name="from"/> reaches <paramref name="target"/> through NEEDED entries.</summary>
    private bool Needs(int from, int target)
    {
        if (!_neededClosure.TryGetValue(from, out var closure))
        {
            closure = [];
            var pending = new Stack<int>(modules[from].Needed);
            while (pending.TryPop(out var module))
            {
                if (closure.Add(module))
                {
                    foreach (var needed in modules[module].Needed)
                    {
                        pending.Push(needed);
                    }
                }
            }

            _neededClosure.Add(from, closure);
        }

        return closure.Contains(target);
    }

    /// <summary>
    /// The definition an import of <paramref name="name"/> resolves to: the scope's, except for a per-module ABI name
    /// (<see cref="WellKnownSymbols.ModuleLocal"/>), which only the importer's own definition can satisfy.
    /// </summary>
    private bool TryFind(int importer, string name, out Definition definition)
    {
        if (!WellKnownSymbols.ModuleLocal.Contains(name))
        {
            return _symbols.TryLookup(name, out definition);
        }

        var own = ModuleSymbols.Of(modules[importer].Module).FirstOrDefault(s => s.IsDefined && s.Name == name);
        definition = own is null ? null! : new Definition(importer, own);
        return own is not null;
    }

    /// <summary>The loader's own functions come first for libraries; a main keeps its libc's <c>__cxa_atexit</c>
    /// (whose exit runs the libraries' destructors too).</summary>
    private bool IsLoaderProvided(int importer, Import import) =>
        WellKnownSymbols.LoaderProvided.ContainsKey(import.Name) && (import.Name != WellKnownSymbols.CxaAtexit || importer != mainIndex);

    private ImportBinding Bind(int importer, Import import, MemoryLayout memory)
    {
        var name = NameOf(importer);
        switch (import.Module, import.Kind)
        {
            case (_, ExternalKind.Memory):
                if (import.Module != ModuleSymbols.Env || import.Name != WellKnownSymbols.Memory)
                {
                    errors.Add($"{name}: imports a memory as {import.Module}.{import.Name}; only env.memory is provided");
                }
                else if (import.Memory!.Value.Shared)
                {
                    errors.Add($"{name}: imports a shared memory (it was built for threads); Wasmtime's .NET embedding cannot create shared memories");
                }

                return new MemoryBinding(import);
            case (_, ExternalKind.Table):
                if (import.Module != ModuleSymbols.Env || import.Name != WellKnownSymbols.IndirectFunctionTable)
                {
                    errors.Add($"{name}: imports a table as {import.Module}.{import.Name}; only env.__indirect_function_table is provided");
                }

                return new TableBinding(import);
            case (ModuleSymbols.Env, ExternalKind.Global) when import.Name == WellKnownSymbols.StackPointer && !DefinedElsewhere(import.Name):
                return new StackPointerBinding(import);
            case (ModuleSymbols.Env, ExternalKind.Global) when import.Name == WellKnownSymbols.MemoryBase:
                return new MemoryBaseBinding(import);
            case (ModuleSymbols.Env, ExternalKind.Global) when import.Name == WellKnownSymbols.TableBase:
                return new TableBaseBinding(import);
            case (ModuleSymbols.Env, ExternalKind.Function):
                return BindFunction(importer, import);
            case (ModuleSymbols.Env, ExternalKind.Tag):
                return BindTag(importer, import);
            case (ModuleSymbols.GotFunc, ExternalKind.Global):
                return BindFunctionAddress(importer, import);
            case (ModuleSymbols.GotMem, ExternalKind.Global):
            case (ModuleSymbols.Env, ExternalKind.Global):
                return BindGlobal(importer, import, memory);
            case var (module, _) when options.HostModules.Contains(module):
                return new HostBinding(import);
            default:
                errors.Add($"{name}: cannot satisfy import {import.Module}.{import.Name} ({WasmNames.Of(import.Kind)}): unknown import module");
                return new WeakUndefinedBinding(import);
        }
    }

    private bool DefinedElsewhere(string symbol) => _symbols.TryLookup(symbol, out _);

    private ImportBinding BindFunction(int importer, Import import)
    {
        var signature = modules[importer].Module.Types[(int)import.TypeIndex];
        if (IsLoaderProvided(importer, import))
        {
            var provided = _is64 ? WellKnownSymbols.LoaderProvided64 : WellKnownSymbols.LoaderProvided;
            if (provided.TryGetValue(import.Name, out var loaderSignature))
            {
                CheckSignature(importer, import.Name, signature, loaderSignature, "the loader");
            }
            else
            {
                errors.Add($"{NameOf(importer)}: {import.Name}: the loader provides {import.Name} to wasm32 programs only, and this one is wasm64");
            }

            return new HostBinding(import);
        }

        if (!Lookup(importer, import, SymbolKind.Function, out var definition, out var mismatch))
        {
            if (mismatch)
            {
                return new WeakUndefinedBinding(import);
            }

            if (_host.TryGetValue(import.Name, out var host))
            {
                CheckSignature(importer, import.Name, signature, host.Signature, "the host");
                return new HostBinding(import);
            }

            // A per-module name can never be found later: no lazy binding for it.
            return options.LazyBinding && !IsWeak(importer, import) && !WellKnownSymbols.ModuleLocal.Contains(import.Name)
                ? new LazyFunctionBinding(import, signature)
                : Undefined(importer, import, $"function {signature}");
        }

        CheckSignature(importer, import.Name, signature, definition.Symbol.Signature!, NameOf(definition.Provider));
        var direct = !options.Rebindable && Position(definition.Provider) < Position(importer);
        return new FunctionBinding(import, definition.Provider, definition.Symbol.Name, direct ? null : ForwarderOf(definition));
    }

    private ImportBinding BindFunctionAddress(int importer, Import import) =>
        Lookup(importer, import, SymbolKind.Function, out var definition, out var mismatch)
            ? new FunctionAddressBinding(import, SlotOf(definition))
            : mismatch ? new WeakUndefinedBinding(import) : Undefined(importer, import, "function");

    private ImportBinding BindGlobal(int importer, Import import, MemoryLayout memory)
    {
        var isGot = import.Module == ModuleSymbols.GotMem;
        if (!TryFind(importer, import.Name, out var definition))
        {
            if (LayoutValue(import.Name, memory) is { } value)
            {
                return new LayoutBinding(import, value);
            }

            return Undefined(importer, import, isGot ? "data" : $"global {WasmNames.Of(import.Global!.ValueType)}");
        }

        var symbol = definition.Symbol;
        if (symbol.Kind is SymbolKind.Data or SymbolKind.Tls && (isGot || !import.Global!.Mutable))
        {
            return new DataAddressBinding(import, definition.Provider, symbol.Name,
                DataOffset(definition.Provider, symbol.Name), symbol.Kind == SymbolKind.Tls);
        }

        if (!isGot && symbol.Kind == SymbolKind.Global && symbol.GlobalType == import.Global)
        {
            if (Position(definition.Provider) >= Position(importer))
            {
                // Unlike a function, a global cannot be forwarded: its provider must exist first.
                errors.Add($"{NameOf(importer)}: {import.Name}: the global is defined by {NameOf(definition.Provider)}, which can only be instantiated later");
            }

            return new GlobalBinding(import, definition.Provider, symbol.Name);
        }

        var wanted = isGot ? "data" : $"global {WasmNames.Of(import.Global!.ValueType)}{(import.Global.Mutable ? " mut" : "")}";
        var found = symbol.GlobalType is { } g && symbol.Kind == SymbolKind.Global
            ? $"global {WasmNames.Of(g.ValueType)}{(g.Mutable ? " mut" : "")}"
            : Describe.Symbol(symbol);
        errors.Add($"{NameOf(importer)}: {import.Name}: imported as {wanted} but {NameOf(definition.Provider)} defines {found}");
        return new WeakUndefinedBinding(import);
    }

    /// <summary>
    /// A tag is shared, never copied: bound to the module that defines it (which must exist first, since a tag cannot be
    /// forwarded), or, for an ABI tag nobody defines, to the one the loader creates. Types must agree exactly.
    /// </summary>
    private ImportBinding BindTag(int importer, Import import)
    {
        var type = modules[importer].Module.Types[(int)import.TypeIndex];
        // Once importers share the loader's tag, a library opened later must not bring a second one.
        if (scope is not null && scope.HasLoaderTag(import.Name))
        {
            CheckTagType(importer, import.Name, type, WellKnownSymbols.LoaderTags[import.Name], "the loader");
            return new LoaderTagBinding(import);
        }

        if (!Lookup(importer, import, SymbolKind.Tag, out var definition, out var mismatch))
        {
            if (mismatch)
            {
                return new WeakUndefinedBinding(import);
            }

            if (WellKnownSymbols.LoaderTags.TryGetValue(import.Name, out var loaderType))
            {
                CheckTagType(importer, import.Name, type, loaderType, "the loader");
                return new LoaderTagBinding(import);
            }

            return Undefined(importer, import, Describe.Tag(type));
        }

        CheckTagType(importer, import.Name, type, definition.Symbol.Signature!, NameOf(definition.Provider));
        if (Position(definition.Provider) >= Position(importer))
        {
            errors.Add($"{NameOf(importer)}: {import.Name}: the tag is defined by {NameOf(definition.Provider)}, which can only be instantiated later");
        }

        return new TagBinding(import, definition.Provider, definition.Symbol.Name);
    }

    private void CheckTagType(int importer, string symbol, FuncType imported, FuncType defined, string provider)
    {
        if (!imported.Equals(defined))
        {
            errors.Add($"{NameOf(importer)}: {symbol}: imported as {Describe.Tag(imported)} but {provider} defines {Describe.Tag(defined)}");
        }
    }

    /// <summary>Looks a symbol up and checks its kind; records an error for a kind mismatch.</summary>
    private bool Lookup(int importer, Import import, SymbolKind wanted, out Definition definition, out bool mismatch)
    {
        mismatch = false;
        if (!TryFind(importer, import.Name, out definition))
        {
            return false;
        }

        if (definition.Symbol.Kind != wanted)
        {
            mismatch = true;
            errors.Add($"{NameOf(importer)}: {import.Name}: imported as {Describe.Kind(wanted)} but {NameOf(definition.Provider)} defines {Describe.Symbol(definition.Symbol)}");
        }

        return definition.Symbol.Kind == wanted;
    }

    private void CheckSignature(int importer, string symbol, FuncType imported, FuncType defined, string provider)
    {
        if (!imported.Equals(defined))
        {
            errors.Add($"{NameOf(importer)}: {symbol}: imported as function {imported} but {provider} defines function {defined}");
        }
    }

    private bool IsWeak(int importer, Import import) => modules[importer].Module.Dylink is { } d
        && ((d.FlagsOfImport(import.Module, import.Name) | d.FlagsOfImport(ModuleSymbols.Env, import.Name)) & SymbolFlags.BindingWeak) != 0;

    private WeakUndefinedBinding Undefined(int importer, Import import, string what)
    {
        if (!IsWeak(importer, import))
        {
            var message = $"{NameOf(importer)}: undefined symbol: {import.Name} ({what})"
                + (WellKnownSymbols.ModuleLocal.Contains(import.Name)
                    ? $"; every module has its own {import.Name}, so only a definition in {NameOf(importer)} itself can satisfy it"
                    : "");
            errors.Add(message);
            undefined?.Add(new UndefinedSymbol(NameOf(importer), import.Name, what, message));
        }

        return new WeakUndefinedBinding(import);
    }

    private uint? LayoutValue(string symbol, MemoryLayout memory)
    {
        if (!memory.CreatesMemory || kind == MainKind.Fixed)
        {
            return null;
        }

        return symbol switch
        {
            WellKnownSymbols.HeapBase => memory.HeapBase,
            WellKnownSymbols.HeapEnd => memory.InitialPages * 0x10000u,
            WellKnownSymbols.StackLow => memory.StackPointer - memory.StackSize,
            WellKnownSymbols.StackHigh => memory.StackPointer,
            _ => null,
        };
    }

    /// <summary>The value of a data export: a constant, or <c>__memory_base</c> plus a constant (extended-const).</summary>
    private long DataOffset(int provider, string exportName)
    {
        var module = modules[provider].Module;
        var export = module.FindExport(exportName)!;
        if (export.Index < module.ImportedGlobalCount)
        {
            errors.Add($"{NameOf(provider)}: {exportName}: a re-exported imported global has no address the loader can compute");
            return 0;
        }

        var init = module.Globals[(int)export.Index - module.ImportedGlobalCount].Init;
        if (ModuleSymbols.AddressOffset(module, init) is { } offset)
        {
            return offset;
        }

        errors.Add($"{NameOf(provider)}: {exportName}: the address is not a constant ({init})");
        return 0;
    }


    /// <summary>The one slot of a function: reused from the provider's own element segment when it has one there.</summary>
    private int SlotOf(Definition definition)
    {
        var key = (definition.Provider, definition.Symbol.Name);
        if (_slotIndex.TryGetValue(key, out var index))
        {
            return index;
        }

        var slot = ExistingSlot(definition) ?? new FunctionSlot(definition.Provider, definition.Symbol.Name, SlotLocation.Block, _blockSlots++);
        _slots.Add(slot);
        _slotIndex.Add(key, _slots.Count - 1);
        return _slots.Count - 1;
    }

    private int ForwarderOf(Definition definition)
    {
        var key = (definition.Provider, definition.Symbol.Name);
        if (!_forwarderIndex.TryGetValue(key, out var index))
        {
            _forwarders.Add(new Forwarder(definition.Provider, definition.Symbol.Name, definition.Symbol.Signature!));
            index = _forwarders.Count - 1;
            _forwarderIndex.Add(key, index);
        }

        return index;
    }

    private FunctionSlot? ExistingSlot(Definition definition)
    {
        if (scope is not null && scope.TryGetSlot(definition.Provider, definition.Symbol.Name, out var known))
        {
            return new FunctionSlot(definition.Provider, definition.Symbol.Name, SlotLocation.Absolute, known);
        }

        return ElementSlots.Find(modules[definition.Provider].Module, IsRelocatable(definition.Provider), (uint)definition.Symbol.Value!.Value)
            is { } found
            ? new FunctionSlot(definition.Provider, definition.Symbol.Name, found.Location, found.Offset)
            : null;
    }

    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) / alignment * alignment;
}
