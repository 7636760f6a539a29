using Dylink.Format;
using Dylink.Linking;

namespace Dylink.Runtime;

/// <summary>Hot reload: a new version of a loaded library takes over every call to the old one.</summary>
public sealed partial class DynamicLinker
{
    private int _reloads;

    /// <summary>
    /// Loads a new version of a library (from <paramref name="path"/>, or the library's own path again), runs its
    /// constructors, rebinds every exported function of the old version to the new one (see
    /// <see cref="Rebind(string, string)"/> for which calls that reaches), and closes the old version, which is unloaded
    /// once no loaded module refers to it. Data is not carried over: the new version starts with its own.
    /// </summary>
    /// <returns>The new version's handle (with the old handle's references).</returns>
    /// <exception cref="LinkException">The new version does not link, or one of its functions has another signature.</exception>
    /// <exception cref="LoadException">It failed to load; the old version stays in place, untouched.</exception>
    public LibraryHandle Reload(LibraryHandle handle, string? path = null)
    {
        var old = LiveModule(handle);
        var source = path ?? Scope.Modules[old].Path ?? throw new ArgumentException("a library loaded from bytes needs a path to reload from", nameof(path));
        return Reload(old, LinkPlanner.PlanOpen(Scope, source, _linkOptions, fresh: true));
    }

    /// <summary>Like <see cref="Reload(LibraryHandle, string)"/>, from the new version's bytes.</summary>
    public LibraryHandle Reload(LibraryHandle handle, ReadOnlyMemory<byte> newBytes)
    {
        var old = LiveModule(handle);
        var name = $"/dylink-reload/{++_reloads}/{Path.GetFileName(Scope.Modules[old].Name)}";
        var options = _linkOptions with { Source = new OverlaySource(_linkOptions.Source, name, newBytes.ToArray()) };
        return Reload(old, LinkPlanner.PlanOpen(Scope, name, options, fresh: true));
    }

    private LibraryHandle Reload(int old, LinkPlan plan)
    {
        lock (_gate)
        {
            var scope = Scope;
            var oldModule = scope.Modules[old];
            var replacement = plan.Root!.Value;
            CheckReplacement(oldModule, plan.Modules[replacement]);
            var loader = Execute(plan);
            scope.Commit(plan, scope.IsGlobal(old), loader.SlotIndices);
            foreach (var export in oldModule.Module.Exports.Where(e => e.Kind == ExternalKind.Function && !WellKnownSymbols.ModuleLocal.Contains(e.Name)))
            {
                if (Program.Instances[replacement]!.GetFunction(export.Name) is { } function)
                {
                    _originals.TryAdd((old, export.Name), Program.Instances[old]!.GetFunction(export.Name)!);
                    Redirect(old, export.Name, function);
                }
            }

            _openCount[replacement] = _openCount.GetValueOrDefault(old);
            _openCount[old] = 0;
            Trace?.Invoke($"reloaded {oldModule.Name}");
            TryUnload(old);
            return new LibraryHandle(replacement + 1);
        }
    }

    /// <summary>Every function both versions export must keep its signature, or callers would break at their next call.</summary>
    private static void CheckReplacement(PlannedModule old, PlannedModule replacement)
    {
        var errors = new List<string>();
        foreach (var export in old.Module.Exports.Where(e => e.Kind == ExternalKind.Function && !WellKnownSymbols.ModuleLocal.Contains(e.Name)))
        {
            var match = replacement.Module.FindExport(export.Name);
            if (match is { Kind: ExternalKind.Function } && !old.Module.FunctionType(export.Index).Equals(replacement.Module.FunctionType(match.Index)))
            {
                errors.Add($"{old.Name}: {export.Name}: the new version is {replacement.Module.FunctionType(match.Index)}, the loaded one {old.Module.FunctionType(export.Index)}");
            }
        }

        if (errors.Count > 0)
        {
            throw new LinkException(old.Name, errors);
        }
    }

    /// <summary>A source that serves one extra file from memory.</summary>
    private sealed class OverlaySource(IModuleSource inner, string path, byte[] bytes) : IModuleSource
    {
        public bool Exists(string p) => p == path || inner.Exists(p);

        public byte[] Read(string p) => p == path ? bytes : inner.Read(p);
    }
}
