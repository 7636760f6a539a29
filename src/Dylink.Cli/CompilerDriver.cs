using Dylink.Linking;

namespace Dylink.Cli;

/// <summary>One program to run, with its arguments.</summary>
/// <param name="Program">The program (a path, or a name looked up on PATH).</param>
/// <param name="Arguments">Its arguments.</param>
internal sealed record ToolInvocation(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>The command as a POSIX shell would take it, for <c>-v</c>.</summary>
    public override string ToString() => string.Join(' ', new[] { Program }.Concat(Arguments).Select(Quote));

    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=+,:@%".Contains(c, StringComparison.Ordinal))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>What a <c>dylink cc</c> command line asks for.</summary>
internal enum DriverAction
{
    /// <summary>Compile, assemble or preprocess only (<c>-c</c>, <c>-S</c>, <c>-E</c>, …): no link.</summary>
    Compile,
    /// <summary>Link a side module (<c>-shared</c>).</summary>
    SharedLibrary,
    /// <summary>Link a program (a main module with <c>_start</c>).</summary>
    Program,
}

/// <summary>
/// The part of <c>dylink cc</c>/<c>dylink c++</c> that decides what to run, without running anything: the user's
/// clang arguments, classified (sources, linker inputs, options) and completed with the target, the kit's sysroot and
/// the flags a Dylink module needs. The recipes live here and nowhere else; kit/README.md explains each flag.
/// <para>
/// C: everything is position-independent and linked against the kit's <c>libc.so</c>: <c>-shared</c> makes a side
/// module (NEEDED entries from its <c>.so</c> inputs and <c>-l</c> libraries, libc.so among them; undefined symbols
/// become imports, as an ELF shared object's do), otherwise a PIE main whose symbols are exported (as with
/// <c>-rdynamic</c>) so that libraries and plugins can use its functions and data. C++: Debian's libc++ and libc++abi
/// are static, non-PIC archives, so a C++ program is a non-PIE main that links them and the static libc, and exports
/// what its libraries need (<see cref="MainExports"/>); a C++ side module imports libc and the C++ runtime from it.
/// </para>
/// <para>
/// A link that also compiles is split in two, as clang's own driver does internally: each source is compiled (with the
/// user's <c>-O</c>) to an object, then the objects are linked without <c>-O</c>, because clang runs wasm-opt after
/// any optimised link and wasm-opt rewrites a module (it drops its name section and imports the loader expects).
/// </para>
/// </summary>
internal sealed class CompilerDriver
{
    /// <summary>The clang options whose value is the next argument (the joined forms are one argument anyway).</summary>
    private static readonly HashSet<string> TakesValue = new(StringComparer.Ordinal)
    {
        "-o", "-I", "-L", "-D", "-U", "-l", "-x", "-include", "-imacros", "-isystem", "-idirafter", "-iquote", "-isysroot",
        "-iprefix", "-iwithprefix", "-iwithprefixbefore", "-MF", "-MT", "-MQ", "-Xlinker", "-Xclang", "-Xassembler",
        "-Xpreprocessor", "-target", "--target", "--sysroot", "-mllvm", "-z", "-T", "-u", "-e", "--param", "-arch",
        "-ivfsoverlay", "-resource-dir", "-working-directory", "-F", "-B", "-I-", "-aux-target",
    };

    /// <summary>The libraries musl folds into libc (its empty <c>libm.a</c>, <c>libdl.a</c>, …).</summary>
    private static readonly HashSet<string> InLibc = new(StringComparer.Ordinal)
    {
        "-lm", "-ldl", "-lpthread", "-lrt", "-lutil", "-lxnet", "-lcrypt", "-lresolv",
    };

    /// <summary>Options that stop clang before the link.</summary>
    private static readonly HashSet<string> CompileOnly = new(StringComparer.Ordinal)
    {
        "-c", "-S", "-E", "-M", "-MM", "-fsyntax-only", "--precompile", "-emit-llvm",
    };

    private static readonly HashSet<string> SourceExtensions = new(StringComparer.Ordinal)
    {
        ".c", ".i", ".cc", ".cp", ".cxx", ".cpp", ".CPP", ".c++", ".C", ".ii", ".s", ".S", ".sx",
    };

    /// <summary>The clang to run.</summary>
    public required string Clang { get; init; }

    /// <summary>Its major version (it decides the target triple's spelling).</summary>
    public required int ClangMajor { get; init; }

    /// <summary>The kit's sysroot: <c>include/wasm32-wasi</c> and <c>lib/wasm32-wasi</c> (libc.so, crt1-*.o).</summary>
    public required string Sysroot { get; init; }

    /// <summary>The sysroot of the static C++ runtime (Debian's wasi-libc, libc++ and libc++abi): <c>/usr</c>.</summary>
    public string CxxSysroot { get; init; } = "/usr";

    /// <summary>True for <c>dylink c++</c>.</summary>
    public bool Cxx { get; init; }

    /// <summary>Where the objects of a split compile-and-link go.</summary>
    public required string ScratchDirectory { get; init; }

    /// <summary>The wasm target triple: <c>wasm32-wasi</c>, which clang 22 spells <c>wasm32-wasip1</c>.</summary>
    private string Triple => ClangMajor >= 22 ? "wasm32-wasip1" : "wasm32-wasi";

    /// <summary>What <paramref name="args"/> asks for.</summary>
    public static DriverAction ActionOf(IReadOnlyList<string> args) => ActionOf(Classify(args));

    private static DriverAction ActionOf(CommandLine line)
    {
        var options = line.Options.ToList();
        return options.Any(CompileOnly.Contains) ? DriverAction.Compile
            : options.Contains("-shared") ? DriverAction.SharedLibrary
            : DriverAction.Program;
    }

    /// <summary>The commands that do what <paramref name="args"/> (clang's arguments) asks, in order.</summary>
    /// <exception cref="LinkException">C++ program: a library on the line cannot be read (its needs decide the main's exports).</exception>
    public IReadOnlyList<ToolInvocation> Plan(IReadOnlyList<string> args)
    {
        var line = Classify(args);
        var action = ActionOf(line);
        if (action == DriverAction.Compile || line.Sources.Count == 0)
        {
            return [Invoke(action, args)];
        }

        // Compile each source alone (with -O), then link the objects (without it).
        var commands = new List<ToolInvocation>();
        var linkArgs = new List<string>();
        // -x applies to the sources after it: each compile gets its source's language, the link none.
        var compileArgs = line.Words.Where(w => !w.IsInput && !w.IsOutput && !w.IsLibrary && !w.IsLanguage).SelectMany(w => w.Tokens).ToList();
        var n = 0;
        foreach (var word in line.Words)
        {
            if (word.IsSource)
            {
                var obj = Path.Combine(ScratchDirectory, $"{n++}-{Path.GetFileNameWithoutExtension(word.Tokens[0])}.o");
                commands.Add(Invoke(DriverAction.Compile, [.. compileArgs, .. word.Language is { } x ? new[] { "-x", x } : [], "-c", word.Tokens[0], "-o", obj]));
                linkArgs.Add(obj);
            }
            else if (!word.IsOptimisation && !word.IsLanguage)
            {
                linkArgs.AddRange(word.Tokens);
            }
        }

        commands.Add(Invoke(action, linkArgs));
        return commands;
    }

    private ToolInvocation Invoke(DriverAction action, IReadOnlyList<string> args)
    {
        // The user's arguments come after the driver's, so that theirs win where clang lets the last one win
        // (-fvisibility=hidden, say); libraries the driver adds come last, after the user's objects, as -lc does.
        var line = new List<string>();
        if (Cxx)
        {
            // libc++'s headers first, then clang's own, then the C headers (libc++ relies on include_next in that
            // order): the kit's, which are Debian's wasi-libc's plus dlfcn.h. Not the sysroot's default list: with
            // Debian's sysroot /usr, it ends with the host's /usr/include, whose glibc dlfcn.h would be found.
            line.AddRange([$"--target={Triple}", $"--sysroot={CxxSysroot}", "-nostdlibinc",
                "-isystem", Path.Combine(CxxSysroot, "include", "wasm32-wasi", "c++", "v1"), "-idirafter", Path.Combine(Sysroot, "include", "wasm32-wasi")]);
        }
        else
        {
            line.AddRange([$"--target={Triple}", $"--sysroot={Sysroot}"]);
            if (ClangMajor >= 22)
            {
                // clang 22 looks for a wasip1 sysroot's headers in include/wasm32-wasip1; the kit has wasi's layout.
                line.AddRange(["-nostdlibinc", "-isystem", Path.Combine(Sysroot, "include", "wasm32-wasi")]);
            }
        }

        var kitLib = Path.Combine(Sysroot, "lib", "wasm32-wasi");
        line.AddRange(["-fPIC", "-fvisibility=default", "-Qunused-arguments"]);
        if (action != DriverAction.Compile)
        {
            // For a user's own -lc (or -lm): clang 22 would search only a wasip1 directory.
            line.Add("-L" + (Cxx ? Path.Combine(CxxSysroot, "lib", "wasm32-wasi") : kitLib));
        }

        // The user's -nostdlib (or -nodefaultlibs, -nostartfiles) keeps its meaning: no libc.so (no start file).
        var withLibc = !args.Contains("-nostdlib") && !args.Contains("-nodefaultlibs");
        var withStartFile = !args.Contains("-nostdlib") && !args.Contains("-nostartfiles");
        var libraries = new List<string>();
        switch (action)
        {
            case DriverAction.SharedLibrary:
                // --experimental-pic: wasm-ld's acknowledgement that -shared and dynamic imports are "not yet stable",
                // which it would otherwise warn about on every link.
                line.AddRange(["-nostdlib", "-Wl,--experimental-pic", "-Wl,--no-entry", "-Wl,--unresolved-symbols=import-dynamic", "-Wl,--export-if-defined=__wasm_call_ctors"]);
                if (withLibc)
                {
                    // The library's own atexit (libc_nonshared.o, as glibc's libc_nonshared.a), whose handlers run
                    // when the library is unloaded; then libc.so, or, for C++, the main's static libc.
                    libraries.Add(Path.Combine(kitLib, "libc_nonshared.o"));
                    if (!Cxx)
                    {
                        libraries.Add(Path.Combine(kitLib, "libc.so"));
                    }
                }

                break;
            case DriverAction.Program when Cxx:
                line.AddRange(["-nostartfiles", .. withStartFile ? [Path.Combine(kitLib, "crt1-command.o")] : Array.Empty<string>(), "-Wl,--export-dynamic", "-Wl,--strip-debug"]);
                line.AddRange(ExportsForLibrariesOf(args).Select(f => "-Wl," + f));
                break;
            case DriverAction.Program:
                // The start file by path: clang 22 looks for it under a wasip1 directory the kit does not have. A
                // reactor (no main; its host calls its exports) starts with _initialize instead of _start.
                var reactor = args.Contains("-mexec-model=reactor");
                line.AddRange(["-nostdlib", .. withStartFile ? [Path.Combine(kitLib, reactor ? "crt1-reactor.o" : "crt1-command.o")] : Array.Empty<string>(),
                    "-Wl,--experimental-pic", "-Wl,-pie", "-Wl,--export-dynamic", "-Wl,--import-memory", "-Wl,--export-memory"]);
                if (reactor)
                {
                    line.Add("-Wl,--entry=_initialize");
                }

                if (withLibc)
                {
                    libraries.Add(Path.Combine(kitLib, "libc.so"));
                }

                break;
        }

        // -mexec-model is the driver's to apply (the start file above): clang 22 refuses it for wasip1. musl's libm,
        // libdl, libpthread, … are all in libc.so (musl ships them as empty archives, the kit does not ship them).
        var own = args.Where(a => !a.StartsWith("-mexec-model=", StringComparison.Ordinal) && (Cxx || !InLibc.Contains(a)));
        return new ToolInvocation(Clang, [.. line, .. own, .. libraries]);
    }

    /// <summary>The export flags a non-PIE C++ main needs for the libraries on its link line (its <c>.so</c> inputs and
    /// <c>-l</c> libraries, searched in its <c>-L</c> directories, and what they need).</summary>
    private static IEnumerable<string> ExportsForLibrariesOf(IReadOnlyList<string> args)
    {
        var line = Classify(args);
        var libraries = ExportsCommand.AsFiles(line.Words.Where(w => w.IsInput && w.Option.EndsWith(".so", StringComparison.Ordinal)).Select(w => w.Option))
            .Concat(line.Words.Where(w => w.IsLibrary).Select(w => "lib" + w.Value + ".so"))
            .ToList();
        var exports = MainExports.For(new LinkOptions { Libraries = libraries, SearchPaths = [.. line.Words.Where(w => w.IsSearchPath).Select(w => w.Value)] });
        return ExportsCommand.Flags(exports);
    }

    /// <summary>One argument, or an option with its separate value.</summary>
    private sealed record Word(IReadOnlyList<string> Tokens, string? Language)
    {
        public string Option => Tokens[0];

        /// <summary>The option's value: the separate argument, or what follows the option's letters (<c>-lfoo</c>).</summary>
        public string Value => Tokens.Count > 1 ? Tokens[1] : Option[2..];

        public bool IsInput => Tokens.Count == 1 && (Option == "-" || !Option.StartsWith('-'));

        public bool IsSource => IsInput && (Language is not null || SourceExtensions.Contains(Path.GetExtension(Option)));

        public bool IsOutput => Option == "-o" || (Option.StartsWith("-o", StringComparison.Ordinal) && Tokens.Count == 1);

        public bool IsLibrary => Option.StartsWith("-l", StringComparison.Ordinal);

        public bool IsLanguage => Option.StartsWith("-x", StringComparison.Ordinal);

        public bool IsSearchPath => Option.StartsWith("-L", StringComparison.Ordinal);

        public bool IsOptimisation => Option.StartsWith("-O", StringComparison.Ordinal);
    }

    private sealed record CommandLine(IReadOnlyList<Word> Words)
    {
        public IEnumerable<string> Options => Words.Where(w => !w.IsInput).Select(w => w.Option);

        public IReadOnlyList<Word> Sources => [.. Words.Where(w => w.IsSource)];
    }

    private static CommandLine Classify(IReadOnlyList<string> args)
    {
        var words = new List<Word>();
        string? language = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (TakesValue.Contains(arg) && i + 1 < args.Count)
            {
                words.Add(new Word([arg, args[++i]], null));
                if (arg == "-x")
                {
                    language = args[i] == "none" ? null : args[i];
                }

                continue;
            }

            if (arg.StartsWith("-x", StringComparison.Ordinal) && arg.Length > 2)
            {
                language = arg[2..] == "none" ? null : arg[2..];
            }

            words.Add(new Word([arg], arg.StartsWith('-') && arg != "-" ? null : language));
        }

        return new CommandLine(words);
    }
}
