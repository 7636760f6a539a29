using Dylink.Format;
using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>Run-time linking: <c>dlopen</c>, <c>dlsym</c>, <c>dlclose</c>, <c>dlerror</c>, <c>dladdr</c>, for C# and for guests.</summary>
public sealed partial class DynamicLinker
{
    private const int ProgramHandle = int.MaxValue;

    private readonly HashSet<int> _permanent = [];
    // Libraries in the order their constructors ran (start-up, then every dlopen): exit destroys them in reverse.
    private readonly List<int> _constructed = [];
    private uint? _exitHandlerSlot;
    private readonly Dictionary<int, int> _openCount = [];
    private readonly HashSet<int> _noDelete = [];
    private readonly List<(int Module, long Function, long Argument)> _atExit = [];
    private readonly Dictionary<string, int> _guestStrings = new(StringComparer.Ordinal);
    private string? _lastError;
    private int _errorBuffer;
    private int _errorBufferSize;

    /// <summary>Instances of unloaded libraries still held by the store (Wasmtime frees instances only with their store).</summary>
    public int UnloadedInstances { get; private set; }

    /// <summary>Loads a library and what it needs (<c>dlopen</c>), or finds it loaded already.</summary>
    /// <param name="name">A library name (searched like NEEDED) or a path; null for the program itself.</param>
    /// <param name="mode">musl's mode bits; <see cref="OpenMode.Global"/> makes its symbols visible to later lookups.</param>
    /// <returns>The handle; opening a loaded library again returns the same handle and adds a reference.</returns>
    /// <exception cref="LinkException">The library or a dependency is missing or malformed, or symbols do not resolve.</exception>
    /// <exception cref="LoadException">Instantiation, a relocation or a constructor failed; the program is as before.</exception>
    /// <exception cref="KeyNotFoundException">With <see cref="OpenMode.NoLoad"/>: the library is not loaded.</exception>
    public LibraryHandle Open(string? name, OpenMode mode = OpenMode.Now)
    {
        lock (_gate)
        {
            var scope = Scope;
            if (name is null)
            {
                return new LibraryHandle(Plan.Main is { } main ? main.Index + 1 : ProgramHandle);
            }

            var global = (mode & OpenMode.Global) != 0;
            int root;
            if ((mode & OpenMode.NoLoad) != 0)
            {
                // As in glibc, a successful RTLD_NOLOAD counts as a reference: it is closed like any other.
                root = FindLoaded(name) ?? throw new KeyNotFoundException($"{name}: not loaded (RTLD_NOLOAD)");
                _openCount[root] = _openCount.GetValueOrDefault(root) + 1;
            }
            else
            {
                var plan = LinkPlanner.PlanOpen(scope, name, _linkOptions);
                root = plan.Root!.Value;
                if (plan.FirstNewModule < plan.Modules.Length)
                {
                    var loader = Execute(plan);
                    scope.Commit(plan, global, loader.SlotIndices);
                    Trace?.Invoke($"opened {name}: {string.Join(", ", plan.NewModules.Select(m => m.Name))}");
                }

                _openCount[root] = _openCount.GetValueOrDefault(root) + 1;
            }

            if (global)
            {
                scope.Promote(root);
            }

            if ((mode & OpenMode.NoDelete) != 0)
            {
                _noDelete.Add(root);
            }

            return new LibraryHandle(root + 1);
        }
    }

    /// <summary>The value of a symbol (<c>dlsym</c>): a function's table index (the pointer every module sees), or a data address.</summary>
    /// <exception cref="KeyNotFoundException">No such symbol in the handle's scope.</exception>
    /// <exception cref="ArgumentException">The handle is not a loaded library.</exception>
    public int Symbol(LibraryHandle handle, string name)
    {
        lock (_gate)
        {
            var scope = Scope;
            var (provider, symbol) = Resolve(handle, name);
            return symbol.Kind switch
            {
                SymbolKind.Function => (int)SlotFor(provider, symbol.Name),
                SymbolKind.Tls => (int)(Program.TlsBases[provider] + symbol.Value!.Value),
                SymbolKind.Data => (int)((scope.Modules[provider].IsRelocatable ? Program.MemoryBases[provider] : 0) + (symbol.Value ?? 0)),
                _ => throw new KeyNotFoundException($"{name}: a {symbol.Kind.ToString().ToLowerInvariant()}, not a function or data"),
            };
        }
    }

