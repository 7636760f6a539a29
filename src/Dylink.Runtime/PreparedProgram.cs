using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// A linked program compiled once and instantiated many times: one engine, every module compiled (in parallel) and the
/// plan kept, so that each <see cref="Instantiate"/> only creates a store and executes the plan — memory, table, GOT,
/// instances, relocations, constructors. For many tenants or many short-lived runs of the same program.
/// </summary>
/// <remarks>Thread-safe: tenants may be created and used on different threads (each tenant is a
/// <see cref="DynamicLinker"/> with its own store and its own lock). Dispose every tenant before the prepared program,
/// which owns the engine and the compiled modules.</remarks>
/// <example>
/// <code>
/// var plan = LinkPlanner.Plan("main.wasm", options);
/// using var program = PreparedProgram.Prepare(plan, options);
/// using var tenant = program.Instantiate(linker => linker.ConfigureWasi(new WasiConfiguration().WithArgs("main", "1")));
/// int exitCode = tenant.RunMain();
/// </code>
/// </example>
public sealed class PreparedProgram : IDisposable
{
    private readonly Engine _engine;
    private readonly ModuleCache _modules;
    private readonly LinkOptions _linkOptions;
    private readonly DynamicLinkerOptions _options;
    private ProgramScope? _scope;
    private readonly HashSet<DynamicLinker> _tenants = [];
    private bool _disposed;

    private PreparedProgram(LinkPlan plan, LinkOptions linkOptions, DynamicLinkerOptions options)
    {
        Plan = plan;
        _linkOptions = linkOptions;
        _options = options;
        _modules = new ModuleCache(ArtifactStore.Open(options));
        _engine = new Engine(DynamicLinker.EngineConfig(options));
    }

    /// <summary>The start-up plan every tenant executes.</summary>
    public LinkPlan Plan { get; }

    /// <summary>Compiles every module of <paramref name="plan"/> (through the on-disk cache when
    /// <see cref="DynamicLinkerOptions.CacheDirectory"/> is set).</summary>
    /// <param name="plan">A start-up plan from <see cref="LinkPlanner.Plan(string, LinkOptions)"/> or
    /// <see cref="LinkPlanner.PlanHosted"/>; host functions it binds must be defined by each tenant.</param>
    /// <param name="linkOptions">The options tenants' later <c>dlopen</c>s search with.</param>
    /// <param name="options">Engine and store options shared by every tenant.</param>
    /// <exception cref="ArgumentException">The plan is a <c>dlopen</c> plan, not a start-up plan.</exception>
    /// <exception cref="LoadException">A module does not compile.</exception>
    /// <exception cref="DylinkException"><see cref="DynamicLinkerOptions.CacheDirectory"/> is writable by other users (Unix).</exception>
    public static PreparedProgram Prepare(LinkPlan plan, LinkOptions? linkOptions = null, DynamicLinkerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Root is not null)
        {
            throw new ArgumentException("a prepared program needs a start-up plan, not a dlopen plan", nameof(plan));
        }

        var program = new PreparedProgram(plan, linkOptions ?? new LinkOptions(), options ?? new DynamicLinkerOptions());
        try
        {
            program._modules.CompileAll(program._engine, plan.Modules, rewriteCalls: program._options.CallTables);
            return program;
        }
        catch
        {
            program.Dispose();
            throw;
        }
    }

    /// <summary>Modules compiled so far (each distinct module once, shared by every tenant).</summary>
    internal int CompiledModules => _modules.Count;

    /// <summary>A fresh tenant: a new store in which the plan is executed, on the shared engine and compiled modules.</summary>
    /// <param name="configure">Runs before the plan: define host functions and configure WASI here.</param>
    /// <exception cref="LoadException">Instantiation, a relocation or a constructor failed (or a host function is missing).</exception>
    public DynamicLinker Instantiate(Action<DynamicLinker>? configure = null)
    {
        DynamicLinker linker;
        lock (_tenants)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            linker = new DynamicLinker(_options, _engine, _modules, released: tenant => { lock (_tenants) { _tenants.Remove(tenant); } });
            _tenants.Add(linker);
        }

        try
        {
            configure?.Invoke(linker);
            // Every tenant executes the same plan in a fresh store, so it gets the same scope: build it once, copy it after.
            linker.Load(Plan, _linkOptions, Volatile.Read(ref _scope));
            Interlocked.CompareExchange(ref _scope, linker.Scope.Clone(), null);
            return linker;
        }
        catch
        {
            linker.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        List<DynamicLinker> tenants;
        lock (_tenants)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            tenants = [.. _tenants];
        }

        // The tenants run on this engine and these compiled modules: they end with it (each waits for, or interrupts,
        // its call in flight), so that a tenant's later call throws ObjectDisposedException rather than failing inside
        // a freed engine.
        foreach (var tenant in tenants)
        {
            tenant.Dispose();
        }

        _modules.Dispose();
        _engine.Dispose();
    }
}
