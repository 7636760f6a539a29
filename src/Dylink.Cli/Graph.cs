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

    public static void WriteSvg(LinkPlan plan, TextWriter w)
    {
        var model = Build(plan);
        var boxes = Place(model, out var width, out var height);
        var ports = Ports(model, boxes);
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
            if (e.Bindings.Length > 0)
            {
                // The label goes on the outer side of its edge: edges fanning out of one box or into one box are
                // spread left to right, so "outer" is where the edge lies against the line between the box centres.
                const double t = 0.4;
                var lx = ((1 - t) * (1 - t) * x1) + (2 * t * (1 - t) * cx) + (t * t * x2);
                var ly = ((1 - t) * (1 - t) * y1) + (2 * t * (1 - t) * cy) + (t * t * y2);
                var (from, to) = (boxes[e.From], boxes[e.To]);
                var leftward = (x1 + x2) / 2 < (from.X + (from.W / 2) + to.X + (to.W / 2)) / 2 - 0.5;
                var anchor = leftward ? " text-anchor=\"end\"" : string.Empty;
                s.AppendLine(Invariant($"    <text x=\"{lx + (leftward ? -6 : 6):0.#}\" y=\"{ly:0.#}\"{anchor} font-size=\"11\" fill=\"#333\">{Xml(e.Bindings)}</text>"));
            }

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

        s.AppendLine("</svg>");
        w.Write(s.ToString());
    }

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
