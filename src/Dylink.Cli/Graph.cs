using System.Globalization;
using System.Security;
using System.Text;
using Dylink.Linking;

namespace Dylink.Cli;

/// <summary>
/// <c>dylink ldd --graph</c>: the dependency and binding graph of a <see cref="LinkPlan"/>, as Graphviz DOT or as an
/// SVG picture drawn here (so a user needs no Graphviz to look at it).
/// </summary>
/// <remarks>
/// Two kinds of edge: NEEDED (solid: the module's <c>dylink.0</c> asks for the library) and bindings (dashed: the
/// module's imports that the other module provides, counted by kind). A binding that follows a NEEDED edge is drawn
/// on it, so the picture shows at a glance which libraries are used without being needed (found through the global
/// scope, as ELF does) and which are needed but unused.
/// </remarks>
internal static class Graph
{
    /// <summary>One node: a module of the plan, or the host (WASI and C# functions).</summary>
    private sealed record Node(string Id, string Label, string Detail, bool IsMain, bool IsHost);

    /// <summary>One edge: from the importing or needing module to the library or provider.</summary>
    private sealed record Edge(int From, int To, bool Needed, string Bindings);

    private sealed record Model(List<Node> Nodes, List<Edge> Edges);

    public static void WriteDot(LinkPlan plan, TextWriter w)
    {
        var model = Build(plan);
        w.WriteLine("digraph dylink {");
        w.WriteLine("  rankdir=TB;");
        w.WriteLine("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f6fb\", fontname=\"monospace\"];");
        foreach (var n in model.Nodes)
        {
            var fill = n.IsMain ? ", fillcolor=\"#dbe8ff\", penwidth=2" : n.IsHost ? ", fillcolor=\"#fff3d6\"" : string.Empty;
            w.WriteLine($"  {n.Id} [label=\"{DotEscape(n.Label)}\\n{DotEscape(n.Detail)}\"{fill}];");
        }

        foreach (var e in model.Edges)
        {
            var attributes = new List<string>();
            if (e.Bindings.Length > 0)
            {
                attributes.Add($"label=\"{DotEscape(e.Bindings)}\"");
            }

            attributes.Add(e.Needed ? "style=solid" : "style=dashed");
            w.WriteLine($"  {model.Nodes[e.From].Id} -> {model.Nodes[e.To].Id} [{string.Join(", ", attributes)}];");
        }

        w.WriteLine("}");
    }

    private const int CharWidth = 8, LineHeight = 16, LayerGap = 110, NodeGap = 40, Margin = 30;

    /// <summary>Width of one character of an edge label or legend line (11px monospace is about 6.6px wide; a
    /// little more so that a wider fallback font still fits its background).</summary>
    private const double SmallChar = 7, LabelHeight = 16;

    /// <summary>What the legend says, one line each after the samples; kept short enough not to widen most graphs.</summary>
    private static readonly string[] LegendLines =
    [
        "NEEDED: the module's dylink.0 lists the library",
        "binding without NEEDED (found in the global scope)",
        "host: WASI and C# functions the embedder provides",
        "edge labels: imports bound along the edge, by kind",
        "(func, data, tls, global, &func = function address, tag)",
    ];

