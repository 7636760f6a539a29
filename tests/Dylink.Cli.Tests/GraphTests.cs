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

    public static TheoryData<string> SvgFixtures() =>
    [
        "e2e/needed_diamond/main.wasm", "e2e/pie/main.wasm", "e2e/mutual_recursion/main.wasm",
        "e2e/global_var/main.wasm", "e2e/funcptr_equality/main.wasm", "e2e/ctor_order/main.wasm",
        "dl/ctor_at_startup/main.wasm",
    ];

    [Theory]
    [MemberData(nameof(SvgFixtures))]
    public void Svg_Legend_IsDrawnInsideThePicture(string fixture)
    {
        var root = XDocument.Parse(Graph("svg", Fixtures.PathOf(fixture))).Root!;
        var view = ViewBox(root);
        var legend = Assert.Single(root.Elements(Svg + "g"), g => (string?)g.Attribute("class") == "legend");
        var texts = legend.Elements(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains(texts, t => t.Contains("NEEDED", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("global scope", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.StartsWith("host:", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("by kind", StringComparison.Ordinal));
        // A solid and a dashed sample, each beside its line of text.
        var samples = legend.Elements(Svg + "path").ToList();
        Assert.Equal(2, samples.Count);
        Assert.Null(samples[0].Attribute("stroke-dasharray"));
        Assert.NotNull(samples[1].Attribute("stroke-dasharray"));
        var frame = Rect(legend.Element(Svg + "rect")!);
        Assert.True(Contains(view, frame), $"legend {frame} outside {view}");
        foreach (var t in legend.Elements(Svg + "text"))
        {
            Assert.True(Contains(frame, (Number(t, "x"), Number(t, "y") - 1, 1, 1)), $"legend text '{t.Value}' outside its frame");
        }

        // Nothing of the graph is drawn over the legend.
        foreach (var node in Nodes(root))
        {
            Assert.False(Overlap(node, frame), "a node box overlaps the legend");
        }
    }

    [Theory]
    [MemberData(nameof(SvgFixtures))]
    public void Svg_EdgeLabels_SitBesideTheirEdge_ClearOfBoxesAndEachOther(string fixture)
    {
        var root = XDocument.Parse(Graph("svg", Fixtures.PathOf(fixture))).Root!;
        var view = ViewBox(root);
        var nodes = Nodes(root);
        var legend = Rect(root.Elements(Svg + "g").Single(g => (string?)g.Attribute("class") == "legend").Element(Svg + "rect")!);
        var paths = root.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "edge")
            .ToDictionary(g => ((string)g.Attribute("data-from")!, (string)g.Attribute("data-to")!), g => Curve((string)g.Element(Svg + "path")!.Attribute("d")!));
        var labels = root.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "edge-label")
            .Select(g => (Edge: ((string)g.Attribute("data-from")!, (string)g.Attribute("data-to")!), Box: Rect(g.Element(Svg + "rect")!), Text: g.Element(Svg + "text")!))
            .ToList();
        // Every edge that binds something has its label (the DOT output holds the same counts).
        var counted = Graph("dot", Fixtures.PathOf(fixture)).Split('\n').Count(l => l.Contains("-> ", StringComparison.Ordinal) && l.Contains("label=", StringComparison.Ordinal));
        Assert.Equal(counted, labels.Count);
        for (var i = 0; i < labels.Count; i++)
        {
            var (edge, box, text) = labels[i];
            Assert.True(Contains(view, box), $"label of {edge} at {box} is outside {view}");
            Assert.False(Overlap(box, legend), $"label of {edge} covers the legend");
            Assert.True(Contains(box, (Number(text, "x") - 1, Number(text, "y") - 1, 2, 2)), $"text of {edge} is off its background");
            Assert.All(nodes, n => Assert.False(Overlap(n, box), $"label of {edge} at {box} overlaps node box {n}"));
            for (var j = i + 1; j < labels.Count; j++)
            {
                Assert.False(Overlap(box, labels[j].Box), $"labels of {edge} and {labels[j].Edge} overlap");
            }

            var nearest = paths[edge].Min(p => Distance(box, p));
            Assert.True(nearest >= 2, $"label of {edge} at {box} lies on its own edge ({nearest:0.#}px)");
            // Beside the edge, not lost somewhere else in the picture.
            Assert.True(nearest <= 60, $"label of {edge} at {box} is {nearest:0.#}px from its edge");
        }
    }

    private static (double X, double Y, double W, double H) ViewBox(XElement root)
    {
        var v = ((string)root.Attribute("viewBox")!).Split(' ').Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return (v[0], v[1], v[2], v[3]);
    }

    private static List<(double X, double Y, double W, double H)> Nodes(XElement root) =>
        root.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "node").Select(g => Rect(g.Element(Svg + "rect")!)).ToList();

    private static (double X, double Y, double W, double H) Rect(XElement r) => (Number(r, "x"), Number(r, "y"), Number(r, "width"), Number(r, "height"));

    private static bool Contains((double X, double Y, double W, double H) outer, (double X, double Y, double W, double H) inner) =>
        inner.X >= outer.X && inner.Y >= outer.Y && inner.X + inner.W <= outer.X + outer.W && inner.Y + inner.H <= outer.Y + outer.H;

    private static bool Overlap((double X, double Y, double W, double H) a, (double X, double Y, double W, double H) b) =>
        a.X < b.X + b.W && b.X < a.X + a.W && a.Y < b.Y + b.H && b.Y < a.Y + a.H;

    /// <summary>Distance from a point to a rectangle: 0 inside it.</summary>
    private static double Distance((double X, double Y, double W, double H) r, (double X, double Y) p)
    {
        var dx = Math.Max(Math.Max(r.X - p.X, 0), p.X - (r.X + r.W));
        var dy = Math.Max(Math.Max(r.Y - p.Y, 0), p.Y - (r.Y + r.H));
        return Math.Sqrt((dx * dx) + (dy * dy));
    }

    /// <summary>Points along a path "M x y Q cx cy x y" or "M x y C c1x c1y c2x c2y x y", 200 of them (under a pixel
    /// apart on these pictures).</summary>
    private static List<(double X, double Y)> Curve(string d)
    {
        var parts = d.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var n = parts.Where(p => double.TryParse(p, CultureInfo.InvariantCulture, out _)).Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var points = Enumerable.Range(0, n.Length / 2).Select(i => (X: n[2 * i], Y: n[(2 * i) + 1])).ToArray();
        Assert.Equal("M", parts[0]);
        Assert.Contains(parts[3], new[] { "Q", "C" });
        return Enumerable.Range(0, 201).Select(i => i / 200.0).Select(t => points.Length == 3
            ? (((1 - t) * (1 - t) * points[0].X) + (2 * t * (1 - t) * points[1].X) + (t * t * points[2].X),
               ((1 - t) * (1 - t) * points[0].Y) + (2 * t * (1 - t) * points[1].Y) + (t * t * points[2].Y))
            : ((Math.Pow(1 - t, 3) * points[0].X) + (3 * t * (1 - t) * (1 - t) * points[1].X) + (3 * t * t * (1 - t) * points[2].X) + (t * t * t * points[3].X),
               (Math.Pow(1 - t, 3) * points[0].Y) + (3 * t * (1 - t) * (1 - t) * points[1].Y) + (3 * t * t * (1 - t) * points[2].Y) + (t * t * t * points[3].Y))).ToList();
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
