using System.CommandLine;
using Dylink.Runtime;

namespace Dylink.Cli;

/// <summary><c>dylink precompile DIR|FILE...</c>: compiles modules into the on-disk cache that <c>run --cache</c> reads.</summary>
internal static class PrecompileCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH") { Description = "A module, or a directory whose *.wasm and *.so files to compile (repeatable).", Arity = ArgumentArity.OneOrMore };
        var cache = new Option<string?>("--cache") { Description = "The compiled-code cache to fill (also DYLINK_CACHE; default ~/.cache/dylink, which run reads too).", HelpName = "DIR" };
        var epochChecks = new Option<bool>("--for-watch-or-timeout") { Description = "Compile for runs with --watch or --timeout, whose code includes epoch checks." };
        var command = new Command("precompile", """
            Compile modules ahead of time into the compiled-code cache, so that a later run --cache with the same
            directory skips compilation (install time instead of first start). Each module is compiled as the
            loader would compile it, several at a time; a directory contributes its *.wasm and *.so files.

            Examples:
              dylink precompile --cache ~/.cache/dylink examples/hello
              dylink run --cache ~/.cache/dylink examples/hello/host.wasm
              DYLINK_CACHE=/var/cache/app dylink precompile plugins/libfoo.so plugins/libbar.so
            """ + DylinkCommand.ExitStatusHelp.Replace("  2  the input cannot be read or is not a well-formed module", "  2  an input cannot be read, is not a well-formed module, or does not compile", StringComparison.Ordinal))
        {
            paths, cache, epochChecks,
        };
        command.SetAction(parse =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            if (CacheLocation.Resolve(parse.GetValue(cache)) is not var (directory, _))
            {
                stderr.WriteLine("dylink: precompile needs a cache directory: --cache DIR or DYLINK_CACHE (the default, ~/.cache/dylink, is off or unusable)");
                return DylinkCommand.UsageError;
            }

            var files = new List<string>();
            foreach (var path in parse.GetRequiredValue(paths))
            {
                if (Directory.Exists(path))
                {
                    files.AddRange(Directory.EnumerateFiles(path)
                        .Where(f => f.EndsWith(".wasm", StringComparison.Ordinal) || f.EndsWith(".so", StringComparison.Ordinal))
                        .Order(StringComparer.Ordinal));
                }
                else if (File.Exists(path))
                {
                    files.Add(path);
                }
                else
                {
                    throw new CliInputException($"{path}: no such file or directory");
                }
            }

            try
            {
                // Epoch checks are what --watch and --timeout add to the engine configuration.
                Precompiler.Precompile(files, new DynamicLinkerOptions { CacheDirectory = directory, AllowReloadWhileRunning = parse.GetValue(epochChecks) });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliInputException($"cannot read: {e.Message}", e);
            }

            foreach (var file in files)
            {
                parse.InvocationConfiguration.Output.WriteLine($"compiled {file}");
            }

            parse.InvocationConfiguration.Output.WriteLine($"{files.Count} modules in {directory}");
            return DylinkCommand.Ok;
        });
        return command;
    }
}
