using System.CommandLine;
using Dylink.Format;

namespace Dylink.Cli;

/// <summary>The root command and the conventions every subcommand shares (exit codes, error lines).</summary>
public static class DylinkCommand
{
    /// <summary>Exit code for success.</summary>
    public const int Ok = 0;

    /// <summary>Exit code for a usage error (System.CommandLine's parse-error code).</summary>
    public const int UsageError = 1;

    /// <summary>Exit code for input that cannot be read or is malformed.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code for an internal error: an exception no command expected (sysexits' EX_SOFTWARE).</summary>
    public const int InternalError = 70;

    /// <summary>The exit-status block every subcommand's help ends with.</summary>
    internal const string ExitStatusHelp = "\n\n" + """
        Exit status:
          0    success
          1    usage error (unknown option, missing argument)
          2    the input cannot be read or is not a well-formed module (one line on stderr says why)
          70   internal error (a bug in dylink, or output that cannot be written; one line on stderr)
        """;

    /// <summary>Parses <paramref name="args"/>, runs the command, and returns its exit code.</summary>
    /// <param name="args">The command-line arguments, without the program name.</param>
    /// <param name="output">Where normal output goes.</param>
    /// <param name="error">Where diagnostics go.</param>
    /// <param name="terminal">Whether output and error are terminals (tables, progress); default: neither.</param>
    public static int Run(string[] args, TextWriter output, TextWriter error, Terminal? terminal = null) =>
        Run(args, new StandardStreams(output, error), terminal);

