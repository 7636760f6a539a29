using Dylink.Format;
using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// Loads a dynamically linked WebAssembly program — a main module and its libraries, or libraries alone for a C#
/// host — into one Wasmtime store, and gives typed access to its symbols. The sole owner of the engine, the store,
/// the memory and the table: disposing it frees everything.
/// </summary>
/// <remarks>Thread-safe: every operation takes the linker's lock, so calls from several threads run one at a time
/// (a call into guest code holds it until it returns).</remarks>
/// <example>
/// <code>
/// using var linker = new DynamicLinker();
/// linker.Load("main.wasm", new LinkOptions { SearchPaths = ["lib"] });
/// int exitCode = linker.RunMain();
/// </code>
/// </example>
public sealed partial class DynamicLinker : IDisposable
{
    private readonly DynamicLinkerOptions _options;
    private readonly Engine _engine;
    private readonly Store _store;
    private readonly Linker _hostModules;
    private readonly Dictionary<string, Function> _hostFunctions = new(StringComparer.Ordinal);
    private readonly ProgramState _state = new();
    private readonly ModuleCache _modules;
    private readonly bool _ownsEngine;

    // One lock per linker (reentrant: a guest's dlopen runs inside RunMain on the same thread). The store is used by one
    // thread at a time, as Wasmtime requires; other threads wait for the current call into the program to return.
    private readonly object _gate = new();
    private ProgramScope? _scope;
    private LinkOptions _linkOptions = new();
    private bool _disposed;

    /// <summary>Creates a linker with its own engine and store. WASI preview1 is available to the program with the
    /// host's standard output and error and no arguments, until <see cref="ConfigureWasi"/> says otherwise.</summary>
    public DynamicLinker(DynamicLinkerOptions? options = null)
        : this(options ?? new DynamicLinkerOptions(), null, null)
    {
    }

    /// <summary>A linker with its own store on a shared engine and compiled-module cache (a <see cref="PreparedProgram"/>'s
    /// tenant), or on its own when <paramref name="engine"/> is null.</summary>
    internal DynamicLinker(DynamicLinkerOptions options, Engine? engine, ModuleCache? modules)
    {
        _options = options;
        _ownsEngine = engine is null;
        _engine = engine ?? new Engine(EngineConfig(_options));
        _modules = modules ?? new ModuleCache();
        _store = new Store(_engine);
        _store.SetLimits(memorySize: _options.MaxMemory, tableElements: _options.MaxTableElements,
            instances: _options.MaxInstances, tables: _options.MaxInstances, memories: _options.MaxInstances);
        _hostModules = new Linker(_engine);
        _hostModules.DefineWasi();

        // Calling WASI without a configuration aborts the process inside Wasmtime: always have one.
        _store.SetWasiConfiguration(new WasiConfiguration().WithInheritedStandardOutput().WithInheritedStandardError());
        DefineLoaderFunctions();
        if (EpochChecks)
        {
            EnableEpochChecks();
        }
    }

    internal static Config EngineConfig(DynamicLinkerOptions options)
    {
        // Exception handling (standard encoding: exnref, try_table) for C++ exceptions and setjmp/longjmp; the tags
        // they throw are shared between modules (ProgramLoader.InstantiateWithTags). memory64 is on by default in
        // Wasmtime 50; asked for explicitly because wasm64 programs (64-bit memory and table64) depend on it.
        var config = new Config().WithExceptions(true).WithMemory64(true);
        if (NeedsEpochChecks(options))
        {
            config = config.WithEpochInterruption(true);
        }

        if (options.CacheDirectory is { } directory)
        {
            // Wasmtime's cleanup owns its cache directory and deletes files it does not know: keep the
            // configuration beside it, not in it.
            var entries = Directory.CreateDirectory(Path.Combine(directory, "wasmtime")).FullName;
            var toml = Path.Combine(directory, "wasmtime-cache.toml");
            File.WriteAllText(toml, $"[cache]\ndirectory = \"{entries.Replace("\\", "\\\\", StringComparison.Ordinal)}\"\n");
            config = config.WithCacheConfig(toml);
        }

        return config;
    }