    public static void WriteSvg(LinkPlan plan, TextWriter w)
    {
        var model = Build(plan);
        var boxes = Place(model, out var width, out var graphHeight);
        var ports = Ports(model, boxes);
        var legendWidth = 60 + (LegendLines.Max(l => l.Length) * SmallChar) + 16;
        width = Math.Max(width, legendWidth + (2 * Margin));
        var labels = PlaceLabels(model, boxes, ports, width, graphHeight);
        // The legend goes just under whatever is lowest (the last row leaves room for edges bending under it and
        // their labels, which most graphs do not use).
        var legendTop = boxes.Select(b => b.Y + b.H)
            .Concat(labels.OfType<Box>().Select(b => b.Y + b.H))
            .Concat(ports.Select(p => Math.Max(p.From.Item2, Math.Max(p.To.Item2, (p.From.Item2 + p.To.Item2 + (2 * p.Control.Item2)) / 4))))
            .DefaultIfEmpty(Margin).Max() + 16;
        var legendHeight = (LegendLines.Length * LabelHeight) + 16;
        var height = legendTop + legendHeight + Margin;
        var s = new StringBuilder();
        s.AppendLine(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:0}\" height=\"{height:0}\" viewBox=\"0 0 {width:0} {height:0}\" font-family=\"monospace\" font-size=\"13\">"));
        s.AppendLine("  <title>dylink ldd --graph: NEEDED (solid) and bindings (dashed)</title>");
        s.AppendLine("  <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#445\"/></marker></defs>");
        s.AppendLine("  <rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        for (var k = 0; k < model.Edges.Count; k++)
        {
            var e = model.Edges[k];
            var ((x1, y1), (x2, y2), (cx, cy)) = ports[k];
            var dash = e.Needed ? string.Empty : " stroke-dasharray=\"6 4\"";
            s.AppendLine(Invariant($"  <g class=\"edge\" data-from=\"{Xml(model.Nodes[e.From].Label)}\" data-to=\"{Xml(model.Nodes[e.To].Label)}\" data-needed=\"{(e.Needed ? "true" : "false")}\">"));
            s.AppendLine(Invariant($"    <path d=\"M {x1:0.#} {y1:0.#} Q {cx:0.#} {cy:0.#} {x2:0.#} {y2:0.#}\" fill=\"none\" stroke=\"#445\" stroke-width=\"1.4\"{dash} marker-end=\"url(#arrow)\"/>"));
            s.AppendLine("  </g>");
        }

        // Labels after every edge, each on a background, so that an edge crossing near a label does not hide it.
        for (var k = 0; k < model.Edges.Count; k++)
        {
            if (labels[k] is not { } b)
            {
                continue;
            }

            var e = model.Edges[k];
            s.AppendLine(Invariant($"  <g class=\"edge-label\" data-from=\"{Xml(model.Nodes[e.From].Label)}\" data-to=\"{Xml(model.Nodes[e.To].Label)}\">"));
            s.AppendLine(Invariant($"    <rect x=\"{b.X:0.#}\" y=\"{b.Y:0.#}\" width=\"{b.W:0.#}\" height=\"{b.H:0.#}\" rx=\"3\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#ccd\" stroke-width=\"0.8\"/>"));
            s.AppendLine(Invariant($"    <text x=\"{b.X + (b.W / 2):0.#}\" y=\"{b.Y + 12:0.#}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">{Xml(e.Bindings)}</text>"));
            s.AppendLine("  </g>");
        }

        for (var i = 0; i < model.Nodes.Count; i++)
        {
            var (n, b) = (model.Nodes[i], boxes[i]);
            var fill = n.IsMain ? "#dbe8ff" : n.IsHost ? "#fff3d6" : "#f4f6fb";
            s.AppendLine(Invariant($"  <g class=\"node\" data-name=\"{Xml(n.Label)}\">"));
            s.AppendLine(Invariant($"    <rect x=\"{b.X:0.#}\" y=\"{b.Y:0.#}\" width=\"{b.W:0.#}\" height=\"{b.H:0.#}\" rx=\"6\" fill=\"{fill}\" stroke=\"#334\" stroke-width=\"{(n.IsMain ? 2 : 1)}\"/>"));
            s.AppendLine(Invariant($"    <text x=\"{b.X + 10:0.#}\" y=\"{b.Y + LineHeight + 2:0.#}\" font-weight=\"bold\">{Xml(n.Label)}</text>"));
            s.AppendLine(Invariant($"    <text x=\"{b.X + 10:0.#}\" y=\"{b.Y + (2 * LineHeight) + 4:0.#}\" font-size=\"11\" fill=\"#555\">{Xml(n.Detail)}</text>"));
            s.AppendLine("  </g>");
        }

        WriteLegend(s, Margin, legendTop, legendWidth, legendHeight);
        s.AppendLine("</svg>");
        w.Write(s.ToString());
    }

    /// <summary>The legend under the graph: a sample of each edge style and of the host box, then how labels count.
    /// The <c>title</c> alone is invisible in most viewers.</summary>
    private static void WriteLegend(StringBuilder s, double x, double y, double width, double height)
    {
        s.AppendLine("  <g class=\"legend\" font-size=\"11\" fill=\"#333\">");
        s.AppendLine(Invariant($"    <rect x=\"{x:0.#}\" y=\"{y:0.#}\" width=\"{width:0.#}\" height=\"{height:0.#}\" rx=\"4\" fill=\"#fafafa\" stroke=\"#ccd\"/>"));
        double Line(int i) => y + 8 + (i * LabelHeight) + (LabelHeight / 2);
        var sample = (From: x + 10, To: x + 48);
        s.AppendLine(Invariant($"    <path d=\"M {sample.From:0.#} {Line(0):0.#} H {sample.To:0.#}\" stroke=\"#445\" stroke-width=\"1.4\" marker-end=\"url(#arrow)\"/>"));
        s.AppendLine(Invariant($"    <path d=\"M {sample.From:0.#} {Line(1):0.#} H {sample.To:0.#}\" stroke=\"#445\" stroke-width=\"1.4\" stroke-dasharray=\"6 4\" marker-end=\"url(#arrow)\"/>"));
        s.AppendLine(Invariant($"    <rect x=\"{sample.From:0.#}\" y=\"{Line(2) - 6:0.#}\" width=\"{sample.To - sample.From:0.#}\" height=\"12\" rx=\"3\" fill=\"#fff3d6\" stroke=\"#334\"/>"));
        s.AppendLine(Invariant($"    <rect x=\"{sample.From - 4:0.#}\" y=\"{Line(3) - 7:0.#}\" width=\"50\" height=\"14\" rx=\"3\" fill=\"white\" stroke=\"#ccd\" stroke-width=\"0.8\"/>"));
        s.AppendLine(Invariant($"    <text x=\"{sample.From + 21:0.#}\" y=\"{Line(3) + 4:0.#}\" text-anchor=\"middle\">2 func</text>"));
        for (var i = 0; i < LegendLines.Length; i++)
        {
            s.AppendLine(Invariant($"    <text x=\"{x + 60:0.#}\" y=\"{Line(i) + 4:0.#}\">{Xml(LegendLines[i])}</text>"));
        }

        s.AppendLine("  </g>");
    }

    /// <summary>A box for each edge's label, beside its curve: the first of a list of candidates (along the curve from
    /// its middle outwards, on either side, further and further off) that stays inside the graph, clear of every node
    /// box, every label already placed and its own curve, as near the curve as that allows and then preferring one
    /// that fewest other edges cross. An edge whose
    /// label fits nowhere gets none rather than one drawn over a box: the counts are also in DOT and <c>--bindings</c>.</summary>
    private static Box?[] PlaceLabels(Model model, Box[] boxes, ((double X, double Y) From, (double X, double Y) To, (double X, double Y) Control)[] ports, double width, double height)
    {
        var curves = ports.Select(p => Sample(p.From, p.Control, p.To)).ToArray();
        var placed = new Box?[model.Edges.Count];
        // Edges with longer labels first: they have the fewest places to go.
        foreach (var k in Enumerable.Range(0, model.Edges.Count).Where(k => model.Edges[k].Bindings.Length > 0)
                     .OrderByDescending(k => model.Edges[k].Bindings.Length).ThenBy(k => k))
        {
            var (w, h) = ((model.Edges[k].Bindings.Length * SmallChar) + 10, LabelHeight);
            var (from, to, control) = ports[k];
            Box? best = null;
            var bestCrossings = int.MaxValue;
            foreach (var gap in new[] { 5.0, 14, 28, 48 })
            {
                foreach (var t in new[] { 0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.15, 0.85 })
                {
                    var p = Point(from, control, to, t);
                    var (dx, dy) = Tangent(from, control, to, t);
                    var length = Math.Max(Math.Sqrt((dx * dx) + (dy * dy)), 1e-9);
                    var (nx, ny) = (-dy / length, dx / length);
                    // How far the box reaches along the normal from its centre, so that its near side is gap away.
                    var reach = (Math.Abs(nx) * w / 2) + (Math.Abs(ny) * h / 2);
                    foreach (var side in new[] { 1, -1 })
                    {
                        var (cx, cy) = (p.X + (side * nx * (gap + reach)), p.Y + (side * ny * (gap + reach)));
                        var box = new Box(cx - (w / 2), cy - (h / 2), w, h);
                        if (box.X < 2 || box.Y < 2 || box.X + box.W > width - 2 || box.Y + box.H > height - 2
                            || boxes.Any(b => Overlap(b, box, 3)) || placed.Any(b => b is not null && Overlap(b, box, 2))
                            || curves[k].Any(q => Inside(box, q, 3)))
                        {
                            continue;
                        }

                        var crossings = Enumerable.Range(0, curves.Length).Count(j => j != k && curves[j].Any(q => Inside(box, q, 1)));
                        if (crossings < bestCrossings)
                        {
                            (best, bestCrossings) = (box, crossings);
                        }
                    }
                }

                // Nearer its own edge beats clear of others: the background keeps a crossed label legible, while a
                // label far off is hard to match with its edge.
                if (best is not null)
                {
                    break;
                }
            }

            placed[k] = best;
        }

        return placed;
    }

    private static (double X, double Y) Point((double X, double Y) a, (double X, double Y) c, (double X, double Y) b, double t) =>
        (((1 - t) * (1 - t) * a.X) + (2 * t * (1 - t) * c.X) + (t * t * b.X), ((1 - t) * (1 - t) * a.Y) + (2 * t * (1 - t) * c.Y) + (t * t * b.Y));

    private static (double X, double Y) Tangent((double X, double Y) a, (double X, double Y) c, (double X, double Y) b, double t) =>
        ((2 * (1 - t) * (c.X - a.X)) + (2 * t * (b.X - c.X)), (2 * (1 - t) * (c.Y - a.Y)) + (2 * t * (b.Y - c.Y)));

    /// <summary>Points along a quadratic curve, close enough (every few pixels on these graphs) to test a box against.</summary>
    private static (double X, double Y)[] Sample((double X, double Y) a, (double X, double Y) c, (double X, double Y) b) =>
        Enumerable.Range(0, 121).Select(i => Point(a, c, b, i / 120.0)).ToArray();

    private static bool Overlap(Box a, Box b, double pad) =>
        a.X - pad < b.X + b.W && b.X - pad < a.X + a.W && a.Y - pad < b.Y + b.H && b.Y - pad < a.Y + a.H;

    private static bool Inside(Box b, (double X, double Y) p, double pad) =>
        p.X > b.X - pad && p.X < b.X + b.W + pad && p.Y > b.Y - pad && p.Y < b.Y + b.H + pad;

    /// <summary>Boxes in rows (see <see cref="Layers"/>), each row centred; the host, which every module may bind to,
    /// gets a column of its own on the right so that its edges do not cross the libraries.</summary>
    private static Box[] Place(Model model, out double width, out double height)
    {
        var layers = Layers(model);
        var boxes = new Box[model.Nodes.Count];
        var rows = layers.GroupBy(l => l.Value).OrderBy(g => g.Key).ToList();
        // Edges up or within a row bend out to the left (the host column is on the right): leave room for them
        // and their labels.
        var upward = model.Edges.Where(e => !model.Nodes[e.To].IsHost && layers[e.To] <= layers[e.From]).ToList();
        var left = Margin + (upward.Count == 0 ? 0 : 70 + (upward.Max(e => e.Bindings.Length) * 7));
        width = 0;
        foreach (var row in rows)
        {
            var x = (double)left;
            foreach (var node in row.Select(p => p.Key).Order())
            {
                var n = model.Nodes[node];
                var boxWidth = (Math.Max(n.Label.Length, n.Detail.Length) * CharWidth) + 20;
                boxes[node] = new Box(x, Margin + (row.Key * LayerGap), boxWidth, (2 * LineHeight) + 12);
                x += boxWidth + NodeGap;
            }

            width = Math.Max(width, x - NodeGap + Margin);
        }

        foreach (var row in rows)
        {
            var members = row.Select(p => p.Key).ToList();
            var shift = (width - Margin - members.Max(i => boxes[i].X + boxes[i].W)) / 2;
            foreach (var i in members)
            {
                boxes[i] = boxes[i] with { X = boxes[i].X + shift };
            }
        }

        height = Margin + (Math.Max(rows.Count, 1) * LayerGap);
        var host = model.Nodes.FindIndex(n => n.IsHost);
        if (host >= 0)
        {
            var n = model.Nodes[host];
            var boxWidth = (Math.Max(n.Label.Length, n.Detail.Length) * CharWidth) + 20;
            boxes[host] = new Box(width + (2 * NodeGap), (height / 2) - LineHeight - 6, boxWidth, (2 * LineHeight) + 12);
            width += (2 * NodeGap) + boxWidth + Margin;
        }

        return boxes;
    }

    /// <summary>Where each edge leaves and arrives, and its control point. Edges going down leave from the bottom and
    /// arrive at the top, spread along the side (ordered by the other end's position, so they do not cross there);
    /// edges to the host go right; edges up or within a row (cycles, libraries binding to the main) leave and arrive
    /// on the left and bend outwards, clear of the boxes between.</summary>
    private static ((double, double) From, (double, double) To, (double, double) Control)[] Ports(Model model, Box[] boxes)
    {
        var result = new ((double, double), (double, double), (double, double))[model.Edges.Count];
        var down = Enumerable.Range(0, model.Edges.Count)
            .Where(k => !model.Nodes[model.Edges[k].To].IsHost && boxes[model.Edges[k].To].Y > boxes[model.Edges[k].From].Y)
            .ToList();
        double Spread(Box b, int rank, int count) => b.X + (b.W * (rank + 1) / (count + 1));
        var outRank = down.GroupBy(k => model.Edges[k].From)
            .SelectMany(g => g.OrderBy(k => boxes[model.Edges[k].To].X).Select((k, r) => (k, r, n: g.Count())))
            .ToDictionary(p => p.k, p => (p.r, p.n));
        var inRank = down.GroupBy(k => model.Edges[k].To)
            .SelectMany(g => g.OrderBy(k => boxes[model.Edges[k].From].X).Select((k, r) => (k, r, n: g.Count())))
            .ToDictionary(p => p.k, p => (p.r, p.n));
        for (var k = 0; k < model.Edges.Count; k++)
        {
            var e = model.Edges[k];
            var (from, to) = (boxes[e.From], boxes[e.To]);
            if (outRank.TryGetValue(k, out var o) && inRank.TryGetValue(k, out var i))
            {
                var a = (Spread(from, o.r, o.n), from.Y + from.H);
                var b = (Spread(to, i.r, i.n), to.Y);
                result[k] = (a, b, ((a.Item1 + b.Item1) / 2, (a.Item2 + b.Item2) / 2));
            }
            else if (model.Nodes[e.To].IsHost)
            {
                var a = (from.X + from.W, from.Y + (from.H / 2));
                var b = (to.X, to.Y + (to.H / 2));
                result[k] = (a, b, ((a.Item1 + b.Item1) / 2, a.Item2));
            }
            else if (Math.Abs(to.Y - from.Y) < 1)
            {
                // Within a row: under the row, bottom to bottom.
                var a = (from.X + (from.W / 2), from.Y + from.H);
                var b = (to.X + (to.W / 2), to.Y + to.H);
                result[k] = (a, b, ((a.Item1 + b.Item1) / 2, a.Item2 + 50));
            }
            else
            {
                var a = (from.X, from.Y + (from.H / 3));
                var b = (to.X, to.Y + (2 * to.H / 3));
                var bend = Math.Min(a.Item1, b.Item1) - 60;
                result[k] = (a, b, (bend, (a.Item2 + b.Item2) / 2));
            }
        }

        return result;
    }

    private sealed record Box(double X, double Y, double W, double H);

    private static Model Build(LinkPlan plan)
    {
        var nodes = plan.Modules.Select(m => new Node(
            $"m{m.Index}",
            m.Name,
            m.IsMain ? (m.IsRelocatable ? "main (PIE)" : "main (non-PIE)")
                : Invariant($"{m.MemorySize} bytes, {m.TableSize} slots"),
            m.IsMain,
            IsHost: false)).ToList();
        var hostUsed = plan.Modules.Any(m => m.Imports.Any(b => b is HostBinding));
        var host = -1;
        if (hostUsed)
        {
            host = nodes.Count;
            nodes.Add(new Node("host", "host", "WASI and host functions", IsMain: false, IsHost: true));
        }

        var needed = plan.Modules.SelectMany(m => m.Needed.Select(n => (m.Index, n))).ToHashSet();
        var counts = new Dictionary<(int From, int To), SortedDictionary<string, int>>();
        foreach (var m in plan.Modules)
        {
            foreach (var b in m.Imports)
            {
                var provider = b is HostBinding ? host : plan.ProviderOf(b) ?? -1;
                var kind = b switch
                {
                    GlobalBinding => "global",
                    DataAddressBinding d => d.IsTls ? "tls" : "data",
                    FunctionAddressBinding => "&func",
                    TagBinding => "tag",
                    _ => "func",
                };
                if (provider < 0 || provider == m.Index)
                {
                    continue;
                }

                if (!counts.TryGetValue((m.Index, provider), out var byKind))
                {
                    counts[(m.Index, provider)] = byKind = [];
                }

                byKind[kind] = byKind.GetValueOrDefault(kind) + 1;
            }
        }

        var edges = new List<Edge>();
        foreach (var (from, to) in needed.Union(counts.Keys).Distinct().OrderBy(p => p.Item1).ThenBy(p => p.Item2))
        {
            var label = counts.TryGetValue((from, to), out var byKind)
                ? string.Join(", ", byKind.Select(k => Invariant($"{k.Value} {k.Key}")))
                : string.Empty;
            edges.Add(new Edge(from, to, needed.Contains((from, to)), label));
        }

        return new Model(nodes, edges);
    }

    /// <summary>Rows for the picture: a module sits one row below the nearest module that needs it; modules nothing
    /// needs (the main, preloads, -l libraries, the host) sit in the top rows.</summary>
    private static Dictionary<int, int> Layers(Model model)
    {
        var layer = new Dictionary<int, int>();
        var incoming = model.Edges.Where(e => e.Needed).Select(e => e.To).ToHashSet();
        var queue = new Queue<int>();
        foreach (var i in Enumerable.Range(0, model.Nodes.Count).Where(i => !incoming.Contains(i) && !model.Nodes[i].IsHost))
        {
            layer[i] = 0;
            queue.Enqueue(i);
        }

        while (queue.Count > 0)
        {
            var i = queue.Dequeue();
            foreach (var e in model.Edges.Where(e => e.Needed && e.From == i && !layer.ContainsKey(e.To)))
            {
                layer[e.To] = layer[i] + 1;
                queue.Enqueue(e.To);
            }
        }

        // A NEEDED cycle with no entry from a root goes below everything else (the host is placed apart).
        var bottom = layer.Count == 0 ? 0 : layer.Values.Max() + 1;
        for (var i = 0; i < model.Nodes.Count; i++)
        {
            if (!model.Nodes[i].IsHost)
            {
                layer.TryAdd(i, bottom);
            }
        }

        return layer;
    }

    private static string DotEscape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    private static string Xml(string s) => SecurityElement.Escape(s);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
