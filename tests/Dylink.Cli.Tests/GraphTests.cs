using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;
using Dylink.Tests;

namespace Dylink.Cli.Tests;

/// <summary><c>dylink ldd --graph dot|svg</c>: the dependency and binding graph as a picture.</summary>
public class GraphTests
{
    private static readonly string Diamond = Fixtures.PathOf("e2e/needed_diamond/main.wasm");
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static string Graph(string format, params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(["ldd", "--graph", format, .. args]);
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        return stdout;
    }

    [Fact]
    public void Dot_HasEveryModuleNeededEdgesSolidAndBindingsCounted()
    {
        var lines = Graph("dot", Diamond).Split('\n');
        Assert.Equal("digraph dylink {", lines[0]);
        Assert.Contains("  m0 [label=\"main.wasm\\nmain (non-PIE)\", fillcolor=\"#dbe8ff\", penwidth=2];", lines);
        Assert.Contains("  m3 [label=\"libdia_base.so\\n8 bytes, 0 slots\"];", lines);
        Assert.Contains("  m0 -> m1 [label=\"2 func\", style=solid];", lines);
        Assert.Contains("  m1 -> m3 [label=\"1 data, 1 func\", style=solid];", lines);
        Assert.Contains("  m2 -> m3 [label=\"1 data, 1 func\", style=solid];", lines);
        // WASI imports are bound to the host, without a NEEDED entry: dashed.
        Assert.Contains(lines, l => l.StartsWith("  m0 -> host [label=\"", StringComparison.Ordinal) && l.EndsWith("style=dashed];", StringComparison.Ordinal));
        Assert.Equal("}", lines[^2]);
    }

    [Fact]
    public void Dot_ABindingWithoutNeeded_IsDashed_AndCountsFunctionPointers()
    {
        // The PIE main's library calls back into the main, which it does not list in NEEDED.
        var dot = Graph("dot", Fixtures.PathOf("e2e/pie/main.wasm"));
        Assert.Contains("  m0 -> m1 [label=\"1 data, 4 func\", style=solid];", dot, StringComparison.Ordinal);
        Assert.Contains("  m1 -> m0 [label=\"1 &func, 1 data, 1 func\", style=dashed];", dot, StringComparison.Ordinal);
    }

    [Fact]
    public void Dot_IsAcceptedByGraphviz_WhenInstalled()
    {
        var dot = Graph("dot", Diamond);
        // CI installs graphviz; without it this test still checks the structure every DOT reader needs.
        Assert.Equal(dot.Count(c => c == '{'), dot.Count(c => c == '}'));
        var declared = dot.Split('\n').Where(l => l.Contains(" [label=", StringComparison.Ordinal) && !l.Contains("->", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0]).ToHashSet();
        foreach (var edge in dot.Split('\n').Where(l => l.Contains("->", StringComparison.Ordinal)))
        {
            var parts = edge.Trim().Split(' ');
            Assert.Contains(parts[0], declared);
            Assert.Contains(parts[2], declared);
        }

        var graphviz = FindOnPath("dot");
        if (graphviz is null)
        {
            return;
        }

        var psi = new ProcessStartInfo(graphviz, "-Tsvg") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        process.StandardInput.Write(dot);
        process.StandardInput.Close();
        var svg = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);
        Assert.Equal("", errors);
        var rendered = XDocument.Parse(svg);
        Assert.Equal(5, rendered.Descendants(Svg + "g").Count(g => (string?)g.Attribute("class") == "node"));
        Assert.Equal(5, rendered.Descendants(Svg + "g").Count(g => (string?)g.Attribute("class") == "edge"));
    }

    [Fact]
    public void Svg_DrawsEveryModuleAndEdge_WithoutOverlappingBoxes()
    {
        var svg = XDocument.Parse(Graph("svg", Diamond));
        var root = svg.Root!;
        Assert.Equal(Svg + "svg", root.Name);
        var width = double.Parse((string)root.Attribute("width")!, CultureInfo.InvariantCulture);
        var height = double.Parse((string)root.Attribute("height")!, CultureInfo.InvariantCulture);
        var nodes = root.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "node").ToList();
        Assert.Equal(["main.wasm", "libdia_a.so", "libdia_b.so", "libdia_base.so", "host"], nodes.Select(n => (string)n.Attribute("data-name")!));
        var boxes = nodes.Select(n => n.Element(Svg + "rect")!).Select(r => (
            X: Number(r, "x"), Y: Number(r, "y"), W: Number(r, "width"), H: Number(r, "height"))).ToList();
        foreach (var b in boxes)
        {
            Assert.InRange(b.X, 0, width - b.W);
            Assert.InRange(b.Y, 0, height - b.H);
        }

        for (var i = 0; i < boxes.Count; i++)
        {
            for (var j = i + 1; j < boxes.Count; j++)
            {
                var (a, b) = (boxes[i], boxes[j]);
                var apart = a.X + a.W <= b.X || b.X + b.W <= a.X || a.Y + a.H <= b.Y || b.Y + b.H <= a.Y;
                Assert.True(apart, $"boxes {i} and {j} overlap");
            }
        }

        // The main is above the libraries it needs, and they are above the library they both need.
        Assert.True(boxes[0].Y < boxes[1].Y && boxes[1].Y == boxes[2].Y && boxes[2].Y < boxes[3].Y);
        var edges = root.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "edge")
            .Select(g => ((string)g.Attribute("data-from")!, (string)g.Attribute("data-to")!, (string)g.Attribute("data-needed")!, g.Element(Svg + "path")!))
            .ToList();
        Assert.Equal(5, edges.Count);
        Assert.Contains(("libdia_a.so", "libdia_base.so", "true"), edges.Select(e => (e.Item1, e.Item2, e.Item3)));
        Assert.Contains(("main.wasm", "host", "false"), edges.Select(e => (e.Item1, e.Item2, e.Item3)));
        Assert.All(edges.Where(e => e.Item3 == "false"), e => Assert.NotNull(e.Item4.Attribute("stroke-dasharray")));
    }

    [Fact]
    public void Svg_EscapesNamesForXml()
    {
        var dir = Directory.CreateTempSubdirectory("dylink-graph").FullName;
        try
        {
            var main = Path.Combine(dir, "a&b<main>.wasm");
            File.Copy(Fixtures.PathOf("e2e/pie/main.wasm"), main);
            File.Copy(Fixtures.PathOf("e2e/pie/libpie_side.so"), Path.Combine(dir, "libpie_side.so"));
            var svg = XDocument.Parse(Graph("svg", main));
            Assert.Contains(svg.Descendants(Svg + "g"), g => (string?)g.Attribute("data-name") == "a&b<main>.wasm");
            Assert.Contains("a&amp;b&lt;main&gt;.wasm", Graph("svg", main), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Graph_OtherFormats_AreAUsageError()
    {
        var (code, stdout, stderr) = CliRunner.Run("ldd", "--graph", "png", Diamond);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("dylink: Argument 'png' not recognized. Must be one of:", stderr, StringComparison.Ordinal);
    }

    private static double Number(XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
