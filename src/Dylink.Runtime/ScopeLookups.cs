using Dylink.Format;
using Dylink.Linking;

namespace Dylink.Runtime;

/// <summary>Interim lookups over the scope, until they move into Dylink.Linking.</summary>
internal static class ScopeLookups
{
    public static Definition? LookupDefault(this ProgramScope scope, string name) => scope.Global.TryLookup(name, out var d) ? d : null;

    public static int? FindLoaded(this ProgramScope scope, string name)
    {
        var full = name.Contains('/', StringComparison.Ordinal) ? Path.GetFullPath(name) : null;
        return scope.Modules.FirstOrDefault(m => scope.IsLive(m.Index)
            && (m.Name == name || (full is not null && m.Path is { } p && Path.GetFullPath(p) == full)))?.Index;
    }

    public static Definition? LookupFrom(this ProgramScope scope, int root, string name)
    {
        var order = new List<int> { root };
        for (var i = 0; i < order.Count; i++)
        {
            order.AddRange(scope.Modules[order[i]].Needed.Where(d => !order.Contains(d) && scope.IsLive(d)));
        }

        var table = new SymbolTable();
        foreach (var m in order)
        {
            table.AddModule(m, scope.Modules[m].Name, ModuleSymbols.Of(scope.Modules[m].Module), i => scope.Modules[i].Name);
        }

        return table.TryLookup(name, out var d) ? d : null;
    }

    public static Definition? LookupNext(this ProgramScope scope, string name, int after)
    {
        foreach (var m in scope.Modules.Where(m => m.Index > after && scope.IsLive(m.Index) && scope.IsGlobal(m.Index)))
        {
            var symbol = ModuleSymbols.Of(m.Module).FirstOrDefault(s => s.IsDefined && !s.IsHidden && s.Name == name
                && !WellKnownSymbols.ModuleLocal.Contains(s.Name));
            if (symbol is not null)
            {
                return new Definition(m.Index, symbol);
            }
        }

        return null;
    }

    public static Definition? LookupIn(this ProgramScope scope, int module, string name)
    {
        var symbol = ModuleSymbols.Of(scope.Modules[module].Module).FirstOrDefault(s => s.IsDefined && !s.IsHidden && s.Name == name
            && !WellKnownSymbols.ModuleLocal.Contains(s.Name));
        return symbol is null ? null : new Definition(module, symbol);
    }

    public static ModuleSymbol? NearestDataSymbol(this ProgramScope scope, int module, long offset) =>
        ModuleSymbols.Of(scope.Modules[module].Module)
            .Where(s => s.IsDefined && s.Kind == SymbolKind.Data && s.Value is { } v && v <= offset)
            .MaxBy(s => s.Value);

    public static IEnumerable<string> ExportedFunctions(this ProgramScope scope, int module) =>
        scope.Modules[module].Module.Exports.Where(e => e.Kind == ExternalKind.Function && !WellKnownSymbols.ModuleLocal.Contains(e.Name)).Select(e => e.Name);
}
