using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Dylink.Format;
using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// Loads a dynamically linked WebAssembly program — a main module and its libraries, or libraries alone for a C#
/// host — into one Wasmtime store, and gives typed access to its symbols. The sole owner of the engine, the store,
/// the memory and the table: disposing it frees everything.
/// </summary>
/// <remarks>
/// Thread-safe: every operation — loads, <c>dlopen</c>/<c>dlsym</c>/<c>dlclose</c>, rebinding, reloads, and every
/// call into guest code through <see cref="GuestFunction"/> or the typed delegates — passes one gate, so calls from
/// several threads run one at a time (a call into guest code holds it until it returns; a guest's own <c>dlopen</c>
/// re-enters it). <see cref="Dispose"/> waits for the call in flight, or interrupts it when epoch checks are on
/// (<see cref="DynamicLinkerOptions.Timeout"/> or <see cref="DynamicLinkerOptions.AllowReloadWhileRunning"/>); every
/// later call throws <see cref="ObjectDisposedException"/>. <see cref="Memory"/> and <see cref="Table"/> are the raw
/// Wasmtime objects: use them from one thread, or from a host function the guest called.
/// </remarks>
/// <example>
/// <code>
/// using var linker = new DynamicLinker();
/// linker.Load("main.wasm", new LinkOptions { SearchPaths = ["lib"] });
/// int exitCode = linker.RunMain();
/// </code>
/// </example>
public sealed class DynamicLinker : IDisposable
{
    private readonly DynamicLinkerOptions _options;
    private readonly Engine _engine;
    private readonly Store _store;
    private readonly Linker _wasi;
    private readonly Dictionary<string, Function> _hostFunctions = new(StringComparer.Ordinal);
    private readonly ModuleCache _modules;
    private readonly bool _ownsEngine;
    private readonly StoreGate _gate;
    private readonly GuestAbi _guestAbi;
    private readonly Timer? _ticks;
    private readonly Action<DynamicLinker>? _released;
    private readonly StepTimer? _timer;
    private LoadedParts? _loaded;
    private ReloadWatcher? _watcher;
    // True while a load is between its start and its commit: its modules have indices nobody else knows yet, so a
    // dlopen from code it runs then (a start function, relocations) is refused rather than planned over them.
    private bool _preparing;
    // The WASI configuration in the store (Wasmtime's builder cannot be read back), and whether the host gave its own
    // or RunMain already gave arguments: RunMain then leaves it alone unless it is given arguments itself.
    private WasiConfiguration _wasiConfiguration;
    private bool _wasiConfigured;
    private bool _applyingReloads;
    private int _reloads;

    // How often the engine's epoch advances when epoch checks are on: how soon a deadline, a disposal or a watched
    // file change reaches running guest code.
    private const int TickMilliseconds = 20;

    // Tables the store allows per instance it allows: a module's own table and its call tables, typically two or three
    // (one per signature its imports have), with room for modules with many.
    private const long TablesPerInstance = 16;

    /// <summary>Creates a linker with its own engine and store. WASI preview1 is available to the program with the
    /// host's standard output and error and no arguments, until <see cref="ConfigureWasi"/> says otherwise.</summary>
    /// <exception cref="DylinkException"><see cref="DynamicLinkerOptions.CacheDirectory"/> is writable by other users (Unix).</exception>
    /// <exception cref="IOException">The cache directory cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The cache directory cannot be created.</exception>
    public DynamicLinker(DynamicLinkerOptions? options = null)
        : this(options ?? new DynamicLinkerOptions(), null, null, null)
    {
    }

    /// <summary>A linker with its own store on a shared engine and compiled-module cache (a <see cref="PreparedProgram"/>'s
    /// tenant), or on its own when <paramref name="engine"/> is null.</summary>
    internal DynamicLinker(DynamicLinkerOptions options, Engine? engine, ModuleCache? modules, Action<DynamicLinker>? released = null)
    {
        _options = options;
        _released = released;
        _ownsEngine = engine is null;
        _timer = (_options.Debug & DebugTrace.Timing) != 0 ? new StepTimer(_options.Trace ?? Console.Error.WriteLine) : null;
        // Opened (and its permissions checked) before the engine exists, so that a refusal leaves nothing to free.
        _modules = modules ?? new ModuleCache(ArtifactStore.Open(_options));
        _timer?.Step("cache directory opened");
        _engine = engine ?? new Engine(EngineConfig(_options));
        _timer?.Step("engine created");
        _store = new Store(_engine);
        // Tables: a module may define call tables besides its own (one per signature of its imports, CallTables), and
        // an unloaded instance keeps them in the store, so the table count grows faster than the instance count;
        // bounded per instance, not by the instance limit itself, which a library opened and closed again and again
        // would otherwise reach through its tables first.
        var tables = _options.MaxInstances > long.MaxValue / TablesPerInstance ? long.MaxValue : _options.MaxInstances * TablesPerInstance;
        _store.SetLimits(memorySize: _options.MaxMemory, tableElements: _options.MaxTableElements,
            instances: _options.MaxInstances, tables: tables, memories: _options.MaxInstances);
        _wasi = new Linker(_engine);
        _wasi.DefineWasi();
        _timer?.Step("store and WASI linker created");
        var epochChecks = NeedsEpochChecks(_options);
        _gate = new StoreGate(this, Release, epochChecks ? _engine.IncrementEpoch : null, _options.Timeout);

        // Calling WASI without a configuration aborts the process inside Wasmtime: always have one.
        _wasiConfiguration = new WasiConfiguration().WithInheritedStandardOutput().WithInheritedStandardError();
        _store.SetWasiConfiguration(_wasiConfiguration);
        _guestAbi = new GuestAbi(this, () => Program);
        foreach (var (name, function) in _guestAbi.Define(_store))
        {
            _hostFunctions[name] = function;
        }

        if (epochChecks)
        {
            _store.SetEpochDeadline(1);
            _store.SetEpochDeadlineCallback(_ => AtEpochCheck());
            _ticks = new Timer(_ => Tick(), null, TickMilliseconds, TickMilliseconds);
        }

        _timer?.Step("loader functions defined");
    }