    /// <summary>Modules compiled so far (each distinct module once).</summary>
    internal int CompiledModules => _modules.Count;

    /// <summary>The plan of the loaded program.</summary>
    /// <exception cref="InvalidOperationException">Nothing is loaded.</exception>
    public LinkPlan Plan { get; private set; } = null!;

    /// <summary>The program's linear memory.</summary>
    /// <exception cref="InvalidOperationException">Nothing is loaded.</exception>
    public Memory Memory => Program.Memory;

    /// <summary>Loaded modules' instances by module index; unloaded ones stay (Wasmtime frees instances only with the store).</summary>
    internal IReadOnlyList<Wasmtime.Instance?> Instances => Program.Instances;

    /// <summary>The program's function table.</summary>
    /// <exception cref="InvalidOperationException">Nothing is loaded.</exception>
    public Table Table => Program.Table;

    private ProgramState Program
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _scope is null ? throw new InvalidOperationException("no program is loaded: call Load first") : _state;
        }
    }

    /// <summary>The program's scope: what is loaded, the global symbols, the slots.</summary>
    internal ProgramScope Scope => _scope ?? throw new InvalidOperationException("no program is loaded: call Load first");

    /// <summary>Sets the WASI configuration (arguments, environment, preopened directories, standard streams).</summary>
    public void ConfigureWasi(WasiConfiguration configuration)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _store.SetWasiConfiguration(configuration);
    }

    /// <summary>Makes a C# function available to wasm modules as the <c>env</c> symbol <paramref name="name"/>.</summary>
    /// <param name="name">The symbol name modules import.</param>
    /// <param name="callback">The implementation; its parameter and result types (int, long, float, double) give the wasm signature.</param>
    /// <exception cref="InvalidOperationException">A program is loaded already.</exception>
    public void DefineFunction(string name, Delegate callback)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(callback);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_scope is not null)
        {
            throw new InvalidOperationException("host functions must be defined before the program is loaded");
        }

        _hostFunctions[name] = HostFunctions.Create(_store, callback);
    }

    /// <summary>Plans and loads the program whose main module is <paramref name="mainPath"/>.</summary>
    /// <exception cref="LinkException">Libraries are missing, symbols undefined, or imports mismatched.</exception>
    /// <exception cref="WasmFormatException">A module is malformed.</exception>
    /// <exception cref="LoadException">Instantiation, a relocation or a constructor failed.</exception>
    public void Load(string mainPath, LinkOptions? options = null) =>
        Load(LinkPlanner.Plan(mainPath, WithHostSymbols(options ?? new LinkOptions())), options);

    /// <summary>Plans and loads a program whose main module is given as bytes (see <see cref="LinkPlanner.Plan(string, ReadOnlyMemory{byte}, LinkOptions)"/>).</summary>
    /// <exception cref="LinkException">Libraries are missing, symbols undefined, or imports mismatched.</exception>
    /// <exception cref="WasmFormatException">A module is malformed.</exception>
    /// <exception cref="LoadException">Instantiation, a relocation or a constructor failed.</exception>
    public void Load(string name, ReadOnlyMemory<byte> mainBytes, LinkOptions? options = null) =>
        Load(LinkPlanner.Plan(name, mainBytes, WithHostSymbols(options ?? new LinkOptions())), options);

    /// <summary>Loads libraries with no wasm main: the linker creates memory and table, and the functions defined with
    /// <see cref="DefineFunction"/> take the main's place.</summary>
    /// <exception cref="LinkException">Libraries are missing, symbols undefined, or imports mismatched.</exception>
    /// <exception cref="LoadException">Instantiation, a relocation or a constructor failed.</exception>
    public void LoadLibraries(LinkOptions options) => Load(LinkPlanner.PlanHosted(WithHostSymbols(options)), options);

    /// <summary>Executes a plan made by <see cref="LinkPlanner"/>.</summary>
    /// <param name="plan">The start-up plan.</param>
    /// <param name="options">The options later <c>dlopen</c>s search with (search paths, library path).</param>
    /// <exception cref="LoadException">Instantiation, a relocation or a constructor failed.</exception>
    public void Load(LinkPlan plan, LinkOptions? options = null) => Load(plan, options, scope: null);

    /// <summary>Executes <paramref name="plan"/>; with <paramref name="scope"/> (what executing the same plan in another
    /// store gave), its copy becomes the program's scope instead of one built from the plan.</summary>
    internal void Load(LinkPlan plan, LinkOptions? options, ProgramScope? scope)
    {
        lock (_gate)
        {
            ArgumentNullException.ThrowIfNull(plan);
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_scope is not null)
            {
                throw new InvalidOperationException("a program is loaded already; use Open to add libraries, or a new DynamicLinker");
            }

            if ((_options.Debug & DebugTrace.Symbols) != 0)
            {
                foreach (var warning in plan.Warnings)
                {
                    Trace!($"symbols: {warning}");
                }
            }

            var loader = Execute(plan);
            _scope = scope?.Clone() ?? new ProgramScope(plan, loader.SlotIndices);
            Plan = plan;
            _linkOptions = WithHostSymbols(options ?? new LinkOptions());
            _permanent.UnionWith(plan.Modules.Select(m => m.Index));
        }
    }

    private Action<string>? Trace => _options.Debug == DebugTrace.None ? null : _options.Trace ?? Console.Error.WriteLine;

    private ProgramLoader Execute(LinkPlan plan)
    {
        var loader = new ProgramLoader(plan, _state, _engine, _store, _hostModules, _hostFunctions, ModuleFunction, _modules, Filter(Trace), _options.Progress);
        loader.Execute();
        _constructed.AddRange(plan.ConstructorOrder.Where(i => !plan.Modules[i].IsMain));
        return loader;
    }

    /// <summary>Runs the main module's <c>_start</c> and returns its exit code (0 when it returns normally).</summary>
    /// <exception cref="LoadException">The main has no <c>_start</c>.</exception>
    /// <exception cref="TrapException">The program trapped.</exception>
    /// <exception cref="TimeoutException">It ran longer than <see cref="DynamicLinkerOptions.Timeout"/>.</exception>
    public int RunMain()
    {
        lock (_gate)
        {
            var main = Plan.Main ?? throw new InvalidOperationException("the program has no wasm main module");
            var start = Program.Instances[main.Index]!.GetFunction(WellKnownSymbols.Start)
                ?? throw new LoadException(main.Name, $"{main.Name}: has no _start function to run (is it a command module?)");
            _runDeadline = _options.Timeout is { } timeout ? DateTime.UtcNow + timeout : null;
            RegisterLibraryDestructors(main);
            try
            {
                start.Invoke();
                return 0;
            }
            catch (WasmtimeException e) when (e is not TrapException && e.ExitCode is { } code)
            {
                return code;
            }
            catch (WasmtimeException e) when (e.InnerException is TimeoutException timedOut)
            {
                throw new TimeoutException($"{main.Name}: {timedOut.Message}", e);
            }
            finally
            {
                _runDeadline = null;
            }
        }
    }

    /// <summary>The function the symbol <paramref name="symbol"/> resolves to (first definition in lookup order).</summary>
    /// <exception cref="KeyNotFoundException">No module defines it as a function.</exception>
    public Function GetFunction(string symbol)
    {
        lock (_gate)
        {
            var (module, _) = Find(symbol, SymbolKind.Function);
            return Program.Instances[module]!.GetFunction(symbol)!;
        }
    }

    /// <summary>The function <paramref name="symbol"/> as a typed delegate (cache it: creating one costs more than a call).</summary>
    /// <exception cref="KeyNotFoundException">No module defines it as a function.</exception>
    /// <exception cref="InvalidCastException">Its signature is not <c>() -> TResult</c>.</exception>
    public Func<TResult?> GetFunction<TResult>(string symbol) =>
        GetFunction(symbol).WrapFunc<TResult>() ?? throw SignatureMismatch(symbol);

    /// <summary>The function <paramref name="symbol"/> as a typed delegate.</summary>
    /// <exception cref="KeyNotFoundException">No module defines it as a function.</exception>
    /// <exception cref="InvalidCastException">Its signature does not match.</exception>
    public Func<T1, TResult?> GetFunction<T1, TResult>(string symbol) =>
        GetFunction(symbol).WrapFunc<T1, TResult>() ?? throw SignatureMismatch(symbol);

    /// <summary>The function <paramref name="symbol"/> as a typed delegate.</summary>
    /// <exception cref="KeyNotFoundException">No module defines it as a function.</exception>
    /// <exception cref="InvalidCastException">Its signature does not match.</exception>
    public Func<T1, T2, TResult?> GetFunction<T1, T2, TResult>(string symbol) =>
        GetFunction(symbol).WrapFunc<T1, T2, TResult>() ?? throw SignatureMismatch(symbol);

    /// <summary>The function <paramref name="symbol"/> as a typed delegate.</summary>
    /// <exception cref="KeyNotFoundException">No module defines it as a function.</exception>
    /// <exception cref="InvalidCastException">Its signature does not match.</exception>
    public Func<T1, T2, T3, TResult?> GetFunction<T1, T2, T3, TResult>(string symbol) =>
        GetFunction(symbol).WrapFunc<T1, T2, T3, TResult>() ?? throw SignatureMismatch(symbol);

    /// <summary>Reads the value of the data symbol <paramref name="symbol"/>.</summary>
    /// <exception cref="KeyNotFoundException">No module defines it as data.</exception>
    public T ReadData<T>(string symbol)
        where T : unmanaged => Memory.Read<T>(GetDataAddress(symbol));

    /// <summary>Writes the value of the data symbol <paramref name="symbol"/>.</summary>
    /// <exception cref="KeyNotFoundException">No module defines it as data.</exception>
    public void WriteData<T>(string symbol, T value)
        where T : unmanaged => Memory.Write(GetDataAddress(symbol), value);

    private InvalidCastException SignatureMismatch(string symbol) =>
        new($"{symbol} has signature {HostFunctions.Signature(GetFunction(symbol))}, not the one asked for");

    /// <summary>The address of the data symbol <paramref name="symbol"/> in <see cref="Memory"/>; for a thread-local one,
    /// its address in the TLS block of the program's one thread.</summary>
    /// <exception cref="KeyNotFoundException">No module defines it as data.</exception>
    public int GetDataAddress(string symbol)
    {
        lock (_gate)
        {
            if (Scope.Global.TryLookup(symbol, out var definition) && definition.Symbol.Kind == SymbolKind.Tls)
            {
                return (int)(Program.TlsBases[definition.Provider] + (definition.Symbol.Value ?? 0));
            }

            var (module, value) = Find(symbol, SymbolKind.Data);
            return (int)((Scope.Modules[module].IsRelocatable ? Program.MemoryBases[module] : 0) + value);
        }
    }

    /// <summary>Looks a symbol up with the same rules imports were resolved by (first definition, strong over weak).</summary>
    private (int Module, long Value) Find(string symbol, SymbolKind kind)
    {
        _ = Program;
        if (Scope.Global.TryLookup(symbol, out var definition) && definition.Symbol.Kind == kind)
        {
            return (definition.Provider, definition.Symbol.Value ?? 0);
        }

        throw new KeyNotFoundException($"no loaded module defines {symbol} as {kind.ToString().ToLowerInvariant()}");
    }

    private Action<string>? Filter(Action<string>? trace) =>
        trace is null || (_options.Debug & (DebugTrace.Libs | DebugTrace.Bindings)) == 0
            ? null
            : line =>
            {
                var isBinding = line.Contains(" <- ", StringComparison.Ordinal);
                if ((isBinding && (_options.Debug & DebugTrace.Bindings) != 0) || (!isBinding && (_options.Debug & DebugTrace.Libs) != 0))
                {
                    trace(line);
                }
            };

    private LinkOptions WithHostSymbols(LinkOptions options) => options with
    {
        HostSymbols =
        [
            .. options.HostSymbols,
            .. _hostFunctions.Where(h => !WellKnownSymbols.LoaderProvided.ContainsKey(h.Key)).Select(h => new HostSymbol(h.Key, HostFunctions.Signature(h.Value))),
        ],
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ticks?.Dispose();
        _watch?.Dispose();
        _hostModules.Dispose();
        _store.Dispose();
        if (_ownsEngine)
        {
            _modules.Dispose();
            _engine.Dispose();
        }
    }
}