    /// <summary>
    /// The function <paramref name="name"/> as <c>dlsym</c> finds it from <paramref name="handle"/> (the library, then its
    /// dependencies), to call from C#. Lets a host call the same entry point in several libraries opened
    /// <see cref="OpenMode.Local"/>, which <see cref="GetFunction(string)"/> (the global scope) cannot tell apart.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such function in the handle's scope.</exception>
    /// <exception cref="ArgumentException">The handle is not a loaded library.</exception>
    public Function GetFunction(LibraryHandle handle, string name)
    {
        lock (_gate)
        {
            var (provider, symbol) = Resolve(handle, name);
            if (symbol.Kind != SymbolKind.Function)
            {
                throw new KeyNotFoundException($"{name}: a {symbol.Kind.ToString().ToLowerInvariant()}, not a function");
            }

            return Program.Instances[provider]!.GetFunction(symbol.Name)!;
        }
    }

    /// <summary>The definition <c>dlsym(handle, name)</c> finds: the global scope for the program handle and
    /// <c>RTLD_DEFAULT</c>, the next definition for <c>RTLD_NEXT</c>, else the library and its dependencies.</summary>
    private Definition Resolve(LibraryHandle handle, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var scope = Scope;
        var definition = handle.Value switch
        {
            0 or ProgramHandle => scope.Global.TryLookup(name, out var d) ? d : null,
            -1 => NextDefinition(name),
            _ when Plan.Main is { } main && handle.Value == main.Index + 1 => scope.Global.TryLookup(name, out var d) ? d : null,
            _ => LookupFrom(LiveModule(handle), name),
        };
        if (definition is null)
        {
            var where = handle.Value > 0 && handle.Value != ProgramHandle ? $" in {scope.Modules[handle.Value - 1].Name}" : "";
            throw new KeyNotFoundException($"{name}: symbol not found{where}");
        }

        return definition;
    }

    /// <summary>Drops a reference (<c>dlclose</c>); at zero the library is unloaded unless it was opened with
    /// <see cref="OpenMode.NoDelete"/>, was loaded at start-up, or a loaded module still needs it.</summary>
    /// <exception cref="ArgumentException">The handle is not a loaded library.</exception>
    public void Close(LibraryHandle handle)
    {
        lock (_gate)
        {
            if (handle.Value == ProgramHandle || (Plan.Main is { } main && handle.Value == main.Index + 1))
            {
                return;
            }

            var index = LiveModule(handle);
            if (_openCount.GetValueOrDefault(index) > 0)
            {
                _openCount[index]--;
            }

            TryUnload(index);
        }
    }

    /// <summary>The last run-time linking error, cleared by reading it (<c>dlerror</c>).</summary>
    public string? TakeLastError()
    {
        lock (_gate)
        {
            var error = _lastError;
            _lastError = null;
            return error;
        }
    }

    /// <summary>True while the library is loaded.</summary>
    public bool IsLoaded(LibraryHandle handle) =>
        handle.Value > 0 && handle.Value <= Scope.Modules.Count && Scope.IsLive(handle.Value - 1);

    private int LiveModule(LibraryHandle handle) =>
        IsLoaded(handle) ? handle.Value - 1 : throw new ArgumentException($"invalid handle {handle.Value}: not a loaded library", nameof(handle));

    private int? FindLoaded(string name)
    {
        var full = name.Contains('/', StringComparison.Ordinal) ? Path.GetFullPath(name) : null;
        return Scope.Modules.FirstOrDefault(m => Scope.IsLive(m.Index)
            && (m.Name == name || (full is not null && m.Path is { } p && Path.GetFullPath(p) == full)))?.Index;
    }

    /// <summary>A handle's own scope: the library, then its dependencies breadth-first (musl's <c>dlsym(handle)</c>).</summary>
    private Definition? LookupFrom(int root, string name)
    {
        var order = new List<int> { root };
        for (var i = 0; i < order.Count; i++)
        {
            order.AddRange(Scope.Modules[order[i]].Needed.Where(d => !order.Contains(d) && Scope.IsLive(d)));
        }

        var table = new SymbolTable();
        foreach (var m in order)
        {
            table.AddModule(m, Scope.Modules[m].Name, ModuleSymbols.Of(Scope.Modules[m].Module), i => Scope.Modules[i].Name);
        }

        return table.TryLookup(name, out var d) ? d : null;
    }

    /// <summary>RTLD_NEXT: the first definition in a global module after the main (the loader cannot see which module called).</summary>
    private Definition? NextDefinition(string name)
    {
        var after = Plan.Main?.Index ?? -1;
        foreach (var m in Scope.Modules.Where(m => m.Index > after && Scope.IsLive(m.Index) && Scope.IsGlobal(m.Index)))
        {
            var symbol = ModuleSymbols.Of(m.Module).FirstOrDefault(s => s.IsDefined && !s.IsHidden && s.Name == name
                && !WellKnownSymbols.ModuleLocal.Contains(s.Name));
            if (symbol is not null)
            {
                return new Definition(m.Index, symbol);
            }
        }

        return null;
    }