    internal static Config EngineConfig(DynamicLinkerOptions options)
    {
        var config = new Config();
        foreach (var setting in EngineSettings(options))
        {
            config = setting switch
            {
                "exceptions" => config.WithExceptions(true),
                "memory64" => config.WithMemory64(true),
                "epoch-interruption" => config.WithEpochInterruption(true),
                _ => throw new UnreachableException(setting),
            };
        }

        return config;
    }

    /// <summary>What compiled code depends on besides the wasm bytes: the Wasmtime build, the platform and every engine
    /// setting <see cref="EngineConfig"/> applies (both read <see cref="EngineSettings"/>, so they cannot drift apart).
    /// Part of the key of an on-disk cache entry (<see cref="ArtifactStore"/>).</summary>
    internal static string EngineFingerprint(DynamicLinkerOptions options)
    {
        var wasmtime = typeof(Engine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(Engine).Assembly.GetName().Version?.ToString();
        return $"wasmtime-dotnet {wasmtime}; {RuntimeInformation.RuntimeIdentifier}; {string.Join(",", EngineSettings(options))}";
    }

    private static string[] EngineSettings(DynamicLinkerOptions options) =>
        // Exception handling (standard encoding: exnref, try_table) for C++ exceptions and setjmp/longjmp; the tags
        // they throw are shared between modules (LoadTransaction.InstantiateWithTags). memory64 is on by default in
        // Wasmtime 50; asked for explicitly because wasm64 programs (64-bit memory and table64) depend on it. Epoch
        // checks are compiled into the code, so code compiled with them is not code compiled without.
        NeedsEpochChecks(options) ? ["exceptions", "memory64", "epoch-interruption"] : ["exceptions", "memory64"];

    private static bool NeedsEpochChecks(DynamicLinkerOptions options) => options.AllowReloadWhileRunning || options.Timeout is not null;

    /// <summary>Modules compiled so far (each distinct module once).</summary>
    internal int CompiledModules => _modules.Count;

    /// <summary>The on-disk compiled-code store (<see cref="DynamicLinkerOptions.CacheDirectory"/>), if any.</summary>
    internal ArtifactStore? ArtifactStore => _modules.Disk;

    /// <summary>The plan of the loaded program.</summary>
    /// <exception cref="InvalidOperationException">Nothing is loaded.</exception>
    public LinkPlan Plan => _gate.Run(() => Program.Plan);

    /// <summary>The program's linear memory (the raw Wasmtime object: not gated, see the remarks on the class).</summary>
    /// <exception cref="InvalidOperationException">Nothing is loaded.</exception>
    public Memory Memory => _gate.Run(() => Program.State.Memory);

    /// <summary>The program's function table (the raw Wasmtime object: not gated, see the remarks on the class).</summary>
    /// <exception cref="InvalidOperationException">Nothing is loaded.</exception>
    public Table Table => _gate.Run(() => Program.State.Table);

    /// <summary>Instances of unloaded libraries still held by the store (Wasmtime frees instances only with their store).</summary>
    public int UnloadedInstances => _gate.Run(() => _loaded?.Lifecycle.UnloadedInstances ?? 0);

    /// <summary>Host functions made for <see cref="Rebind(string, Delegate)"/> so far.</summary>
    internal int RebindHostFunctions => _gate.Run(() => Loaded.Rebinder.Redirects);

    /// <summary>The entries of a loaded module's call tables, by the function index of the import each calls (tests).</summary>
    internal IReadOnlyDictionary<uint, CallTableEntry> CallEntriesOf(string module) =>
        _gate.Run(() => Program.Loaded.Single(m => m.Name == module).CallEntries);

    /// <summary>How many places a rebind of a loaded module's function would write, besides its table slot (tests).</summary>
    internal int CallersOf(string module, string export) =>
        _gate.Run(() => Program.Loaded.Single(m => m.Name == module).Callers.GetValueOrDefault(export)?.Count ?? 0);

    /// <summary>The forwarding table thunks call through, if the program has one (tests).</summary>
    internal Table? ForwardingTable => _gate.Run(() => Program.State.Forwarding);

    /// <summary>The program's scope: what is loaded, the global symbols, the slots.</summary>
    internal ProgramScope Scope => Program.Scope;

    private LinkedProgram Program => Loaded.Program;

    private LoadedParts Loaded => _loaded ?? throw new InvalidOperationException("no program is loaded: call Load first");

    // Timing alone turns on no other line (StepTimer writes its own).
    private Action<string>? Trace => (_options.Debug & ~DebugTrace.Timing) == DebugTrace.None ? null : _options.Trace ?? Console.Error.WriteLine;

    /// <summary>Sets the WASI configuration (arguments, environment, preopened directories, standard streams).</summary>
    public void ConfigureWasi(WasiConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _gate.Run(() =>
        {
            _store.SetWasiConfiguration(configuration);
            (_wasiConfiguration, _wasiConfigured) = (configuration, true);
        });
    }

    /// <summary>Makes a C# function available to wasm modules as the <c>env</c> symbol <paramref name="name"/>.</summary>
    /// <param name="name">The symbol name modules import.</param>
    /// <param name="callback">The implementation; its parameter and result types (int, long, float, double) give the wasm signature.</param>
    /// <exception cref="InvalidOperationException">A program is loaded already.</exception>
    public void DefineFunction(string name, Delegate callback)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(callback);
        using var entry = _gate.Enter();
        if (_loaded is not null)
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
        _gate.Run(() => Start(LinkPlanner.Plan(mainPath, WithHostSymbols(options ?? new LinkOptions())), options, null));

    /// <summary>Plans and loads a program whose main module is given as bytes (see <see cref="LinkPlanner.Plan(string, ReadOnlyMemory{byte}, LinkOptions)"/>).</summary>
    /// <exception cref="LinkException">Libraries are missing, symbols undefined, or imports mismatched.</exception>
    /// <exception cref="WasmFormatException">A module is malformed.</exception>
    /// <exception cref="LoadException">Instantiation, a relocation or a constructor failed.</exception>
    public void Load(string name, ReadOnlyMemory<byte> mainBytes, LinkOptions? options = null) =>
        _gate.Run(() => Start(LinkPlanner.Plan(name, mainBytes, WithHostSymbols(options ?? new LinkOptions())), options, null));

    /// <summary>Loads libraries with no wasm main: the linker creates memory and table, and the functions defined with
    /// <see cref="DefineFunction"/> take the main's place.</summary>
    /// <exception cref="LinkException">Libraries are missing, symbols undefined, or imports mismatched.</exception>
    /// <exception cref="LoadException">Instantiation, a relocation or a constructor failed.</exception>
    public void LoadLibraries(LinkOptions options) =>
        _gate.Run(() => Start(LinkPlanner.PlanHosted(WithHostSymbols(options)), options, null));

    /// <summary>Executes a plan made by <see cref="LinkPlanner"/>.</summary>
    /// <param name="plan">The start-up plan.</param>
    /// <param name="options">The options later <c>dlopen</c>s search with (search paths, library path).</param>
    /// <exception cref="LoadException">Instantiation, a relocation or a constructor failed.</exception>
    public void Load(LinkPlan plan, LinkOptions? options = null) => Load(plan, options, scope: null);

    /// <summary>Executes <paramref name="plan"/>; with <paramref name="scope"/> (what executing the same plan in another
    /// store gave), its copy becomes the program's scope instead of one built from the plan.</summary>
    internal void Load(LinkPlan plan, LinkOptions? options, ProgramScope? scope)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _gate.Run(() => Start(plan, options, scope));
    }

