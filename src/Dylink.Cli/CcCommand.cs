using System.ComponentModel;
using Dylink.Linking;

namespace Dylink.Cli;

/// <summary>
/// <c>dylink cc</c> and <c>dylink c++</c>: a compiler driver over the clang and wasm-ld the user has, with the kit's
/// sysroot (libc.so, crt1, dlfcn.h) and the flags Dylink modules need (<see cref="CompilerDriver"/>). Its arguments
/// are clang's, so it is dispatched before System.CommandLine parses anything, as <c>run</c>'s guest arguments are.
/// </summary>
internal static class CcCommand
{
    /// <summary>The oldest clang whose wasm driver honours <c>-fPIC</c> and links shared modules for WASI.</summary>
    private const int OldestClang = 15;

    /// <summary>Exit code when no clang can be started (a shell's "command not found").</summary>
    private const int NoCompiler = 127;

    /// <summary>The help of <c>dylink cc</c> and <c>dylink c++</c>.</summary>
    public static string Help(string name)
    {
        var cxx = name == "c++";
        var (lang, ext, env) = cxx ? ("C++", "cpp", "CXX") : ("C", "c", "CC");
        var program = cxx
            ? "a program: a non-PIE main with the static libc, libc++ and libc++abi (Debian's\n                are not PIC) that exports what the libraries on its line need"
            : "a program: a PIE main linked against libc.so that exports its own symbols (as\n                -rdynamic), so that libraries and dlopen'ed plugins can use them";
        return $"""
            Compile and link {lang} for Dylink with the clang and lld you have: clang's own arguments, plus the target,
            the kit's sysroot (libc.so, crt1-command.o, dlfcn.h) and the flags a Dylink module needs.

            Usage:
              dylink {name} [--cc CLANG] [-v] CLANG-ARGS...

            What it builds:
              -shared       a side module (libfoo.so): position-independent, its undefined symbols left for the
                            loader; each .so and -l library on the line becomes a NEEDED entry{(cxx ? "" : ", libc.so too")}
              (otherwise)   {program}
              -c, -S, -E    compile only (position-independent, default visibility)
            A compile-and-link is split: the sources are compiled with your -O, the link runs without it (with -O,
            clang would run wasm-opt, which rewrites the module).

            Options:
              --cc <CLANG>  The clang to use (default: ${env}, else the first of {string.Join(", ", Candidates(cxx))} on PATH)
              -v            Print each command (to stderr) before running it
              -h, --help    Show this help
            Every other argument goes to clang; its messages pass through unchanged.

            Examples:
              dylink {name} -shared -o libgreet.so greet.{ext}
              dylink {name} -O2 -o app.wasm main.{ext} -L. -lgreet
              dylink run app.wasm

            Environment:
              DYLINK_SYSROOT  the kit's sysroot, instead of the one shipped with dylink

            Exit status:
              0    success
              1    usage error (--cc without a value, a clang older than 15)
              2    a library on a C++ program's line cannot be read (its needs decide the main's exports)
              70   internal error (the kit's sysroot is missing: a broken installation)
              127  no clang can be started
              N    clang's own exit status when it fails

            """;
    }

