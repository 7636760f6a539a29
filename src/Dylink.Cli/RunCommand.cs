using System.CommandLine;
using Dylink.Format;
using Dylink.Linking;
using Dylink.Runtime;
using Wasmtime;

namespace Dylink.Cli;

/// <summary><c>dylink run MAIN.wasm [ARGS...]</c>: loads a WASI command with its libraries and runs it.</summary>
internal static class RunCommand
{
    /// <summary>Exit code for a load or link failure (musl's ld.so uses the same).</summary>
    public const int LoadFailure = 127;

    /// <summary>Exit code when the program runs out of time (as GNU <c>timeout</c>).</summary>
    public const int TimedOut = 124;

    /// <summary>Exit code when the guest traps.</summary>
    public const int Trapped = 134;

    /// <summary>Options of <c>run</c> that take a value: the token after them is not the main module.</summary>
    public static readonly IReadOnlySet<string> ValueOptions = new HashSet<string>(StringComparer.Ordinal) { "-L", "-l", "--preload", "--dir", "--env", "--debug", "--max-memory", "--max-libraries", "--max-table", "--max-file-size", "--timeout", "--cache", "--invoke" };

    /// <summary>The usage line after <c>dylink run</c>: what <see cref="DylinkCommand"/> enforces, as <c>wasmtime run</c> does.</summary>
    public const string Usage = "[options] MAIN.wasm [--] [ARGS...]";