    /// <summary>The start-up load: prepare, commit (the scope, every module permanent), construct. A failure leaves
    /// nothing loaded; the linker can load again.</summary>
    private void Start(LinkPlan plan, LinkOptions? options, ProgramScope? scope)
    {
        if (_loaded is not null)
        {
            throw new InvalidOperationException("a program is loaded already; use Open to add libraries, or a new DynamicLinker");
        }

        if (plan.Root is not null)
        {
            throw new ArgumentException("a start-up load needs a start-up plan, not a dlopen plan", nameof(plan));
        }

        if ((_options.Debug & DebugTrace.Symbols) != 0)
        {
            foreach (var warning in plan.Warnings)
            {
                Trace!($"symbols: {warning}");
            }
        }

        var state = new ProgramState();
        var transaction = Prepare(plan, state);
        var program = new LinkedProgram(plan, scope?.Clone() ?? new ProgramScope(plan, transaction.SlotIndices), state,
            WithHostSymbols(options ?? new LinkOptions()), _store);
        foreach (var record in transaction.NewModules)
        {
            record.Permanent = true;
        }

        _loaded = new LoadedParts(program, new Lifecycle(program, _store, Trace, Forget), new Rebinder(program, _store, Trace));
        _timer?.Lap("commit");
        try
        {
            transaction.Construct(_loaded.Lifecycle.Constructing, _loaded.Lifecycle.Constructed);
        }
        catch
        {
            _loaded = null;
            throw;
        }

        _timer?.Lap("construct");
        _timer?.Flush($"loaded {plan.Modules.Length} modules");
    }

    private LoadTransaction Prepare(LinkPlan plan, ProgramState state)
    {
        var transaction = new LoadTransaction(plan, state, _engine, _store, _wasi, _hostFunctions,
            (record, name) => Lifecycle.AtExitFunction(_store, state, record, name), _modules, Filter(Trace), _options.Progress, LazyResolver)
        {
            CallTables = _options.CallTables,
            Timer = _timer,
        };
        _preparing = true;
        try
        {
            transaction.Prepare();
        }
        finally
        {
            _preparing = false;
        }

        return transaction;
    }

    /// <summary>A <c>dlopen</c>'s load: prepare (rolled back on failure), commit, construct (unloaded again if a
    /// constructor fails). Returns the root's record.</summary>
    private ModuleRecord Execute(LinkPlan plan, bool global)
    {
        var program = Program;
        var transaction = Prepare(plan, program.State);
        program.Scope.Commit(plan, global, transaction.SlotIndices);
        _timer?.Lap("commit");
        try
        {
            transaction.Construct(Loaded.Lifecycle.Constructing, Loaded.Lifecycle.Constructed);
        }
        catch
        {
            Loaded.Lifecycle.Abort(transaction.NewModules);
            throw;
        }

        _timer?.Lap("construct");

        Trace?.Invoke($"opened {plan.Modules[plan.Root!.Value].Name}: {string.Join(", ", plan.NewModules.Select(m => m.Name))}");
        return program[plan.Root!.Value];
    }

