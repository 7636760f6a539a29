using System.Diagnostics;
using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Linking.Tests;

/// <summary>Issue 13, item 2: a library file is opened once, and what was opened is checked and read.</summary>
public sealed class ModuleFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dylink-files").FullName;

    private static LinkException Fails(Func<LinkPlan> plan) => Assert.Throws<LinkException>(() => plan());

    private static byte[] Library(string export) =>
        Wasmtime.Module.ConvertText(Side($"""(func (export "{export}")) """));

    [Fact]
    public void SymlinkFlippedWhileLoading_NeverLoadsTheOutsideFile()
    {
        var allowed = Directory.CreateDirectory(Path.Combine(_dir, "allowed")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
        var inside = Path.Combine(allowed, "libin.so");
        var evil = Path.Combine(outside, "libout.so");
        File.WriteAllBytes(inside, Library("inside"));
        File.WriteAllBytes(evil, Library("outside"));
        var link = Path.Combine(allowed, "liblink.so");
        File.CreateSymbolicLink(link, inside);
        var options = new LinkOptions { SearchPaths = [allowed], AllowedDirectories = [allowed], Libraries = ["liblink.so"] };
        var refusal = $"liblink.so: {link} is outside the allowed library directories ({allowed}) (requested by -l)";

        using var stop = new CancellationTokenSource();
        var flipper = new Thread(() =>
        {
            // rename(2) replaces the link atomically: the name always exists, pointing inside or outside.
            var temporary = Path.Combine(allowed, "liblink.tmp");
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                File.CreateSymbolicLink(temporary, i % 2 == 0 ? evil : inside);
                File.Move(temporary, link, overwrite: true);
            }
        });
        flipper.Start();
        int loadedInside = 0, refused = 0;
        try
        {
            for (var i = 0; i < 3000; i++)
            {
                try
                {
                    var module = Assert.Single(LinkPlanner.PlanHosted(options).Modules).Module;
                    Assert.Equal("inside", Assert.Single(module.Exports).Name);
                    loadedInside++;
                }
                catch (LinkException e)
                {
                    Assert.Equal(refusal, Assert.Single(e.Errors));
                    refused++;
                }
            }
        }
        finally
        {
            stop.Cancel();
            flipper.Join();
        }

        // Both outcomes are expected; how often each comes depends on the scheduler, so only the total is asserted.
        Assert.Equal(3000, loadedInside + refused);
    }

    [Fact]
    public void DevZero_IsRefusedBeforeAnyRead()
    {
        var e = Fails(() => LinkPlanner.PlanHosted(new LinkOptions { Libraries = ["/dev/zero"], MaxFileSize = 100_000 }));
        Assert.Equal<string>(["/dev/zero: /dev/zero is a character device, not a regular file (requested by -l)"], e.Errors);
    }

    [Fact]
    public void DevZero_AsTheMain_IsRefused()
    {
        var e = Fails(() => LinkPlanner.Plan("/dev/zero", new LinkOptions()));
        Assert.Equal<string>(["/dev/zero is a character device, not a regular file"], e.Errors);
    }

    [Fact]
    public async Task Fifo_IsRefusedWithoutHanging()
    {
        var fifo = Path.Combine(_dir, "libfifo.so");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // Without O_NONBLOCK the open waits for a writer that never comes; the bound only keeps a regression from
        // hanging the test run.
        var plan = Task.Run(() => LinkPlanner.PlanHosted(new LinkOptions { SearchPaths = [_dir], AllowedDirectories = [_dir], Libraries = ["libfifo.so"] }));
        var e = await Assert.ThrowsAsync<LinkException>(() => plan.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal<string>([$"libfifo.so: {fifo} is a FIFO, not a regular file (requested by -l)"], e.Errors);
    }

    [Fact]
    public void Directory_IsRefused()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_dir, "libdir.so")).FullName;
        var e = Fails(() => LinkPlanner.PlanHosted(new LinkOptions { SearchPaths = [_dir], Libraries = ["libdir.so"] }));
        Assert.Equal<string>([$"libdir.so: {directory} is a directory (requested by -l)"], e.Errors);
    }

    [Fact]
    public void FileClaimingZeroBytes_IsReadOnlyUpToTheLimit()
    {
        // Files in /proc claim a size of 0 whatever they hold; this one holds more than 100 bytes.
        var e = Fails(() => LinkPlanner.PlanHosted(new LinkOptions { Libraries = ["/proc/self/maps"], MaxFileSize = 100 }));
        Assert.Equal<string>(["/proc/self/maps: /proc/self/maps has more than 100 bytes, the limit, though its size reads 0 (requested by -l)"], e.Errors);
    }

    [Fact]
    public void MainOverTheLibrarySizeLimit_IsRead()
    {
        // MaxFileSize (--max-file-size) limits libraries; the main is the host's choice.
        var main = Path.Combine(_dir, "main.wasm");
        File.WriteAllBytes(main, Library("f"));
        Assert.Single(LinkPlanner.Plan(main, new LinkOptions { MaxFileSize = 10 }).Modules);
    }

    [Fact]
    public void FileAtTheLimit_IsRead()
    {
        var bytes = Library("f");
        File.WriteAllBytes(Path.Combine(_dir, "libexact.so"), bytes);
        var plan = LinkPlanner.PlanHosted(new LinkOptions { SearchPaths = [_dir], Libraries = ["libexact.so"], MaxFileSize = bytes.Length });
        Assert.Equal("f", Assert.Single(Assert.Single(plan.Modules).Module.Exports).Name);
    }

    [Fact]
    public void MemorySource_IsCheckedByNameAndSize()
    {
        // A source without files gets the interface's default: the sandbox by name, the size once read.
        var source = new InMemorySource().Add("liba.so", Side(""));
        var size = source.Read("/lib/liba.so").Length;
        var options = new LinkOptions { Source = source, SearchPaths = [Dir], Libraries = ["liba.so"] };
        Assert.Equal<string>(
            [$"liba.so: /lib/liba.so has {size} bytes, more than the limit of 10 (requested by -l)"],
            Fails(() => LinkPlanner.PlanHosted(options with { MaxFileSize = 10 })).Errors);
        Assert.Equal<string>(
            [$"liba.so: /lib/liba.so is outside the allowed library directories ({_dir}) (requested by -l)"],
            Fails(() => LinkPlanner.PlanHosted(options with { AllowedDirectories = [_dir] })).Errors);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