    public static Command Create(IReadOnlyList<string> guestArgs, Terminal terminal, StandardStreams streams)
    {
        var main = new Argument<string>("MAIN.wasm") { Description = "The main module: a WASI command (exports _start), or with --invoke any module." };
        // Never parsed (DylinkCommand splits them off before System.CommandLine sees the line): declared for the help.
        var programArgs = new Argument<string[]>("ARGS") { Description = "The program's arguments, options included: everything after MAIN.wasm is the program's (with --invoke, the function's).", Arity = ArgumentArity.ZeroOrMore };
        var invoke = new Option<string?>("--invoke") { Description = "Call the exported function NAME with ARGS (parsed as its parameter types) instead of _start, and print each result on its own line.", HelpName = "NAME" };
        var searchPaths = new Option<string[]>("-L") { Description = "Search DIR for libraries first (repeatable).", HelpName = "DIR" };
        var libraries = new Option<string[]>("-l") { Description = "Load LIB at start-up, as if the main's NEEDED list ended with it: a name searched like NEEDED, or a path (repeatable).", HelpName = "LIB" };
        var preload = new Option<string[]>("--preload") { Description = "Load LIB first and put it ahead of every other module, the main included, in lookup order, so it interposes (repeatable).", HelpName = "LIB" };
        var dirs = new Option<string[]>("--dir") { Description = "Give the guest access to host directory HOST, seen as GUEST (default: the same path) (repeatable).", HelpName = "HOST[::GUEST]" };
        var env = new Option<string[]>("--env") { Description = "Set an environment variable for the guest; NAME alone passes the host's value, as wasmtime does (repeatable).", HelpName = "NAME[=VALUE]" };
        var debug = new Option<string>("--debug") { Description = "Trace loading to stderr: libs, bindings, symbols, all, or timing (also DYLINK_DEBUG).", HelpName = "LIST" };
        var maxMemory = NumberOptions.Whole("--max-memory", "Most linear memory the program may use, in bytes.", "BYTES", "a number of bytes", 0, long.MaxValue);
        var maxLibraries = NumberOptions.Whole("--max-libraries", "Most modules the program may load, the main included.", "N", "a whole number", 1, int.MaxValue);
        var maxTable = NumberOptions.Whole("--max-table", "Most function-table elements the program may have.", "N", "a whole number", 0, uint.MaxValue);
        var maxFileSize = NumberOptions.Whole("--max-file-size", "Largest library file accepted, in bytes (checked before reading).", "BYTES", "a number of bytes", 0, long.MaxValue);
        var timeout = NumberOptions.Seconds("--timeout", "Stop the program after SECONDS (exit status 124).", "SECONDS");
        var sandbox = new Option<bool>("--library-sandbox") { Description = "Load libraries (dlopen included) only from the -L directories, DYLINK_LIBRARY_PATH, the main's directory and the kit's lib directory: no '..', absolute path or symbolic link leading elsewhere." };
        var anyLibraryPath = new Option<bool>("--allow-any-library-path") { Description = "Let the guest's dlopen take host paths and load any file (by default it reaches the library search path and its --dir directories, through its own view)." };
        var cache = new Option<string?>("--cache") { Description = "Keep compiled code in DIR for later runs (only you may write DIR; also DYLINK_CACHE; default ~/.cache/dylink; empty: none).", HelpName = "DIR" };
        var watch = new Option<bool>("--watch") { Description = "Reload a library when its file changes, while the program runs (libraries are loaded rebindable, so every cross-module call follows)." };
        var command = new Command("run", """
            Load a WASI preview1 command module and its libraries (its NEEDED list, then -l libraries), run the
            libraries' constructors, then the main's _start. Dylink's options come before MAIN.wasm; everything after
            it goes to the program, as with wasmtime run. The guest's standard streams pass through byte for byte;
            its exit code is dylink's exit code.

            Examples:
              dylink run examples/hello/host.wasm
              dylink run -L build/lib -l libplugin.so main.wasm --verbose input.txt   # --verbose is the program's
              dylink run --invoke side_hello examples/hello/host.wasm 5    # call one function, print its result
              DYLINK_DEBUG=libs,bindings dylink run main.wasm
              dylink run --watch -L plugins app.wasm      # rebuild a plugin: it is reloaded in place

            Exit status:
              N    the program's own exit code
              0    --invoke: the function returned
              1    usage error (unknown option, missing MAIN.wasm, an option value out of range, --invoke arguments that do not fit)
              2    MAIN.wasm cannot be read or is not a well-formed module, or the compiled-code cache directory is writable by others
              70   internal error
              124  the program ran longer than --timeout
              127  a library cannot be found or loaded, a symbol (or the --invoke function) cannot be resolved, or a limit was exceeded
              134  the program trapped
            """)
        {
            main, programArgs, searchPaths, libraries, preload, invoke, dirs, env, debug, watch, maxMemory, maxLibraries, maxTable, maxFileSize, timeout, sandbox, anyLibraryPath, cache,
        };
        dirs.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                // Checked here, not left to Wasmtime, whose "Failed to preopen directory" is an exception, not a message.
                var parts = token.Value.Split("::", 2);
                if (!Directory.Exists(parts[0]))
                {
                    result.AddError($"--dir: '{token.Value}': no such directory");
                }
                else if (parts.Length == 2 && parts[1].Length == 0)
                {
                    result.AddError($"--dir: '{token.Value}': no guest path after '::'");
                }
            }
        });
        env.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Value.Length == 0 || t.Value[0] == '='))
            {
                result.AddError($"--env: '{token.Value}' has no variable name");
            }
        });
        command.SetAction(parse =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            var stdout = parse.InvocationConfiguration.Output;
            var mainPath = parse.GetRequiredValue(main);
            var watching = parse.GetValue(watch);
            var options = LinkOptionsFrom(parse.GetValue(searchPaths), parse.GetValue(libraries), parse.GetValue(preload)) with { Rebindable = watching };
            options = options with
            {
                MaxMemory = parse.GetValue(maxMemory) ?? options.MaxMemory,
                MaxModules = (int?)parse.GetValue(maxLibraries) ?? options.MaxModules,
                MaxTableSlots = (uint?)parse.GetValue(maxTable) ?? options.MaxTableSlots,
                MaxFileSize = parse.GetValue(maxFileSize) ?? options.MaxFileSize,
                AllowedDirectories = parse.GetValue(sandbox)
                    ? [.. options.SearchPaths, .. options.LibraryPath, Path.GetDirectoryName(Path.GetFullPath(mainPath))!]
                    : null,
                GuestDirectories = [.. (parse.GetValue(dirs) ?? []).Select(GuestDirectoryOf)],
                AllowAnyLibraryPath = parse.GetValue(anyLibraryPath),
            };
            DebugTrace trace;
            try
            {
                trace = DynamicLinkerOptions.ParseDebug(parse.GetValue(debug) ?? Environment.GetEnvironmentVariable("DYLINK_DEBUG"));
            }
            catch (ArgumentException e)
            {
                stderr.WriteLine($"dylink: {e.Message.Split(" (Parameter", 2)[0]}");
                return DylinkCommand.UsageError;
            }

            var timer = (trace & DebugTrace.Timing) != 0 ? new StepTimer(line => stderr.WriteLine($"dylink: {line}")) : null;
            timer?.Step("command line parsed");
            var cacheDirectory = CacheDirectory(parse.GetValue(cache), stderr);
            if (cacheDirectory is { Usable: false })
            {
                return DylinkCommand.UsageError;
            }

            var progress = terminal.Error ? new ProgressLine(stderr, terminal.ProgressDelay) : null;
            using var linker = new DynamicLinker(new DynamicLinkerOptions
            {
                Progress = progress is null ? null : progress.Report,
                Debug = trace,
                Trace = line => stderr.WriteLine($"dylink: {line}"),
                AllowReloadWhileRunning = watching,
                MaxMemory = parse.GetValue(maxMemory),
                MaxTableElements = (uint?)parse.GetValue(maxTable),
                CacheDirectory = cacheDirectory?.Path,
                Timeout = parse.GetValue(timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            });
            try
            {
                linker.ConfigureWasi(Wasi(mainPath, guestArgs, parse.GetValue(env) ?? [], parse.GetValue(dirs) ?? [], streams));
            }
            catch (InvalidOperationException e)
            {
                // A directory that exists but cannot be opened (no permission): Wasmtime says which.
                progress?.Dispose();
                stderr.WriteLine($"dylink: --dir: {e.Message}");
                return DylinkCommand.UsageError;
            }

            timer?.Restart();
            var plan = PlanOrReport(mainPath, options, stderr, out var code);
            if (plan is null)
            {
                progress?.Dispose();
                return code;
            }

            timer?.Step("planned");

            try
            {
                using (progress)
                {
                    linker.Load(plan, options);
                }

                if (watching)
                {
                    linker.Watch(line => stderr.WriteLine($"dylink: {line}"));
                }

                var exit = parse.GetValue(invoke) is { } function
                    ? Invoke(linker, mainPath, function, guestArgs, stdout, stderr)
                    : linker.RunMain();
                stdout.Flush();
                timer?.Step("done");
                return exit;
            }
            catch (Exception e) when (e is TimeoutException or DylinkException or WasmtimeException)
            {
                stdout.Flush();
                var (exitCode, report) = e switch
                {
                    TimeoutException => (TimedOut, e.Message),
                    TrapException => (Trapped, $"{mainPath}: the program trapped: {e.Message}"),
                    // The loader's own traps (a call into an unloaded library) are host functions that throw: Wasmtime
                    // wraps them; report them as the traps they are, the loader's message first, then the backtrace.
                    WasmtimeException { InnerException: DylinkException inner } =>
                        (Trapped, $"{mainPath}: the program trapped: {inner.Message}{Backtrace(e.Message)}"),
                    DylinkException => (LoadFailure, e.Message),
                    _ => (Trapped, $"{mainPath}: the program failed: {e.Message}"), // not a trap or an exit: e.g. a refused WASI call
                };
                stderr.WriteLine($"dylink: {report}");
                return exitCode;
            }
        });
        return command;
    }

    /// <summary>
    /// <c>--invoke NAME ARGS...</c>, as <c>wasmtime run --invoke</c>: the function found in the global scope (the main's
    /// exports, then the libraries', in lookup order), each argument parsed as its parameter's type, each result on
    /// its own line.
    /// </summary>
    private static int Invoke(DynamicLinker linker, string mainPath, string name, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (linker.TryGetFunction(name) is not { } function)
        {
            stderr.WriteLine($"dylink: --invoke: no module of {Path.GetFileName(mainPath)}'s program exports a function '{name}'");
            return LoadFailure;
        }

        var types = string.Join(", ", function.Parameters.Select(WasmName));
        if (args.Count != function.Parameters.Count)
        {
            stderr.WriteLine($"dylink: --invoke {name}: takes {function.Parameters.Count} argument{(function.Parameters.Count == 1 ? "" : "s")} ({types}), not {args.Count}");
            return DylinkCommand.UsageError;
        }

        var values = new ValueBox[args.Count];
        for (var i = 0; i < args.Count; i++)
        {
            if (Parse(args[i], function.Parameters[i]) is not { } value)
            {
                stderr.WriteLine($"dylink: --invoke {name}: argument {i + 1}: '{args[i]}' is not {(function.Parameters[i] is ValueKind.Int32 or ValueKind.Int64 or ValueKind.Float32 or ValueKind.Float64 ? "an" : "a")} {WasmName(function.Parameters[i])}");
                return DylinkCommand.UsageError;
            }

            values[i] = value;
        }

        var result = function.Invoke(values);
        foreach (var item in result switch { null => [], object[] many => many, var one => [one] })
        {
            stdout.WriteLine(Format(item));
        }

        return DylinkCommand.Ok;
    }

    private static ValueBox? Parse(string text, ValueKind kind)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        const System.Globalization.NumberStyles Integer = System.Globalization.NumberStyles.AllowLeadingSign;
        const System.Globalization.NumberStyles Real = System.Globalization.NumberStyles.Float;
        return kind switch
        {
            // As wasmtime: an i32 argument may be written signed or unsigned (4294967295 is -1).
            ValueKind.Int32 when int.TryParse(text, Integer, culture, out var i) => i,
            ValueKind.Int32 when uint.TryParse(text, System.Globalization.NumberStyles.None, culture, out var u) => unchecked((int)u),
            ValueKind.Int64 when long.TryParse(text, Integer, culture, out var l) => l,
            ValueKind.Int64 when ulong.TryParse(text, System.Globalization.NumberStyles.None, culture, out var ul) => unchecked((long)ul),
            ValueKind.Float32 when float.TryParse(text, Real, culture, out var f) => f,
            ValueKind.Float64 when double.TryParse(text, Real, culture, out var d) => d,
            _ => null,
        };
    }

    private static string Format(object? value) => value switch
    {
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable n => n.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        null => "null",
        _ => value.ToString() ?? "",
    };

    private static string WasmName(ValueKind kind) => kind switch
    {
        ValueKind.Int32 => "i32",
        ValueKind.Int64 => "i64",
        ValueKind.Float32 => "f32",
        ValueKind.Float64 => "f64",
        ValueKind.V128 => "v128",
        ValueKind.FuncRef => "funcref",
        ValueKind.ExternRef => "externref",
        _ => kind.ToString(),
    };

    /// <summary>The "wasm backtrace:" part of a Wasmtime error message, on lines of its own ("" if there is none).</summary>
    private static string Backtrace(string message)
    {
        var start = message.IndexOf("wasm backtrace:", StringComparison.Ordinal);
        if (start < 0)
        {
            return "";
        }

        var end = message.IndexOf("\n\nCaused by", start, StringComparison.Ordinal);
        return "\n" + (end < 0 ? message[start..] : message[start..end]).TrimEnd();
    }

    public static LinkOptions LinkOptionsFrom(string[]? searchPaths, string[]? libraries, string[]? preload) => new()
    {
        SearchPaths = searchPaths ?? [],
        LibraryPath = (Environment.GetEnvironmentVariable("DYLINK_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries),
        Libraries = libraries ?? [],
        Preload = preload ?? [],
        DefaultLibraryPath = Kit.LibraryDirectory is { } kit ? [kit] : [],
    };

    /// <summary>
    /// Plans the program; on failure writes one line per error and sets <paramref name="code"/>: 2 when the file named
    /// on the command line cannot be read or is not a module (bad input, as readelf and nm say it), 127 when something
    /// it needs cannot be found, loaded or resolved.
    /// </summary>
    public static LinkPlan? PlanOrReport(string mainPath, LinkOptions options, TextWriter stderr, out int code)
    {
        code = DylinkCommand.Ok;
        try
        {
            return LinkPlanner.Plan(mainPath, options);
        }
        catch (LinkException e)
        {
            foreach (var error in e.Errors)
            {
                stderr.WriteLine($"dylink: {error}");
            }

            code = !File.Exists(mainPath) || e.InnerException is WasmFormatException { ModuleName: var name } && name == mainPath ? DylinkCommand.BadInput : LoadFailure;
        }
        catch (WasmFormatException e)
        {
            stderr.WriteLine($"dylink: {e.Message}");
            code = e.ModuleName == mainPath ? DylinkCommand.BadInput : LoadFailure;
        }

        return null;
    }

    /// <summary>A <c>--dir HOST[::GUEST]</c> argument: what the guest's WASI view and its dlopen both see.</summary>
    private static GuestDirectory GuestDirectoryOf(string dir) => dir.Split("::", 2) is [var host, var guest] ? new(host, guest) : new(dir, dir);

    /// <summary>
    /// The compiled-code cache directory (<see cref="CacheLocation"/>), created now so that one named explicitly that
    /// cannot be is a one-line usage error (naming where it came from) rather than an exception while loading.
    /// </summary>
    private static (string Path, bool Usable)? CacheDirectory(string? option, TextWriter stderr)
    {
        if (CacheLocation.Resolve(option) is not var (path, source))
        {
            return null;
        }

        try
        {
            Directory.CreateDirectory(path);
            return (path, true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            stderr.WriteLine($"dylink: {source}: '{path}' cannot be used as a directory{(e is UnauthorizedAccessException ? " (permission denied)" : "")}");
            return (path, false);
        }
    }

    private static WasiConfiguration Wasi(string mainPath, IReadOnlyList<string> args, string[] env, string[] dirs, StandardStreams streams)
    {
        var config = streams.ConnectGuest(new WasiConfiguration().WithArgs([Path.GetFileName(mainPath), .. args]));
        foreach (var variable in env)
        {
            var parts = variable.Split('=', 2);
            // As `wasmtime run --env NAME`: no value means the host's (and nothing when the host has none).
            var value = parts.Length > 1 ? parts[1] : Environment.GetEnvironmentVariable(parts[0]);
            if (value is not null)
            {
                config = config.WithEnvironmentVariable(parts[0], value);
            }
        }

        foreach (var dir in dirs.Select(GuestDirectoryOf))
        {
            config = config.WithPreopenedDirectory(dir.HostPath, dir.GuestPath, mutable: true);
        }

        return config;
    }
}