    /// <summary>
    /// The function a lazily bound import's forwarding slot holds until its first call (<c>RTLD_LAZY</c>): it looks the
    /// symbol up in the global scope as it is then, binds the slot to the definition for good (recording the dependency,
    /// so the provider is not unloaded under the importer) and makes the call; with no definition of that signature it
    /// traps, naming the library and the symbol.
    /// </summary>
    private Function LazyResolver(ModuleRecord importer, LazyFunctionBinding binding, uint slot)
    {
        var parameters = binding.Signature.Parameters.Select(HostFunctions.KindOf).ToArray();
        var results = binding.Signature.Results.Select(HostFunctions.KindOf).ToArray();
        var name = binding.Import.Name;
        return Function.FromCallback(_store, (Caller _, ReadOnlySpan<ValueBox> arguments, Span<ValueBox> returned) =>
        {
            var program = Program;
            if (program.Scope.LookupDefault(name) is not { Symbol.Kind: SymbolKind.Function } definition
                || !Equals(definition.Symbol.Signature, binding.Signature))
            {
                throw new LoadException(importer.Name, $"{importer.Name}: undefined symbol: {name} (function {binding.Signature}), called at last (bound lazily, RTLD_LAZY)");
            }

            var target = program.CurrentFunction(definition);
            program.State.Forwarding!.SetElement(slot, target);
            // The importer's call table calls the thunk until now: from here on it calls the definition itself.
            importer.CallEntries.GetValueOrDefault(binding.Import.Index)?.Write(target);
            program.Scope.AddDependency(importer.Index, definition.Provider);
            Trace?.Invoke($"{importer.Name}: {name} bound lazily to {program[definition.Provider].Name}");
            HostFunctions.Return(target.Invoke(arguments), returned);
        }, parameters, results);
    }

    /// <summary>Runs the main module's <c>_start</c> and returns its exit code (0 when it returns normally).</summary>
    /// <exception cref="InvalidOperationException">Nothing is loaded, or the program has no wasm main.</exception>
    /// <exception cref="LoadException">The main has no <c>_start</c>.</exception>
    /// <exception cref="TrapException">The program trapped.</exception>
    /// <exception cref="TimeoutException">It ran longer than <see cref="DynamicLinkerOptions.Timeout"/>.</exception>
    public int RunMain() => RunMain([]);

    /// <summary>Runs the main module's <c>_start</c> with <paramref name="args"/> as its arguments (after <c>argv[0]</c>,
    /// the main's file name), in the WASI configuration given to <see cref="ConfigureWasi"/> (or the default one). Give
    /// arguments here or in that configuration's <c>WithArgs</c>, not both.</summary>
    /// <exception cref="InvalidOperationException">Nothing is loaded, or the program has no wasm main.</exception>
    /// <exception cref="LoadException">The main has no <c>_start</c>.</exception>
    /// <exception cref="TrapException">The program trapped.</exception>
    /// <exception cref="TimeoutException">It ran longer than <see cref="DynamicLinkerOptions.Timeout"/>.</exception>
    public int RunMain(params string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        using var entry = _gate.Enter();
        var program = Program;
        var main = program.Plan.Main ?? throw new InvalidOperationException("the program has no wasm main module");
        if (args.Length > 0 || !_wasiConfigured)
        {
            // A C program's main expects argc >= 1: argv[0] is the program's name, as a shell would give it.
            _store.SetWasiConfiguration(_wasiConfiguration.WithArgs([Path.GetFileName(main.Path ?? main.Name), .. args]));
            _wasiConfigured = true;
        }

        var record = program[main.Index];
        var start = record.Instance!.GetFunction(WellKnownSymbols.Start)
            ?? throw new LoadException(main.Name, $"{main.Name}: has no _start function to run (is it a command module?)");
        _timer?.Step("calling _start");
        try
        {
            start.Invoke();
            _timer?.Step("_start returned");
            return 0;
        }
        catch (WasmtimeException e) when (e is not TrapException && e.ExitCode is { } code)
        {
            _timer?.Step("_start exited");
            return code;
        }
        catch (WasmtimeException e)
        {
            StoreGate.ThrowIfStopped(e, main.Name);
            throw;
        }
    }

    /// <summary>The function the symbol <paramref name="symbol"/> resolves to (first definition in lookup order): while it
    /// is rebound, its replacement, as every caller reaches it. Typed delegates: <see cref="TypedFunctions"/>.</summary>
    /// <exception cref="SymbolNotFoundException">No module defines it as a function.</exception>
    public GuestFunction GetFunction(string symbol) =>
        _gate.Run(() => Guest(Program.Find(symbol, SymbolKind.Function)));

    /// <summary>Like <see cref="GetFunction(string)"/>, or null when no module defines it as a function.</summary>
    public GuestFunction? TryGetFunction(string symbol) =>
        _gate.Run(() => Program.Scope.LookupDefault(symbol) is { Symbol.Kind: SymbolKind.Function } definition ? Guest(definition) : null);

    private GuestFunction Guest(Definition definition) =>
        new(_gate, Program[definition.Provider], Program.CurrentFunction(definition), definition.Symbol.Name);

    /// <summary>Reads the value of the data symbol <paramref name="symbol"/>.</summary>
    /// <exception cref="SymbolNotFoundException">No module defines it as data.</exception>
    public T ReadData<T>(string symbol)
        where T : unmanaged => _gate.Run(() => Program.State.Memory.Read<T>(DataAddress(symbol)));