    /// <summary>The function's one table slot, given on first use.</summary>
    private uint SlotFor(int provider, string export)
    {
        if (Scope.TryGetSlot(provider, export, out var slot))
        {
            return slot;
        }

        var module = Scope.Modules[provider];
        var functionIndex = module.Module.FindExport(export)!.Index;
        if (ElementSlots.Find(module.Module, module.IsRelocatable, functionIndex) is { } own)
        {
            slot = own.Location == SlotLocation.Absolute ? own.Offset : Program.TableBases[provider] + own.Offset;
        }
        else
        {
            slot = Program.FreeSlots.Take(1, 1) ?? (uint)Table.Grow(1, null);
            Table.SetElement(slot, Program.Instances[provider]!.GetFunction(export));
        }

        Scope.AddSlot(provider, export, slot);
        return slot;
    }

    private void TryUnload(int index)
    {
        var scope = Scope;
        if (!scope.IsLive(index) || _permanent.Contains(index) || _noDelete.Contains(index)
            || _openCount.GetValueOrDefault(index) > 0 || scope.IsUsedByOthers(index))
        {
            return;
        }

        var module = scope.Modules[index];
        RunDestructors(index);
        var tableBase = Program.TableBases[index];
        var kept = new HashSet<uint>();
        foreach (var (export, slot) in scope.Remove(index))
        {
            // A rebound function's slot keeps reaching its replacement (a reloaded library's new version).
            if (_originals.Remove((index, export)))
            {
                kept.Add(slot);
                continue;
            }

            Table.SetElement(slot, StaleStub(module.Name, export, Table.GetElement(slot) as Function));
            if (slot < tableBase || slot >= tableBase + module.TableSize)
            {
                Program.FreeSlots.Free(slot, 1); // a slot in the module's own region is freed with the region below
            }
        }

        for (var k = 0u; k < module.TableSize; k++)
        {
            if (!kept.Contains(tableBase + k))
            {
                Table.SetElement(tableBase + k, StaleStub(module.Name, "a function whose address was taken", Table.GetElement(tableBase + k) as Function));
            }
        }

        // A region that still holds a rebound slot stays taken (a few slots), so nothing else lands on it.
        if (!kept.Any(slot => slot >= tableBase && slot < tableBase + module.TableSize))
        {
            Program.FreeSlots.Free(tableBase, module.TableSize);
        }
        ReleaseMemory(index);
        foreach (var key in Program.Got.Keys.Where(k => k.StartsWith($"mem {index} ", StringComparison.Ordinal) || k.StartsWith($"func {index} ", StringComparison.Ordinal)).ToList())
        {
            Program.Got.Remove(key);
        }

        UnloadedInstances++;
        Trace?.Invoke($"unloaded {module.Name}");
        foreach (var dependency in scope.DependenciesOf(index))
        {
            TryUnload(dependency);
        }
    }

    /// <summary>A call through a stale pointer or GOT entry ends with a message naming the library and symbol, never in freed code.</summary>
    private Function StaleStub(string library, string symbol, Function? like)
    {
        IReadOnlyList<ValueKind> parameters = like is { IsNull: false } ? like.Parameters : [];
        IReadOnlyList<ValueKind> results = like is { IsNull: false } ? like.Results : [];
        return HostFunctions.Trap(_store, library, $"{library}: {symbol} was called after {library} was unloaded (dlclose)", parameters, results);
    }

    private void ReleaseMemory(int index)
    {
        var block = Program.BlockOf[index];
        if (block >= 0)
        {
            Program.Blocks[block].LiveModules--;
            Program.ReleaseBlock(block, Plan.Main is { } main ? Program.Instances[main.Index]?.GetFunction("free") : null);
        }
    }

    /// <summary>
    /// Makes the main's <c>exit</c> run the destructors of every library still loaded, as glibc's <c>_dl_fini</c> does:
    /// a handler registered through the main's own <c>__cxa_atexit</c> before <c>_start</c> runs the main's
    /// constructors, so it runs after the main's destructors and before libc flushes <c>stdout</c>. Libraries go in
    /// reverse constructor order. A main that does not export <c>__cxa_atexit</c> gives the loader no way in: its
    /// libraries' destructors then run only at <c>dlclose</c>.
    /// </summary>
    private void RegisterLibraryDestructors(PlannedModule main)
    {
        if (_exitHandlerSlot is not null || Plan.Kind != MainKind.Fixed
            || Program.Instances[main.Index]!.GetFunction("__cxa_atexit") is not { } register
            || !HostFunctions.Signature(register).Equals(WellKnownSymbols.LoaderProvided["__cxa_atexit"]))
        {
            return;
        }

        var handler = HostFunctions.Create(_store, (int _) => RunDestructorsAtExit());
        var slot = Program.FreeSlots.Take(1, 1) ?? (uint)Table.Grow(1, null);
        Table.SetElement(slot, handler);
        _exitHandlerSlot = slot;
        register.Invoke((int)slot, 0, 0);
    }

