using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// The end of a module's life: references (<c>dlclose</c>), the unload rule, destructors (<c>__cxa_atexit</c> handlers,
/// then <c>__wasm_call_dtors</c>) at unload and at exit, and the teardown that gives slots and memory back. A module is
/// unloaded at most once: only a <see cref="ModuleState.Live"/> one can start, and it is
/// <see cref="ModuleState.Destructing"/> while its destructors run (a balanced <c>dlopen</c>+<c>dlclose</c> of itself
/// from a destructor cannot unload it again).
/// </summary>
internal sealed class Lifecycle(LinkedProgram program, Store store, Action<string>? trace, Action<ModuleRecord> unloaded)
{
    // Libraries in the order their constructors finished (start-up, then every dlopen), loaded ones only: exit
    // destroys them in reverse, as glibc's _dl_fini does.
    private readonly List<ModuleRecord> _constructed = [];
    // The module whose __cxa_atexit holds the loader's exit handler: the program's libc (the main, or a libc.so). Its
    // exit is what runs the handler, so the handler never runs that module's own exit cleanup again.
    private ModuleRecord? _exitModule;

    /// <summary>Instances of unloaded libraries still held by the store (Wasmtime frees instances only with their store).</summary>
    public int UnloadedInstances { get; private set; }

    /// <summary>
    /// Called before a module's constructors run (for a command main, before <c>_start</c> runs them): when the main
    /// defines the program's <c>__cxa_atexit</c>, the loader's exit handler is registered now, ahead of every handler
    /// the main's constructors and <c>main</c> register (<see cref="RegisterExitHandler"/>).
    /// </summary>
    public void Constructing(ModuleRecord record)
    {
        if (record.Planned.IsMain)
        {
            RegisterExitHandler(record);
        }
    }

    /// <summary>Records that a library's constructors finished; when it defines the program's <c>__cxa_atexit</c> (a
    /// <c>libc.so</c>), the loader's exit handler is registered with it now (<see cref="RegisterExitHandler"/>).</summary>
    public void Constructed(ModuleRecord record)
    {
        _constructed.Add(record);
        RegisterExitHandler(record);
    }

    /// <summary>Drops one reference; at zero the library, and what only it kept loaded, is unloaded
    /// (<see cref="ProgramScope.CollectUnused"/>).</summary>
    /// <exception cref="LoadException">A destructor trapped (the libraries are unloaded all the same).</exception>
    public void Close(ModuleRecord record)
    {
        if (record.OpenCount > 0)
        {
            record.OpenCount--;
        }

        if (record.Unloadable)
        {
            Unload(Collect(record));
        }
    }

    /// <summary>What closing <paramref name="record"/>'s last reference unloads, in destruction order.</summary>
    private List<ModuleRecord> Collect(ModuleRecord record) =>
        InDestructionOrder(program.Scope.CollectUnused(record.Index, i => !program[i].Unloadable).Select(i => program[i]));

    /// <summary>Reverse constructor order, except that a module goes before those it depends on
    /// (<see cref="ProgramScope.DestructionOrder"/>: a dependency recorded after both were constructed).</summary>
    private List<ModuleRecord> InDestructionOrder(IEnumerable<ModuleRecord> records) =>
        [.. program.Scope.DestructionOrder([.. records.OrderByDescending(_constructed.IndexOf).Select(r => r.Index)]).Select(i => program[i])];