    /// <summary>Writes the value of the data symbol <paramref name="symbol"/>.</summary>
    /// <exception cref="SymbolNotFoundException">No module defines it as data.</exception>
    public void WriteData<T>(string symbol, T value)
        where T : unmanaged => _gate.Run(() => Program.State.Memory.Write(DataAddress(symbol), value));

    /// <summary>Allocates <paramref name="size"/> bytes of guest memory through the program's own <c>malloc</c> (a fixed
    /// main's, or a libc library's), so that guest code may keep or free them; without one, from the loader's heap.</summary>
    /// <exception cref="InvalidOperationException">No memory is left.</exception>
    public long Allocate(long size) => _gate.Run(() => Program.Allocate(size));

    /// <summary>Gives back memory from <see cref="Allocate"/> (or from the guest's <c>malloc</c>).</summary>
    public void Free(long address) => _gate.Run(() => Program.Free(address));

    /// <summary>Copies <paramref name="text"/> into newly allocated guest memory as a NUL-terminated UTF-8 string (a C
    /// string to pass to a guest function); <see cref="Free"/> it when done.</summary>
    public long AllocateString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return AllocateBytes(System.Text.Encoding.UTF8.GetBytes(text + "\0"));
    }

    /// <summary>Copies <paramref name="bytes"/> into newly allocated guest memory; <see cref="Free"/> it when done.</summary>
    public long AllocateBytes(ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        return _gate.Run(() =>
        {
            var address = Program.Allocate(copy.Length);
            copy.CopyTo(Program.State.Memory.GetSpan(address, copy.Length));
            return address;
        });
    }

    /// <summary>Reads the NUL-terminated UTF-8 string at <paramref name="address"/> in guest memory.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The address is outside memory, or no NUL follows it before the end.</exception>
    public string ReadString(long address) => _gate.Run(() => Program.ReadString(address, "the string"));

    /// <summary>Copies <paramref name="length"/> bytes of guest memory from <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside memory.</exception>
    public byte[] ReadBytes(long address, int length) => _gate.Run(() =>
    {
        var memory = Program.State.Memory;
        return address < 0 || length < 0 || address + length > memory.GetLength()
            ? throw new ArgumentOutOfRangeException(nameof(address), address, $"{length} bytes from here are not inside memory ({memory.GetLength()} bytes)")
            : memory.GetSpan(address, length).ToArray();
    });

    /// <summary>Copies <paramref name="bytes"/> into guest memory at <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside memory.</exception>
    public void WriteBytes(long address, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        _gate.Run(() =>
        {
            var memory = Program.State.Memory;
            if (address < 0 || address + copy.Length > memory.GetLength())
            {
                throw new ArgumentOutOfRangeException(nameof(address), address, $"{copy.Length} bytes from here are not inside memory ({memory.GetLength()} bytes)");
            }

            copy.CopyTo(memory.GetSpan(address, copy.Length));
        });
    }

    /// <summary>The address of the data symbol <paramref name="symbol"/> in <see cref="Memory"/>; for a thread-local one,
    /// its address in the TLS block of the program's one thread.</summary>
    /// <exception cref="SymbolNotFoundException">No module defines it as data.</exception>
    public long GetDataAddress(string symbol) => _gate.Run(() => DataAddress(symbol));

    private long DataAddress(string symbol)
    {
        var program = Program;
        if (program.Scope.LookupDefault(symbol) is { Symbol.Kind: SymbolKind.Tls } tls)
        {
            return program.ValueOf(tls);
        }

        return program.ValueOf(program.Find(symbol, SymbolKind.Data));
    }

    /// <summary>Loads a library and what it needs (<c>dlopen</c>), or finds it loaded already.</summary>
    /// <param name="name">A library name (searched like NEEDED) or a path; null for the program itself.</param>
    /// <param name="mode">musl's mode bits; <see cref="OpenMode.Global"/> makes its symbols visible to later lookups.</param>
    /// <returns>The handle; opening a loaded library again returns the same handle and adds a reference.</returns>
    /// <exception cref="LinkException">The library or a dependency is missing or malformed, or symbols do not resolve.</exception>
    /// <exception cref="LoadException">Instantiation, a relocation or a constructor failed; the program is as before.</exception>
    /// <exception cref="LibraryNotLoadedException">With <see cref="OpenMode.NoLoad"/>: the library is not loaded.</exception>
    /// <exception cref="InvalidOperationException">Nothing is loaded, or called from a start function or relocation
    /// code of a load in progress.</exception>
    public LibraryHandle Open(string? name, OpenMode mode = OpenMode.Now) => Open(name, mode, null);

    /// <summary><see cref="Open(string, OpenMode)"/> planned with <paramref name="options"/> instead of the program's (a
    /// guest's dlopen, confined to its view).</summary>
    internal LibraryHandle Open(string? name, OpenMode mode, LinkOptions? options)
    {
        using var entry = _gate.Enter();
        var program = Program;
        if (name is null)
        {
            return program.ProgramSelf;
        }

        if (_preparing)
        {
            throw new InvalidOperationException($"{name}: cannot be opened while another library is being instantiated or relocated (dlopen from a start function or relocation code)");
        }

        var global = (mode & OpenMode.Global) != 0;
        ModuleRecord root;
        if ((mode & OpenMode.NoLoad) != 0)
        {
            root = program.FindLoaded(name) ?? throw new LibraryNotLoadedException(name);
        }
        else
        {
            var planOptions = options ?? program.LinkOptions;
            _timer?.Restart();
            var plan = LinkPlanner.PlanOpen(program.Scope, name, (mode & OpenMode.Lazy) != 0 ? planOptions with { LazyBinding = true } : planOptions);
            _timer?.Lap("plan");
            root = plan.FirstNewModule < plan.Modules.Length ? Execute(plan, global) : program[plan.Root!.Value];
            _timer?.Flush($"dlopen {name}");
        }

        // As in glibc, a successful RTLD_NOLOAD counts as a reference: it is closed like any other.
        root.OpenCount++;
        if (global)
        {
            program.Scope.Promote(root.Index);
        }

        root.NoDelete |= (mode & OpenMode.NoDelete) != 0;
        return new LibraryHandle(root.Index + 1);
    }

    /// <summary>The value of a symbol (<c>dlsym</c>): a function's table index (the pointer every module sees), or a data address.</summary>
    /// <exception cref="SymbolNotFoundException">No such symbol in the handle's scope.</exception>
    /// <exception cref="ArgumentException">The handle is not a loaded library.</exception>
    public long Symbol(LibraryHandle handle, string name) => _gate.Run(() => Program.ValueOf(Program.Resolve(handle, name)));

    /// <summary>
    /// The function <paramref name="name"/> as <c>dlsym</c> finds it from <paramref name="handle"/> (the library, then its
    /// dependencies), to call from C#. Lets a host call the same entry point in several libraries opened
    /// <see cref="OpenMode.Local"/>, which <see cref="GetFunction(string)"/> (the global scope) cannot tell apart.
    /// </summary>
    /// <exception cref="SymbolNotFoundException">No such function in the handle's scope.</exception>
    /// <exception cref="ArgumentException">The handle is not a loaded library.</exception>
    public GuestFunction GetFunction(LibraryHandle handle, string name) => _gate.Run(() => Guest(Program.Resolve(handle, name)));

    /// <summary>Like <see cref="GetFunction(LibraryHandle, string)"/>, or null when the handle's scope has no such function.</summary>
    /// <exception cref="ArgumentException">The handle is not a loaded library.</exception>
    public GuestFunction? TryGetFunction(LibraryHandle handle, string name) => _gate.Run(() =>
    {
        try
        {
            return Program.Resolve(handle, name) is { Symbol.Kind: SymbolKind.Function } definition ? Guest(definition) : null;
        }
        catch (SymbolNotFoundException)
        {
            return null;
        }
    });

    /// <summary>Drops a reference (<c>dlclose</c>); at zero the library is unloaded unless it was opened with
    /// <see cref="OpenMode.NoDelete"/>, was loaded at start-up, or a loaded module still needs it.</summary>
    /// <exception cref="ArgumentException">The handle is not a loaded library.</exception>
    /// <exception cref="LoadException">A destructor trapped (the library is unloaded all the same).</exception>
    public void Close(LibraryHandle handle)
    {
        using var entry = _gate.Enter();
        var program = Program;
        if (!program.IsProgramHandle(handle))
        {
            Loaded.Lifecycle.Close(program.Library(handle));
        }
    }

    /// <summary>The last run-time linking error of a guest's <c>dlopen</c>/<c>dlsym</c>/<c>dlclose</c>/<c>dladdr</c>,
    /// cleared by reading it (<c>dlerror</c>).</summary>
    public string? TakeLastError() => _gate.Run(_guestAbi.TakeLastError);

    /// <summary>True while the library is loaded.</summary>
    public bool IsLoaded(LibraryHandle handle) => _gate.Run(() => Program.IsLoaded(handle));

    /// <summary>
    /// Which library (and symbol) a function pointer or data address belongs to (<c>dladdr</c>): a table index that
    /// holds a loaded function, or an address inside a library's data region (the nearest data symbol at or below it).
    /// </summary>
    /// <returns>The library, the symbol (null when no symbol starts at or below the address) and the symbol's address;
    /// null when the address belongs to no loaded library.</returns>
    public (string Library, string? Symbol, long SymbolAddress)? Describe(long address) => _gate.Run<(string, string?, long)?>(() =>
        Program.Describe(address) is { } found ? (Program.LibraryName(found.Library.Index), found.Symbol, found.SymbolAddress) : null);

    /// <summary>
    /// Makes every call to <paramref name="symbol"/> reach the function <paramref name="replacement"/> (another loaded
    /// library's export): calls through function pointers (<c>call_indirect</c>, <c>GOT.func</c>, <c>dlsym</c> results)
    /// and direct cross-module calls (through each caller's call table, <see cref="DynamicLinkerOptions.CallTables"/>;
    /// without them, only from modules loaded with <see cref="LinkOptions.Rebindable"/>). A module's calls to its own
    /// functions stay direct and are not rebound.
    /// </summary>
    /// <returns>The modules whose direct calls do not follow (without call tables, loaded without <see cref="LinkOptions.Rebindable"/>).</returns>
    /// <exception cref="SymbolNotFoundException">Either symbol is not a loaded function.</exception>
    /// <exception cref="LinkException">The signatures differ.</exception>
    public RebindResult Rebind(string symbol, string replacement) => _gate.Run(() =>
        Loaded.Rebinder.Rebind(Program.Find(symbol, SymbolKind.Function), Program.FunctionOf(Program.Find(replacement, SymbolKind.Function)), replacement));

    /// <summary>Makes every call to <paramref name="symbol"/> reach a C# function (see <see cref="Rebind(string, string)"/>).
    /// Rebinding the same symbol to delegates of one type again and again reuses one host function.</summary>
    /// <returns>The modules whose direct calls do not follow (without call tables, loaded without <see cref="LinkOptions.Rebindable"/>).</returns>
    /// <exception cref="SymbolNotFoundException">The symbol is not a loaded function.</exception>
    /// <exception cref="LinkException">The signatures differ.</exception>
    public RebindResult Rebind(string symbol, Delegate replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        return _gate.Run(() => Loaded.Rebinder.Rebind(Program.Find(symbol, SymbolKind.Function), replacement));
    }

    /// <summary>Gives every caller of <paramref name="symbol"/> its original definition back.</summary>
    /// <exception cref="SymbolNotFoundException">The symbol is not a loaded function.</exception>
    public void Restore(string symbol) => _gate.Run(() => Loaded.Rebinder.Restore(Program.Find(symbol, SymbolKind.Function)));

    /// <summary>
    /// Loads a new version of a library (from <paramref name="path"/>, or the library's own path again), runs its
    /// constructors, rebinds every exported function of the old version to the new one (see
    /// <see cref="Rebind(string, string)"/> for which calls that reaches), and closes the old version, which is unloaded
    /// once no loaded module refers to it. Data is not carried over: the new version starts with its own.
    /// </summary>
    /// <returns>The new version's handle (with the old handle's references).</returns>
    /// <exception cref="LinkException">The new version does not link, or one of its functions has another signature.</exception>
    /// <exception cref="LoadException">It failed to load; the old version stays in place, untouched.</exception>
    public LibraryHandle Reload(LibraryHandle handle, string? path = null)
    {
        using var entry = _gate.Enter();
        var old = Program.Library(handle);
        var source = path ?? old.Planned.Path ?? throw new ArgumentException("a library loaded from bytes needs a path to reload from", nameof(path));
        return Reload(old, LinkPlanner.PlanOpen(Program.Scope, source, Program.LinkOptions, fresh: true));
    }

    /// <summary>Like <see cref="Reload(LibraryHandle, string)"/>, from the new version's bytes.</summary>
    public LibraryHandle Reload(LibraryHandle handle, ReadOnlyMemory<byte> newBytes)
    {
        using var entry = _gate.Enter();
        var old = Program.Library(handle);
        var directory = $"/dylink-reload/{++_reloads}";
        var name = $"{directory}/{Path.GetFileName(old.Name)}";
        var linkOptions = Program.LinkOptions;

        // The bytes come from the host, not from a file: a sandbox, which decides which files may be loaded, lets this
        // one through (its NEEDED libraries are still looked for, and checked, as usual).
        var options = linkOptions with
        {
            Source = new OverlaySource(linkOptions.Source, name, newBytes.ToArray()),
            AllowedDirectories = linkOptions.AllowedDirectories is { } allowed ? [.. allowed, directory] : null,
        };
        return Reload(old, LinkPlanner.PlanOpen(Program.Scope, name, options, fresh: true));
    }

    private LibraryHandle Reload(ModuleRecord old, LinkPlan plan)
    {
        if (_preparing)
        {
            throw new InvalidOperationException($"{old.Name}: cannot be reloaded while another library is being instantiated or relocated");
        }

        var program = Program;
        var root = plan.Modules[plan.Root!.Value];
        CheckReplacement(old.Planned, root);

        // The new version takes the old one's name, whatever file it came from: dlopen("libx.so", RTLD_NOLOAD) and a
        // later NEEDED of libx.so find it once the old version is gone.
        plan = plan with { Modules = plan.Modules.SetItem(root.Index, root with { Name = old.Name }) };
        var replacement = Execute(plan, program.Scope.IsGlobal(old.Index));
        if (!old.IsLoaded)
        {
            return new LibraryHandle(replacement.Index + 1); // a constructor of the new version closed the old one
        }

        foreach (var export in program.Scope.ExportedFunctions(old.Index))
        {
            if (replacement.Instance!.GetFunction(export.Name) is { } function)
            {
                Loaded.Rebinder.Rebind(new Definition(old.Index, export), function, $"{replacement.Name} (reloaded)");
            }
        }

        (replacement.OpenCount, old.OpenCount) = (old.OpenCount, 0);
        replacement.NoDelete |= old.NoDelete;
        Trace?.Invoke($"reloaded {old.Name}");
        Loaded.Lifecycle.Close(old);
        return new LibraryHandle(replacement.Index + 1);
    }

    /// <summary>Every function both versions export must keep its signature, or callers would break at their next call.</summary>
    private static void CheckReplacement(PlannedModule old, PlannedModule replacement)
    {
        var errors = new List<string>();
        foreach (var export in ModuleSymbols.Of(old.Module).Where(s => s.Kind == SymbolKind.Function && SymbolTable.IsVisible(s)))
        {
            var match = ModuleSymbols.Of(replacement.Module).FirstOrDefault(s => s.Name == export.Name && s.IsDefined);
            if (match is { Kind: SymbolKind.Function } && !Equals(export.Signature, match.Signature))
            {
                errors.Add($"{old.Name}: {export.Name}: the new version is {match.Signature}, the loaded one {export.Signature}");
            }
        }

        if (errors.Count > 0)
        {
            throw new LinkException(old.Name, errors);
        }
    }

    /// <summary>
    /// Reloads a loaded library (see <see cref="Reload(LibraryHandle, string)"/>) whenever its file changes. Needs
    /// <see cref="DynamicLinkerOptions.AllowReloadWhileRunning"/>: the reload happens on the thread running guest code,
    /// at its next epoch check, never concurrently with it. Direct cross-module calls follow the reload only in loads
    /// made with <c>LinkOptions.Rebindable</c>. A file caught half-written is retried at the next check.
    /// </summary>
    /// <param name="report">Receives one line per reload or failed reload (the old version stays after a failure).</param>
    /// <exception cref="InvalidOperationException">The linker was created without <see cref="DynamicLinkerOptions.AllowReloadWhileRunning"/>.</exception>
    public void Watch(Action<string> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var entry = _gate.Enter();
        if (!_options.AllowReloadWhileRunning)
        {
            throw new InvalidOperationException("watching needs DynamicLinkerOptions.AllowReloadWhileRunning");
        }

        _watcher ??= new ReloadWatcher(Program.Loaded.Where(m => m.Planned.Path is not null && !m.Planned.IsMain)
            .Select(m => Path.GetDirectoryName(Path.GetFullPath(m.Planned.Path!))!), report);
    }

    /// <summary>True while a watched file's change waits for the next epoch check (tests wait for it).</summary>
    internal bool HasPendingReloads => _watcher?.HasPending ?? false;

    /// <summary>Reloads the library loaded from <paramref name="path"/>, if any (a watch reload); returns its name.</summary>
    private string? ReloadFrom(string path)
    {
        var module = Program.Loaded.LastOrDefault(m => m.Planned.Path is { } p && Path.GetFullPath(p) == path);
        if (module is null)
        {
            return null;
        }

        try
        {
            Reload(module, LinkPlanner.PlanOpen(Program.Scope, path, Program.LinkOptions, fresh: true));
            return module.Name;
        }
        catch (DylinkException e)
        {
            // Interrupted at the operation's deadline (or by Dispose): that ends the guest call, not just this reload.
            if (_gate.StopReason() is { } stop)
            {
                throw stop is TimeoutException ? new TimeoutException($"{module.Name}: reload: {stop.Message}", e) : stop;
            }

            throw new ReloadWatcher.ReloadFailure(module.Name, e);
        }
    }

    /// <summary>Called by Wasmtime at an epoch check, on the thread running guest code (inside the gate): stops the call
    /// when the linker is being disposed or the deadline passed, applies pending watch reloads, and lets it go on.</summary>
    private ulong AtEpochCheck()
    {
        if (_gate.StopReason() is { } stop)
        {
            throw stop;
        }

        if (_watcher is { HasPending: true } watcher && _loaded is not null && !_preparing && !_applyingReloads)
        {
            // The reload runs the new version's relocation and constructor code from inside this callback, while the
            // epoch deadline that called it is still due: Wasmtime would interrupt that code at its first check (the
            // callback is not re-entered). Push the epoch deadline out to the operation's own deadline, so the reload
            // is bounded by the timeout like any guest code; returning below sets the next one again.
            _store.SetEpochDeadline(_gate.Deadline is { } deadline ? TicksUntil(deadline) : ulong.MaxValue / 2);
            _applyingReloads = true;
            try
            {
                watcher.Apply(ReloadFrom);
            }
            finally
            {
                _applyingReloads = false;
            }
        }

        return 1;
    }

    /// <summary>Epoch ticks (every <see cref="TickMilliseconds"/>) until just after <paramref name="deadline"/>.</summary>
    private static ulong TicksUntil(DateTime deadline) =>
        (ulong)Math.Max(0, Math.Ceiling((deadline - DateTime.UtcNow).TotalMilliseconds / TickMilliseconds)) + 1;

    private void Tick()
    {
        try
        {
            _engine.IncrementEpoch();
        }
        catch (ObjectDisposedException)
        {
            // A shared engine (a prepared program's) was disposed before this tenant.
        }
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

    private void Forget(ModuleRecord record) => _loaded?.Rebinder.Forget(record.Index);

    /// <summary>Frees the store once no call is in flight: interrupts the call in flight when epoch checks are on,
    /// otherwise waits for it. Every later call throws <see cref="ObjectDisposedException"/>. Safe from any thread,
    /// and from a host function the guest called (the store is then freed when that call returns).</summary>
    public void Dispose() => _gate.RequestDisposal();

    /// <summary>Frees everything; called by the gate once, with no call in flight.</summary>
    private void Release()
    {
        if (_ticks is not null)
        {
            // No tick may touch the engine once it is freed: wait for one in progress.
            using var done = new ManualResetEvent(false);
            if (_ticks.Dispose(done))
            {
                done.WaitOne();
            }
        }

        _watcher?.Dispose();
        _loaded = null;
        _wasi.Dispose();
        _store.Dispose();
        if (_ownsEngine)
        {
            _modules.Dispose();
            _engine.Dispose();
        }

        _released?.Invoke(this);
    }

    /// <summary>What a successful start-up load gives: the program and the collaborators that act on it.</summary>
    private sealed record LoadedParts(LinkedProgram Program, Lifecycle Lifecycle, Rebinder Rebinder);

    /// <summary>A source that serves one extra file from memory.</summary>
    private sealed class OverlaySource(IModuleSource inner, string path, byte[] bytes) : IModuleSource
    {
        public bool Exists(string p) => p == path || inner.Exists(p);

        public byte[] Read(string p) => p == path ? bytes : inner.Read(p);

        // Every other file is read (and checked) as the inner source reads it: open once, check the handle.
        public byte[] Read(string p, LinkOptions options) => p == path ? bytes : inner.Read(p, options);
    }
}
