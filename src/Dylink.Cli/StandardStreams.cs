using System.Text;
using Wasmtime;

namespace Dylink.Cli;

/// <summary>
/// Where a command's output goes: Dylink's own text (<see cref="Output"/>, <see cref="Error"/>) and the standard
/// streams of the program <c>dylink run</c> runs, whose bytes must arrive unchanged and in the order written (a gzip
/// stream piped to a file, raw bytes from a script).
/// </summary>
public sealed class StandardStreams
{
    private readonly bool _inherited;

    /// <summary>
    /// Writers for Dylink's text; the guest's bytes go to each writer's underlying stream when it is a
    /// <see cref="StreamWriter"/> (the writer is flushed first, so Dylink's lines and the guest's bytes keep their
    /// order). Any other writer (a <see cref="StringWriter"/>, say) can hold only text: the guest's bytes are decoded
    /// as UTF-8 there, invalid sequences replaced.
    /// </summary>
    public StandardStreams(TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        (Output, Error) = (output, error);
    }

    private StandardStreams(TextWriter output, TextWriter error, bool inherited)
        : this(output, error) => _inherited = inherited;

    /// <summary>The process's own standard streams: the guest writes to file descriptors 1 and 2 directly.</summary>
    // Console's writers flush on every write, so Dylink's own lines are on the descriptor before the guest's next
    // bytes; nothing of the guest's is buffered in .NET, so nothing is lost at exit or at a trap.
    public static StandardStreams Process { get; } = new(Console.Out, Console.Error, inherited: true);

    /// <summary>Where Dylink's normal output goes.</summary>
    public TextWriter Output { get; }

    /// <summary>Where Dylink's diagnostics go.</summary>
    public TextWriter Error { get; }

    /// <summary>Connects the guest's standard streams: standard input is always the process's.</summary>
    internal WasiConfiguration ConnectGuest(WasiConfiguration config)
    {
        config = config.WithInheritedStandardInput();
        return _inherited
            ? config.WithInheritedStandardOutput().WithInheritedStandardError()
            : config.WithStandardOutputCallback(Sink(Output)).WithStandardErrorCallback(Sink(Error));
    }

    /// <summary>
    /// Runs a tool (clang for <c>dylink cc</c>) with these streams and returns its exit code: it inherits the process's
    /// descriptors, or its standard output and error are copied byte for byte to the writers as a guest's are, so
    /// that its messages pass through unchanged. Its standard input is the process's.
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The program cannot be started.</exception>
    internal int RunTool(string program, IEnumerable<string> arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(program, arguments)
        {
            UseShellExecute = false,
            RedirectStandardOutput = !_inherited,
            RedirectStandardError = !_inherited,
        };
        Flush();
        using var process = System.Diagnostics.Process.Start(start)!;
        if (!_inherited)
        {
            var copies = new[] { Copy(process.StandardOutput.BaseStream, Sink(Output)), Copy(process.StandardError.BaseStream, Sink(Error)) };
            Task.WaitAll(copies);
        }

        process.WaitForExit();
        return process.ExitCode;
    }

    private static Task Copy(Stream from, WasiOutputCallback to) => Task.Run(() =>
    {
        var buffer = new byte[16384];
        int read;
        while ((read = from.Read(buffer)) > 0)
        {
            to(buffer.AsSpan(0, read));
        }
    });

    /// <summary>Flushes Dylink's own text (the guest's bytes are never held back).</summary>
    internal void Flush()
    {
        Output.Flush();
        Error.Flush();
    }

    private static WasiOutputCallback Sink(TextWriter writer)
    {
        if (writer is StreamWriter { BaseStream: var stream })
        {
            return bytes =>
            {
                // Locked on the writer: output and error may be one writer, and Dylink's own lines go through it.
                lock (writer)
                {
                    writer.Flush();
                    stream.Write(bytes);
                    // Through to the descriptor now, as an inherited one would be: a trap or a crash loses nothing.
                    stream.Flush();
                }
            };
        }

        var decoder = Encoding.UTF8.GetDecoder();
        return bytes =>
        {
            var chars = new char[decoder.GetCharCount(bytes, flush: false)];
            var count = decoder.GetChars(bytes, chars, flush: false);
            lock (writer)
            {
                writer.Write(chars, 0, count);
            }
        };
    }
}
