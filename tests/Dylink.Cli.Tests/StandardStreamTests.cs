using System.Diagnostics;
using System.IO.Compression;
using System.Text;

namespace Dylink.Cli.Tests;

/// <summary>
/// <c>dylink run</c> passes the guest's standard streams through byte for byte (issue 13, item 4): binary output is not
/// decoded, an incomplete UTF-8 sequence at the end is kept, stdout and stderr interleave as written, and a trap loses
/// nothing already written. In-process (bytes to the writers' streams) and through the real process (inherited file
/// descriptors).
/// </summary>
public sealed class StandardStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dylink-streams-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every byte value, then a multi-byte character split across two writes, then an incomplete one at the end.</summary>
    private static readonly byte[][] AwkwardChunks =
    [
        [.. Enumerable.Range(0, 256).Select(i => (byte)i)],
        [0xC3],
        [0xA9, (byte)'\n', 0xFF, 0xFE, 0x80],
        [0xE2, 0x82],
    ];

    private static byte[] Gzip()
    {
        // Part text, part incompressible, so the stream holds every kind of byte and is not tiny.
        var random = new Random(13);
        var data = new byte[50_000];
        random.NextBytes(data);
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Optimal))
        {
            gzip.Write(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("hello, byte-exact world\n", 500))));
            gzip.Write(data);
        }

        return packed.ToArray();
    }

    [Fact]
    public void Run_Stdout_IsByteExact_AllByteValues_SplitAndIncompleteSequences()
    {
        var writes = AwkwardChunks.Select(c => (1, c)).ToArray();
        var (code, stdout, stderr) = CliRunner.RunBytes("run", Guest(writes));
        Assert.Equal("", Encoding.UTF8.GetString(stderr));
        Assert.Equal(0, code);
        Assert.Equal(Concat(writes), stdout);
    }

    [Fact]
    public void Run_Stdout_GzipStream_DecompressesToWhatWasPacked()
    {
        var gzip = Gzip();
        var (code, stdout, _) = CliRunner.RunBytes("run", Guest([(1, gzip[..1000]), (1, gzip[1000..])]));
        Assert.Equal(0, code);
        Assert.Equal(gzip, stdout);
        using var unpacked = new GZipStream(new MemoryStream(stdout), CompressionMode.Decompress);
        using var text = new StreamReader(unpacked);
        Assert.StartsWith("hello, byte-exact world\n", text.ReadToEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Stderr_IsByteExact()
    {
        var writes = AwkwardChunks.Select(c => (2, c)).Append((2, Gzip())).ToArray();
        var (code, stdout, stderr) = CliRunner.RunBytes("run", Guest(writes));
        Assert.Empty(stdout);
        Assert.Equal(0, code);
        Assert.Equal(Concat(writes), stderr);
    }

    [Fact]
    public void Run_StdoutAndStderrOnOneStream_InterleaveAsWritten()
    {
        (int, byte[])[] writes = [(1, "out 1\n"u8.ToArray()), (2, "err 1\n"u8.ToArray()), (1, [0xC3]), (2, [0xFF]), (1, [0xA9, 0x0A]), (2, "err 2"u8.ToArray())];
        var (code, both) = CliRunner.RunBytesTogether("run", Guest(writes));
        Assert.Equal(0, code);
        Assert.Equal(Concat(writes), both);
    }

    [Fact]
    public void Run_Trap_KeepsEveryByteWritten_ThenDylinksLine()
    {
        var main = Guest([(1, [0x61, 0xE2, 0x82]), (2, [0x62, 0xC3])], trap: true);
        var (code, both) = CliRunner.RunBytesTogether("run", main);
        Assert.Equal(134, code);
        var line = Encoding.UTF8.GetBytes($"dylink: {main}: the program trapped: ");
        Assert.Equal([0x61, 0xE2, 0x82, 0x62, 0xC3, .. line], both[..(5 + line.Length)]);
    }

    [Fact]
    public void Run_ThroughTheProcess_StdoutToAFile_IsByteExact()
    {
        var gzip = Gzip();
        (int, byte[])[] writes = [.. AwkwardChunks.Select(c => (1, c)), (1, gzip)];
        var (code, stdout, stderr) = RunProcess(Guest(writes), "", redirectErrorToOutput: false);
        Assert.Equal("", Encoding.UTF8.GetString(stderr));
        Assert.Equal(0, code);
        Assert.Equal(Concat(writes), stdout);
    }

    [Fact]
    public void Run_ThroughTheProcess_StderrToAFile_IsByteExact_AndInterleavesWithStdout()
    {
        (int, byte[])[] writes = [.. AwkwardChunks.Select((c, i) => (1 + (i % 2), c)), (2, Gzip())];
        var (code, both, _) = RunProcess(Guest(writes), "", redirectErrorToOutput: true);
        Assert.Equal(0, code);
        Assert.Equal(Concat(writes), both);
    }

    [Fact]
    public void Run_ThroughTheProcess_StdinFromAFile_ReachesTheGuestByteExact()
    {
        var input = Concat([.. AwkwardChunks.Select(c => (0, c)), (0, Gzip())]);
        var inputPath = Path.Combine(_dir, "input.bin");
        File.WriteAllBytes(inputPath, input);
        var (code, stdout, stderr) = RunProcess(Copier(), inputPath, redirectErrorToOutput: false);
        Assert.Equal("", Encoding.UTF8.GetString(stderr));
        Assert.Equal(0, code);
        Assert.Equal(input, stdout);
    }

    [Fact]
    public void Run_ThroughTheProcess_Trap_KeepsTheBytesWrittenBefore()
    {
        var main = Guest([(1, [0x00, 0xFF, 0xE2, 0x82])], trap: true);
        var (code, stdout, stderr) = RunProcess(main, "", redirectErrorToOutput: false);
        Assert.Equal(134, code);
        Assert.Equal([0x00, 0xFF, 0xE2, 0x82], stdout);
        Assert.StartsWith($"dylink: {main}: the program trapped: ", Encoding.UTF8.GetString(stderr), StringComparison.Ordinal);
    }

    private static byte[] Concat(IEnumerable<(int Fd, byte[] Bytes)> writes) => [.. writes.SelectMany(w => w.Bytes)];

    /// <summary>A WASI command that writes each chunk with one <c>fd_write</c> to its descriptor, in order.</summary>
    private string Guest((int Fd, byte[] Bytes)[] writes, bool trap = false)
    {
        var data = new StringBuilder();
        var code = new StringBuilder();
        var offset = 16;
        foreach (var (fd, bytes) in writes)
        {
            data.Append($"(data (i32.const {offset}) \"{Escape(bytes)}\")\n");
            code.Append($"(i32.store (i32.const 0) (i32.const {offset})) (i32.store (i32.const 4) (i32.const {bytes.Length}))\n");
            code.Append($"(if (i32.ne (call $fd_write (i32.const {fd}) (i32.const 0) (i32.const 1) (i32.const 8)) (i32.const 0)) (then unreachable))\n");
            code.Append($"(if (i32.ne (i32.load (i32.const 8)) (i32.const {bytes.Length})) (then unreachable))\n");
            offset += bytes.Length;
        }

        return Save($$"""
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") {{(offset / 65536) + 1}})
              {{data}}
              (func (export "_start") {{code}} {{(trap ? "unreachable" : "")}}))
            """);
    }

    /// <summary>A WASI command that copies its standard input to its standard output.</summary>
    private string Copier() => Save("""
        (module
          (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 2)
          (func (export "_start")
            (loop $copy
              (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 65536))
              (if (i32.ne (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)) (i32.const 0)) (then unreachable))
              (if (i32.eqz (i32.load (i32.const 8))) (then return))
              (i32.store (i32.const 4) (i32.load (i32.const 8)))
              (if (i32.ne (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)) (i32.const 0)) (then unreachable))
              (if (i32.ne (i32.load (i32.const 12)) (i32.load (i32.const 8))) (then unreachable))
              (br $copy))))
        """);

    private string Save(string wat)
    {
        var path = Path.Combine(_dir, $"guest{Directory.GetFiles(_dir, "*.wasm").Length}.wasm");
        File.WriteAllBytes(path, Wasmtime.Module.ConvertText(wat));
        return path;
    }

    private static string Escape(byte[] bytes) => string.Concat(bytes.Select(b => $"\\{b:x2}"));

    /// <summary>
    /// Runs the built dylink as a process whose stdout and stderr are files (and stdin <paramref name="stdin"/>, or
    /// /dev/null), as a shell redirection makes them, so the guest writes to inherited descriptors.
    /// </summary>
    private (int Code, byte[] Stdout, byte[] Stderr) RunProcess(string main, string stdin, bool redirectErrorToOutput)
    {
        var (outPath, errPath) = (Path.Combine(_dir, "stdout.bin"), Path.Combine(_dir, "stderr.bin"));
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(redirectErrorToOutput
            ? "exec \"$0\" \"$1\" run \"$2\" <\"$3\" >\"$4\" 2>&1"
            : "exec \"$0\" \"$1\" run \"$2\" <\"$3\" >\"$4\" 2>\"$5\"");
        foreach (var arg in new[] { DotnetHost(), DylinkDll(), main, stdin.Length > 0 ? stdin : "/dev/null", outPath, errPath })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "dylink did not finish");
        return (process.ExitCode, File.ReadAllBytes(outPath), File.Exists(errPath) ? File.ReadAllBytes(errPath) : []);
    }

    private static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>The dylink.dll this test project was built with (its runtimeconfig beside it makes it runnable).</summary>
    private static string DylinkDll()
    {
        var dll = typeof(DylinkCommand).Assembly.Location;
        Assert.True(File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")), $"no runtimeconfig beside {dll}");
        return dll;
    }
}
