using Dylink.Format;

namespace Dylink.Linking.Tests;

/// <summary>A dlopen's plan resolves against an overlay of the global table: the same answers as a copy of it.</summary>
public class SymbolTableTests
{
    private static ModuleSymbol Function(string name, bool weak = false) =>
        new(name, SymbolKind.Function, IsDefined: true, weak ? SymbolFlags.BindingWeak : SymbolFlags.None, null, null, null);

    private static SymbolTable Global()
    {
        var global = new SymbolTable();
        global.AddModule(0, "main", [Function("f"), Function("w", weak: true)], i => $"m{i}");
        return global;
    }

    [Fact]
    public void Overlay_ResolvesAsACopyWould_AndLeavesItsTableAlone()
    {
        var global = Global();
        var overlay = global.Overlay();
        var copy = global.Clone();
        foreach (var table in new[] { overlay, copy })
        {
            // f: the earlier strong definition wins; w: a strong one beats the earlier weak one; g: new.
            table.AddModule(1, "lib", [Function("f"), Function("w"), Function("g")], i => $"m{i}");
        }

        foreach (var name in new[] { "f", "w", "g" })
        {
            Assert.True(overlay.TryLookup(name, out var fromOverlay));
            Assert.True(copy.TryLookup(name, out var fromCopy));
            Assert.Equal(fromCopy, fromOverlay);
        }

        Assert.Equal(0, Lookup(overlay, "f"));
        Assert.Equal(1, Lookup(overlay, "w"));
        Assert.Equal(copy.Interpositions, overlay.Interpositions);
        Assert.Equal(copy.All.OrderBy(d => d.Symbol.Name), overlay.All.OrderBy(d => d.Symbol.Name));
        Assert.Equal(overlay.All.OrderBy(d => d.Symbol.Name), overlay.Clone().All.OrderBy(d => d.Symbol.Name));

        // The underlying table is unchanged.
        Assert.False(global.TryLookup("g", out _));
        Assert.Equal(0, Lookup(global, "w"));
    }

    private static int Lookup(SymbolTable table, string name) => table.TryLookup(name, out var definition) ? definition.Provider : -1;
}