    /// <summary>
    /// Unloads the modules of a load whose constructor failed, as glibc's <c>dlopen</c> does after a failure: those
    /// whose constructors finished get their destructors, and every loaded module that depends on one of them (a
    /// library a constructor opened and bound to them) goes too, so nothing is left bound to freed code. Then what
    /// only they kept loaded goes as at <c>dlclose</c>.
    /// </summary>
    public void Abort(IEnumerable<ModuleRecord> records)
    {
        var doomed = records.Where(r => r.IsLoaded).ToHashSet();
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var m in program.Loaded.Where(m => !m.Permanent && !doomed.Contains(m)))
            {
                if (program.Scope.DependenciesOf(m.Index).Any(d => doomed.Contains(program[d])))
                {
                    grew |= doomed.Add(m);
                }
            }
        }

        var dependencies = doomed.SelectMany(r => program.Scope.DependenciesOf(r.Index)).Distinct().Select(i => program[i]).ToList();
        try
        {
            Unload(InDestructionOrder(doomed));
            foreach (var dependency in dependencies.Where(d => d.Unloadable))
            {
                Unload(Collect(dependency));
            }
        }
        catch (LoadException)
        {
            // The constructor's failure is the one to report.
        }
    }

    /// <summary>
    /// Unloads <paramref name="records"/> (dependents first): every one is <see cref="ModuleState.Destructing"/> while
    /// the destructors of those that were live run, then each is torn down. A destructor that traps does not stop the
    /// unload: the first failure is thrown once everything is done.
    /// </summary>
    private void Unload(List<ModuleRecord> records)
    {
        var live = records.Where(r => r.State == ModuleState.Live).ToList();
        foreach (var record in records)
        {
            record.State = ModuleState.Destructing;
        }

        var failures = live.Select(r => Capture(() => RunDestructors(r))).ToList();
        failures.AddRange(records.Select(r => Capture(() => TearDown(r))).ToList());
        var failure = failures.FirstOrDefault(e => e is not null);

        if (failure is not null)
        {
            throw failure as LoadException ?? new LoadException(records[0].Name, $"{records[0].Name}: unloading failed: {failure.Message}", failure);
        }
    }

    private static Exception? Capture(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e) when (e is DylinkException or WasmtimeException or TimeoutException)
        {
            return e;
        }
    }

    /// <summary>Takes an unloaded module out of the scope, points its slots at traps, and gives its table range and memory back.</summary>
    private void TearDown(ModuleRecord record)
    {
        var module = record.Planned;
        var table = program.State.Table;
        var kept = new HashSet<uint>();
        _constructed.Remove(record);
        foreach (var (export, slot) in program.Scope.Remove(record.Index))
        {
            // A rebound function's slot keeps reaching its replacement (a reloaded library's new version).
            if (record.Rebound.ContainsKey(export))
            {
                kept.Add(slot);
                continue;
            }

            table.SetElement(slot, program.StaleStub(module.Name, export, table.GetElement(slot) as Function));
            if (slot < record.TableBase || slot >= record.TableBase + module.TableSize)
            {
                program.State.FreeSlots.Free(slot, 1); // a slot in the module's own region is freed with the region below
            }
        }

        for (var k = 0u; k < module.TableSize; k++)
        {
            if (!kept.Contains(record.TableBase + k))
            {
                table.SetElement(record.TableBase + k, program.StaleStub(module.Name, "a function whose address was taken", table.GetElement(record.TableBase + k) as Function));
            }
        }

        // A region that still holds a rebound slot stays taken (a few slots), so nothing else lands on it.
        if (module.IsRelocatable && !kept.Any(slot => slot >= record.TableBase && slot < record.TableBase + module.TableSize))
        {
            program.State.FreeSlots.Free(record.TableBase, module.TableSize);
        }

        var block = record.Block;
        record.Release(ModuleState.Unloaded, program.Scope.Modules[record.Index]);
        unloaded(record);
        UnloadedInstances++;
        trace?.Invoke($"unloaded {module.Name}");
        if (block is not null)
        {
            block.LiveModules--;
            program.State.ReleaseBlock(block, program.MainFree());
        }
    }

    /// <summary>
    /// The library's <c>__cxa_atexit</c> handlers, last registered first, then its <c>__wasm_call_dtors</c>; once.
    /// <c>__wasm_call_dtors</c> is never a per-module function (wasm-ld does not synthesize it): it is the exit cleanup
    /// of a libc inside the module (<c>atexit</c> handlers, then the <c>stdio</c> flush), right for a library that
    /// brings its own libc. Not for <paramref name="exiting"/>, the program's libc whose <c>exit</c> is running the
    /// loader's handler: it runs its cleanup itself once the handler returns, and running it from here would run the
    /// program's remaining handlers early and flush <c>stdio</c> before the other libraries' destructors print.
    /// </summary>
    private void RunDestructors(ModuleRecord record, ModuleRecord? exiting = null)
    {
        if (record.DestructorsRun)
        {
            return;
        }

        record.DestructorsRun = true;
        while (record.AtExit.Count > 0)
        {
            var (function, argument) = record.AtExit[^1];
            record.AtExit.RemoveAt(record.AtExit.Count - 1);
            if (function > 0 && (ulong)function < program.State.Table.GetSize()
                && program.State.Table.GetElement((uint)function) is Function { IsNull: false } handler)
            {
                Call(record, handler, "destructor (__cxa_atexit handler)", argument);
            }
        }

        if (record != exiting && record.Instance?.GetFunction(WellKnownSymbols.CallDtors) is { } dtors)
        {
            Call(record, dtors, "destructor (__wasm_call_dtors)");
        }
    }

    private static void Call(ModuleRecord record, Function function, string what, params long[] args)
    {
        try
        {
            function.Invoke(HostFunctions.IntegerArguments(function, args));
        }
        catch (WasmtimeException e)
        {
            StoreGate.ThrowIfStopped(e, $"{record.Name}: {what}");
            throw new LoadException(record.Name, $"{record.Name}: {what} failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// A library's <c>__cxa_atexit</c>: records its handler against that library, whatever <c>dso</c> it passes:
    /// clang's <c>__dso_handle</c> is internal to each module, so the import a call arrives through is what identifies it.
    /// </summary>
    public static Function? AtExitFunction(Store store, ProgramState state, ModuleRecord record, string name) => name != WellKnownSymbols.CxaAtexit ? null
        : state.Memory.Is64Bit // the memory exists before any library is instantiated; wasm64 passes 64-bit pointers
            ? HostFunctions.Create(store, (long function, long argument, long dso) => Register(record, function, argument))
            : HostFunctions.Create(store, (int function, int argument, int dso) => Register(record, function, argument));

    private static int Register(ModuleRecord record, long function, long argument)
    {
        record.AtExit.Add((function, argument));
        return 0;
    }

    /// <summary>
    /// Makes the program's <c>exit</c> run the destructors of every library still loaded, as glibc's <c>_dl_fini</c>
    /// does: a handler registered through the program's <c>__cxa_atexit</c> — the main's own when it defines one (its
    /// <c>exit</c> is its own libc's), otherwise the global scope's definition, as the main's import of it resolves (a
    /// <c>libc.so</c>'s) — once <paramref name="candidate"/>, its module, can take it: a library right after its own
    /// constructors (they may set up what its <c>__cxa_atexit</c> uses), the main before its constructors. Either way
    /// it comes before everything the main's constructors and <c>main</c> register, so at exit it runs after their
    /// handlers and before libc flushes its streams. Libraries go in reverse constructor order. Without such a
    /// <c>__cxa_atexit</c> the loader has no way in: library destructors then run only at <c>dlclose</c>.
    /// </summary>
    private void RegisterExitHandler(ModuleRecord candidate)
    {
        if (_exitModule is { IsLoaded: true } || ExitModule() != candidate.Index
            || candidate.Instance?.GetFunction(WellKnownSymbols.CxaAtexit) is not { } register)
        {
            return;
        }

        // void (*)(void *): the pointer is as wide as the program's __cxa_atexit says.
        var signature = HostFunctions.Signature(register);
        var handler = signature.Equals(WellKnownSymbols.LoaderProvided[WellKnownSymbols.CxaAtexit])
            ? HostFunctions.Create(store, (int _) => RunDestructorsAtExit(candidate))
            : signature.Equals(WellKnownSymbols.LoaderProvided64[WellKnownSymbols.CxaAtexit])
                ? HostFunctions.Create(store, (long _) => RunDestructorsAtExit(candidate))
                : null;
        if (handler is null)
        {
            return;
        }

        var slot = program.TakeSlot();
        program.State.Table.SetElement(slot, handler);
        _exitModule = candidate;
        trace?.Invoke($"exit: library destructors registered with {candidate.Name}'s __cxa_atexit");
        Call(candidate, register, "__cxa_atexit (registering the library destructors' exit handler)", slot, 0, 0);
    }

    /// <summary>The module that defines the program's <c>__cxa_atexit</c>: the main when it exports one, otherwise the
    /// global scope's definition; null for none.</summary>
    private int? ExitModule()
    {
        if (program.Plan.Main is { } main
            && main.Module.Exports.Any(e => e.Name == WellKnownSymbols.CxaAtexit && e.Kind == Format.ExternalKind.Function))
        {
            return main.Index;
        }

        return program.Scope.LookupDefault(WellKnownSymbols.CxaAtexit) is { Symbol.Kind: SymbolKind.Function } definition
            ? definition.Provider
            : null;
    }

    private void RunDestructorsAtExit(ModuleRecord exitModule)
    {
        // Only the program's exit: a dlclose of that libc runs its handlers too (this one among them), and that is no exit.
        if (exitModule != _exitModule || exitModule.State != ModuleState.Live)
        {
            return;
        }

        trace?.Invoke("exit: running library destructors");
        while (_constructed.Count > 0)
        {
            var order = InDestructionOrder(_constructed);
            foreach (var record in order)
            {
                // One that a destructor unloaded (dlclose) is gone from the list already.
                if (!_constructed.Remove(record))
                {
                    continue;
                }

                if (record.State == ModuleState.Live)
                {
                    RunDestructors(record, exitModule);
                }

                // A destructor opened a library: order again, so that it goes first, as the most recently constructed.
                if (_constructed.Count > 0 && !order.Contains(_constructed[^1]))
                {
                    break;
                }
            }
        }
    }
}