    /// <summary>Runs <c>dylink cc</c> (or <c>c++</c> when <paramref name="cxx"/>) with clang's <paramref name="args"/>.</summary>
    public static int Run(IReadOnlyList<string> args, bool cxx, StandardStreams streams)
    {
        var name = cxx ? "c++" : "cc";
        var error = streams.Error;
        var clangArgs = new List<string>();
        string? clang = null;
        var verbose = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    streams.Output.Write(Help(name));
                    return DylinkCommand.Ok;
                case "-v":
                    verbose = true;
                    break;
                case "--cc" when i + 1 < args.Count:
                    clang = args[++i];
                    break;
                case "--cc":
                    error.WriteLine($"dylink {name}: --cc needs a value: the clang to use");
                    return DylinkCommand.UsageError;
                case var a when a.StartsWith("--cc=", StringComparison.Ordinal):
                    clang = a["--cc=".Length..];
                    break;
                default:
                    clangArgs.Add(args[i]);
                    break;
            }
        }

        clang ??= Environment.GetEnvironmentVariable(cxx ? "CXX" : "CC") is { Length: > 0 } fromEnvironment ? fromEnvironment : FindOnPath(cxx);
        if (clang is null)
        {
            error.WriteLine($"dylink {name}: no clang found: tried {string.Join(", ", Candidates(cxx))} on PATH; install clang-19 and lld-19 (Debian), or give --cc CLANG");
            return NoCompiler;
        }

        if (Kit.Sysroot is not { } sysroot)
        {
            error.WriteLine($"dylink {name}: the kit's sysroot is missing: no lib/wasm32-wasi/libc.so in DYLINK_SYSROOT, or, without it, in a kit/sysroot next to dylink or in the checkout it runs from");
            return DylinkCommand.InternalError;
        }

        var major = MajorVersion(clang);
        if (major is > 0 and < OldestClang)
        {
            // LLVM 14 honours -fPIC only for the emscripten triple and its driver cannot link shared: kit/README.md
            // has the manual lines that work with it.
            error.WriteLine($"dylink {name}: {clang} is clang {major}; dylink {name} needs clang {OldestClang} or newer (checked: 19 and 22). For clang 14, see the manual command lines in kit/README.md");
            return DylinkCommand.UsageError;
        }

        var scratch = Directory.CreateTempSubdirectory("dylink-cc-");
        try
        {
            var driver = new CompilerDriver { Clang = clang, ClangMajor = major, Sysroot = sysroot, Cxx = cxx, ScratchDirectory = scratch.FullName };
            IReadOnlyList<ToolInvocation> commands;
            try
            {
                commands = driver.Plan(clangArgs);
            }
            catch (LinkException e)
            {
                foreach (var message in e.Errors)
                {
                    error.WriteLine($"dylink {name}: {message}");
                }

                return DylinkCommand.BadInput;
            }

            if (verbose && cxx && CompilerDriver.ActionOf(clangArgs) == DriverAction.Program)
            {
                error.WriteLine("dylink c++: Debian's libc++ and libc++abi are static and not PIC: linking a non-PIE main with them and the static libc, exporting what the libraries on its line need");
            }

            foreach (var command in commands)
            {
                if (verbose)
                {
                    error.WriteLine(command.ToString());
                }

                var code = streams.RunTool(command.Program, command.Arguments);
                if (code != 0)
                {
                    return code;
                }
            }

            return DylinkCommand.Ok;
        }
        catch (Win32Exception e)
        {
            // ENOENT: the usual case (a wrong --cc or CC), said as a shell says it.
            error.WriteLine($"dylink {name}: cannot run {clang}: {(e.NativeErrorCode == 2 ? "command not found" : e.Message)}");
            return NoCompiler;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>The compilers looked for on PATH, newest first. C++ needs clang 19: Debian's libc++ headers are
    /// libc++ 19's, which clang 22 does not accept.</summary>
    internal static IReadOnlyList<string> Candidates(bool cxx) => cxx ? ["clang++-19", "clang++"] : ["clang-22", "clang-19", "clang"];

    private static string? FindOnPath(bool cxx)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return Candidates(cxx).FirstOrDefault(c => path.Any(d => File.Exists(Path.Combine(d, c))));
    }

    /// <summary>The compiler's major version: from its name (<c>clang-19</c>), else from <c>-dumpversion</c>; 0 when unknown.</summary>
    private static int MajorVersion(string clang)
    {
        var fileName = Path.GetFileName(clang);
        var dash = fileName.LastIndexOf('-');
        if (dash >= 0 && int.TryParse(fileName[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var fromName))
        {
            return fromName;
        }

        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(clang, ["-dumpversion"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
            var version = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return int.TryParse(version.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture, out var major) ? major : 0;
        }
        catch (Win32Exception)
        {
            return 0;   // cannot be started: running it says so, with the system's reason
        }
    }
}
