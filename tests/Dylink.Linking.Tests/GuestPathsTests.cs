namespace Dylink.Linking.Tests;

/// <summary>The guest's view of library paths (<see cref="GuestPaths"/>): how a guest's dlopen name maps to the host.</summary>
public class GuestPathsTests
{
    private static readonly GuestDirectory[] View =
    [
        new("/srv/app", "/usr/local"),
        new("/srv/app-lib", "/usr/local/lib"),
        new("/home/me/work", "."),
    ];

    [Theory]
    [InlineData("/usr/local/lib/libx.so", "/srv/app-lib/libx.so")]          // the longest guest prefix wins
    [InlineData("/usr/local/share/libx.so", "/srv/app/share/libx.so")]
    [InlineData("/usr/local/lib/../share/./libx.so", "/srv/app/share/libx.so")]
    [InlineData("plugins/libx.so", "/home/me/work/plugins/libx.so")]        // relative: the "." directory
    [InlineData("./libx.so", "/home/me/work/libx.so")]
    [InlineData("/usr/localx/libx.so", null)]                              // a prefix is whole components
    [InlineData("/etc/libx.so", null)]
    [InlineData("/usr/local/../../etc/libx.so", null)]                     // .. never leaves the guest's root
    [InlineData("../libx.so", null)]
    public void HostPath_FollowsTheGuestsDirectories(string guest, string? host) =>
        Assert.Equal(host, GuestPaths.HostPath(View, guest));

    [Fact]
    public void RelativePath_WithoutADotDirectory_StartsAtTheRoot() =>
        Assert.Equal("/srv/app/libx.so", GuestPaths.HostPath([new GuestDirectory("/srv/app", "/")], "libx.so"));

    [Fact]
    public void Confine_BareName_SearchPathAndGuestDirectoriesOnly()
    {
        var options = new LinkOptions { SearchPaths = ["/opt/lib"], LibraryPath = ["/env/lib"], GuestDirectories = View };
        var (name, confined) = GuestPaths.Confine(options, "libx.so", "/srv/main")!.Value;
        Assert.Equal("libx.so", name);
        Assert.True(confined.ConcealRefusals);
        Assert.Equal(["/opt/lib", "/env/lib", "/srv/main", "/srv/app", "/srv/app-lib", "/home/me/work"], confined.AllowedDirectories);
    }

    [Fact]
    public void Confine_KeepsAnExplicitSandbox_AndHonoursTheOptOut()
    {
        var sandboxed = new LinkOptions { AllowedDirectories = ["/only"], GuestDirectories = View };
        Assert.Equal(["/only"], GuestPaths.Confine(sandboxed, "/usr/local/libx.so", null)!.Value.Options.AllowedDirectories);
        var open = new LinkOptions { AllowAnyLibraryPath = true };
        Assert.Equal(("/etc/libx.so", open with { Requester = LibraryRequester.Dlopen }), GuestPaths.Confine(open, "/etc/libx.so", null));
        Assert.Null(GuestPaths.Confine(new LinkOptions { GuestDirectories = View }, "/etc/libx.so", null));
    }

    [Fact]
    public void ConcealedRefusal_SaysNotFound_WithoutPaths()
    {
        var source = new InMemorySource().Add("libx.so", InMemorySource.Side(""));
        var options = new LinkOptions { Source = source, SearchPaths = [InMemorySource.Dir], AllowedDirectories = ["/other"], ConcealRefusals = true };
        var outside = Assert.Throws<LinkException>(() => LinkPlanner.PlanHosted(options with { Libraries = ["libx.so"] }));
        Assert.Equal(["libx.so: library not found (requested by -l)"], outside.Errors);
        var missing = Assert.Throws<LinkException>(() => LinkPlanner.PlanHosted(options with { Libraries = ["liby.so"] }));
        Assert.Equal(["liby.so: library not found (requested by -l)"], missing.Errors);
    }
}