    /// <summary>Parses <paramref name="args"/>, runs the command, and returns its exit code.</summary>
    /// <param name="args">The command-line arguments, without the program name.</param>
    /// <param name="streams">Where Dylink's output and diagnostics and a run program's standard streams go.</param>
    /// <param name="terminal">Whether output and error are terminals (tables, progress); default: neither.</param>
    public static int Run(string[] args, StandardStreams streams, Terminal? terminal = null)
    {
        ArgumentNullException.ThrowIfNull(streams);
        terminal ??= Terminal.None;
        var (output, error) = (streams.Output, streams.Error);
        // Everything after run's MAIN.wasm belongs to the program, options included (as with `wasmtime run`).
        var (ownArgs, guestArgs) = SplitRunArguments(args);
        var root = new RootCommand("Dylink: a dynamic linker and loader for WebAssembly modules that use the dylink.0 ABI.")
        {
            RunCommand.Create(guestArgs, terminal, streams),
            LddCommand.Create(terminal),
            ReadelfCommand.Create(terminal),
            NmCommand.Create(terminal),
            PrecompileCommand.Create(),
            ExportsCommand.Create(),
        };
        // Help is Dylink's own (Help.cs), so System.CommandLine's -h/-? option goes: readelf's -h is the file header.
        foreach (var option in root.Options.OfType<System.CommandLine.Help.HelpOption>().ToList())
        {
            root.Options.Remove(option);
        }

        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            // cc and c++ take clang's arguments, which no parser of ours should interpret.
            if (args is ["cc" or "c++", ..])
            {
                return CcCommand.Run(args[1..], cxx: args[0] == "c++", streams);
            }

            if (Preparse(root, ownArgs, output, error) is { } early)
            {
                return early;
            }

            var parse = root.Parse(ownArgs);
            if (parse.Errors.Count > 0)
            {
                // One line per problem and a pointer to the help, rather than the whole help text on stdout.
                foreach (var problem in parse.Errors)
                {
                    error.WriteLine($"dylink: {problem.Message}");
                }

                var path = parse.CommandResult.Command == root ? "dylink" : $"dylink {parse.CommandResult.Command.Name}";
                error.WriteLine($"Try '{path} --help' for more information.");
                return UsageError;
            }

            return parse.Invoke(config);
        }
        catch (CliInputException e)
        {
            error.WriteLine($"dylink: {e.Message}");
            return BadInput;
        }
        catch (DylinkException e)
        {
            error.WriteLine($"dylink: {e.Message}");
            return BadInput;
        }
        catch (Exception e)
        {
            // Last resort: a user sees one line and a distinct exit code, never a .NET stack trace, whatever the input.
            error.WriteLine($"dylink: internal error: {e.GetType().Name}: {OneLine(e.Message)}");
            return InternalError;
        }
        finally
        {
            TryFlush(streams);
        }
    }

    /// <summary>How each command spells its help option: readelf follows binutils (<c>-H</c>), the others clap (<c>-h</c>).</summary>
    private static readonly HashSet<string> HelpSpellings = new HashSet<string>(StringComparer.Ordinal) { "-h", "--help" };

    private static readonly HashSet<string> ReadelfHelpSpellings = new HashSet<string>(StringComparer.Ordinal) { "-H", "--help" };

    /// <summary>
    /// What System.CommandLine would get wrong or say too little about, handled before it parses (as wasmtime's CLI
    /// does): no command, an unknown command, help, an unknown option. Returns the exit code, or null to go on.
    /// </summary>
    private static int? Preparse(RootCommand root, string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0)
        {
            // As wasmtime with no subcommand, the usage and the commands; exit 1, a usage error like any other here.
            error.Write(Help.Short());
            error.WriteLine("Try 'dylink --help' for more information.");
            return UsageError;
        }

        var first = args[0];
        if (HelpSpellings.Contains(first) || first == "-?")
        {
            output.Write(Help.Root());
            return Ok;
        }

        if (first == "--version")
        {
            return null;
        }

        var names = Help.Commands.Select(c => c.Name).ToList();
        if (first.StartsWith('-'))
        {
            var suggestion = Arguments.Suggest(first, ["--help", "--version"]);
            error.WriteLine($"dylink: unknown option '{first}'{DidYouMean(suggestion)}");
            error.WriteLine($"Usage: dylink COMMAND [options] [ARGS...]; commands: {string.Join(", ", names)}");
            error.WriteLine("Try 'dylink --help' for more information.");
            return UsageError;
        }

        var command = root.Subcommands.FirstOrDefault(c => c.Name == first);
        if (command is null)
        {
            var suggestion = Arguments.Suggest(first, names);
            // A module where the command should be: the likeliest intent is to run it.
            var hint = suggestion is null && (first.EndsWith(".wasm", StringComparison.Ordinal) || first.EndsWith(".so", StringComparison.Ordinal))
                ? $" (to run it: dylink run {first})"
                : DidYouMean(suggestion);
            error.WriteLine($"dylink: unknown command '{first}'{hint}");
            error.WriteLine($"Commands: {string.Join(", ", names)}");
            error.WriteLine("Try 'dylink --help' for more information.");
            return UsageError;
        }

        var helpSpellings = command.Name == "readelf" ? ReadelfHelpSpellings : HelpSpellings;
        var (help, unknown) = Arguments.Scan(command, args[1..], helpSpellings);
        if (help)
        {
            output.Write(Help.For(command, command.Name == "run" ? RunCommand.Usage : null, command.Name == "readelf" ? "-H, --help" : "-h, --help"));
            return Ok;
        }

        if (unknown is not null)
        {
            var suggestion = Arguments.Suggest(unknown, Arguments.Spellings(command).Keys.Concat(helpSpellings));
            error.WriteLine($"dylink {command.Name}: unknown option '{unknown}'{DidYouMean(suggestion)}");
            error.WriteLine($"Try 'dylink {command.Name} --help' for more information.");
            return UsageError;
        }

        return null;
    }

    private static string DidYouMean(string? suggestion) => suggestion is null ? "" : $"; did you mean '{suggestion}'?";

    private static string OneLine(string text) => string.Join(" ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    private static void TryFlush(StandardStreams streams)
    {
        try
        {
            streams.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The output is gone (a closed pipe): there is nobody left to tell.
        }
    }

    private static (string[] Own, string[] Guest) SplitRunArguments(string[] args)
    {
        if (args.Length == 0 || args[0] != "run")
        {
            return (args, []);
        }

        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--")
            {
                return ([.. args[..i], .. args[(i + 1)..Math.Min(i + 2, args.Length)]], args[Math.Min(i + 2, args.Length)..]);
            }

            if (RunCommand.ValueOptions.Contains(args[i]))
            {
                i++;
            }
            else if (!args[i].StartsWith('-'))
            {
                return (args[..(i + 1)], args[(i + 1)..]);
            }
        }

        return (args, []);
    }

    /// <summary>Reads and parses the module at <paramref name="path"/>; I/O failures become <see cref="CliInputException"/>.</summary>
    internal static WasmModule LoadModule(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"{path}: cannot read: {Describe(e)}", e);
        }

        return WasmModule.Parse(bytes, path);
    }

    /// <summary>
    /// Runs <paramref name="each"/> on every file, as binutils' <c>nm</c> and <c>readelf</c> do with several: each
    /// output preceded by <c>\nFILE:\n</c> when there is more than one, a file that cannot be read or parsed reported
    /// on stderr and skipped, and exit status 2 at the end if any was.
    /// </summary>
    internal static int ForEachFile(IReadOnlyList<string> files, TextWriter output, TextWriter error, Action<WasmModule> each)
    {
        var code = Ok;
        foreach (var file in files)
        {
            WasmModule module;
            try
            {
                module = LoadModule(file);
            }
            catch (Exception e) when (e is CliInputException or DylinkException)
            {
                error.WriteLine($"dylink: {e.Message}");
                code = BadInput;
                continue;
            }

            if (files.Count > 1)
            {
                output.Write($"\n{file}:\n");
            }

            each(module);
        }

        return code;
    }

    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}

/// <summary>Input the command cannot use (a missing file, say): reported as one line, exit code 2.</summary>
internal sealed class CliInputException(string message, Exception? inner = null) : Exception(message, inner);