    private void RunDestructorsAtExit()
    {
        Trace?.Invoke("exit: running library destructors");
        for (var i = _constructed.Count - 1; i >= 0; i--)
        {
            var index = _constructed[i];
            if (Scope.IsLive(index))
            {
                RunDestructors(index);
            }
        }

        _constructed.Clear();
    }

    /// <summary>The library's <c>__cxa_atexit</c> handlers, last registered first, then <c>__wasm_call_dtors</c>.</summary>
    private void RunDestructors(int index)
    {
        for (var i = _atExit.Count - 1; i >= 0; i--)
        {
            if (_atExit[i].Module == index)
            {
                var (_, function, argument) = _atExit[i];
                _atExit.RemoveAt(i);
                if (Table.GetElement((uint)function) is Function { IsNull: false } handler)
                {
                    handler.Invoke(HostFunctions.IntegerArguments(handler, [argument]));
                }
            }
        }

        Program.Instances[index]?.GetFunction("__wasm_call_dtors")?.Invoke();
    }

    /// <summary>
    /// A library's <c>__cxa_atexit</c> records its handler against that library, whatever <c>dso</c> it passes:
    /// clang's <c>__dso_handle</c> is internal to each module, so the import a call arrives through is what identifies it.
    /// </summary>
    private Function? ModuleFunction(int module, string name) => name != "__cxa_atexit" ? null
        : _state.Memory.Is64Bit // the memory exists before any library is instantiated; wasm64 passes 64-bit pointers
            ? HostFunctions.Create(_store, (long function, long argument, long dso) =>
            {
                _atExit.Add((module, function, argument));
                return 0;
            })
            : HostFunctions.Create(_store, (int function, int argument, int dso) =>
            {
                _atExit.Add((module, function, argument));
                return 0;
            });

    /// <summary>
    /// Which library (and symbol) a function pointer or data address belongs to (<c>dladdr</c>): a table index that
    /// holds a loaded function, or an address inside a library's data region (the nearest data symbol at or below it).
    /// </summary>
    /// <returns>The library, the symbol (null when no symbol starts at or below the address) and the symbol's address;
    /// null when the address belongs to no loaded library.</returns>
    public (string Library, string? Symbol, int SymbolAddress)? Describe(int address)
    {
        lock (_gate)
        {
            var scope = Scope;
            if (scope.TryGetFunctionAt((uint)address, out var provider, out var export) || FunctionInSlot(address, out provider, out export))
            {
                return (LibraryName(provider), export, address);
            }

            var owner = scope.Modules.FirstOrDefault(m => scope.IsLive(m.Index) && m.IsRelocatable && m.MemorySize > 0
                && address >= Program.MemoryBases[m.Index] && address < Program.MemoryBases[m.Index] + m.MemorySize);
            if (owner is null)
            {
                return null;
            }

            var nearest = ModuleSymbols.Of(owner.Module)
                .Where(s => s.IsDefined && s.Kind == SymbolKind.Data && s.Value is { } v && Program.MemoryBases[owner.Index] + v <= address)
                .MaxBy(s => s.Value);
            return (LibraryName(owner.Index), nearest?.Name, nearest is null ? 0 : (int)(Program.MemoryBases[owner.Index] + nearest.Value!.Value));
        }
    }

    private string LibraryName(int index) => Scope.Modules[index].Path ?? Scope.Modules[index].Name;

    /// <summary>Which live module's exported function a table slot holds (a pointer the program took itself).</summary>
    private bool FunctionInSlot(int address, out int provider, out string export)
    {
        (provider, export) = (-1, "");
        if (address <= 0 || (ulong)address >= Table.GetSize() || Table.GetElement((uint)address) is not Function function || function.IsNull)
        {
            return false;
        }

        foreach (var m in Scope.Modules.Where(m => Scope.IsLive(m.Index)))
        {
            foreach (var e in m.Module.Exports.Where(e => e.Kind == ExternalKind.Function && !WellKnownSymbols.ModuleLocal.Contains(e.Name)))
            {
                if (function.Equals(Program.Instances[m.Index]!.GetFunction(e.Name)))
                {
                    (provider, export) = (m.Index, e.Name);
                    return true;
                }
            }
        }

        return false;
    }
}
