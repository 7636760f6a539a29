using System.Linq.Expressions;
using Dylink.Format;
using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// Run-time rebinding: one write per place — the function's table slot (every pointer to it), each forwarding slot
/// (direct callers in <see cref="LinkOptions.Rebindable"/> loads) and each caller's call table entry (direct callers
/// whose calls were rewritten, <see cref="CallTables"/>) — makes every caller reach a replacement, and the
/// original (kept in the provider's <see cref="ModuleRecord.Rebound"/>) can be put back.
/// </summary>
/// <remarks>A host function lives as long as its store. Rebinding to C# delegates again and again must not grow the
/// store, so each function gets at most one host function per delegate type, whose target is swapped on each rebind
/// (a <see cref="Redirect"/>); rebinding to the same delegate type again creates nothing.</remarks>
internal sealed class Rebinder(LinkedProgram program, Store store, Action<string>? trace)
{
    private readonly Dictionary<(int Provider, string Export, Type Type), Redirect> _redirects = [];

    /// <summary>Host functions made for C# replacements so far (one per function and delegate type).</summary>
    public int Redirects => _redirects.Count;

    /// <summary>Makes every call to the function <paramref name="target"/> defines reach <paramref name="replacement"/>.</summary>
    /// <exception cref="LinkException">The signatures differ.</exception>
    public RebindResult Rebind(Definition target, Function replacement, string replacementName)
    {
        var record = program[target.Provider];
        var original = program.FunctionOf(target);
        CheckSignature(record, target.Symbol.Name, HostFunctions.Signature(original), HostFunctions.Signature(replacement), replacementName);
        record.Rebound[target.Symbol.Name] = new Rebinding(replacement, original);
        Write(target.Provider, target.Symbol.Name, replacement);
        var result = new RebindResult(DirectCallers(target));
        trace?.Invoke($"rebound {target.Symbol.Name} ({record.Name}) to {replacementName}"
            + (result.Complete ? "" : $"; direct calls from {string.Join(", ", result.NotFollowing)} still reach the original (not loaded rebindable)"));
        return result;
    }

    /// <summary>Loaded modules (other than the function's own) that import it directly, neither through a forwarder nor
    /// through a call table.</summary>
    private List<string> DirectCallers(Definition target) =>
        [.. program.Scope.LiveModules.Where(m => m.Index != target.Provider && m.Imports.OfType<FunctionBinding>()
            .Any(b => b.Forwarder is null && b.Provider == target.Provider && b.ExportName == target.Symbol.Name
                && !program[m.Index].CallEntries.ContainsKey(b.Import.Index))).Select(m => m.Name)];

    /// <summary>Makes every call to the function <paramref name="target"/> defines reach a C# function.</summary>
    /// <exception cref="LinkException">The signatures differ.</exception>
    public RebindResult Rebind(Definition target, Delegate replacement)
    {
        var key = (target.Provider, target.Symbol.Name, replacement.GetType());
        if (!_redirects.TryGetValue(key, out var redirect))
        {
            CheckSignature(program[target.Provider], target.Symbol.Name, HostFunctions.Signature(program.FunctionOf(target)),
                HostFunctions.SignatureOf(replacement), "the host function");
            redirect = new Redirect(replacement);
            redirect.Function = HostFunctions.Create(store, redirect.Forwarding(replacement.GetType()));
            _redirects.Add(key, redirect);
        }

        redirect.Target = replacement;
        return Rebind(target, redirect.Function, "the host function");
    }

    /// <summary>Gives every caller of the function its original definition back.</summary>
    public void Restore(Definition target)
    {
        if (program[target.Provider].Rebound.Remove(target.Symbol.Name, out var rebinding))
        {
            Write(target.Provider, target.Symbol.Name, rebinding.Original);
        }
    }

    /// <summary>Forgets the host functions made for a module's functions (it was unloaded).</summary>
    public void Forget(int provider)
    {
        foreach (var key in _redirects.Keys.Where(k => k.Provider == provider).ToList())
        {
            _redirects.Remove(key);
        }
    }

    private static void CheckSignature(ModuleRecord record, string symbol, FuncType expected, FuncType actual, string replacementName)
    {
        if (!expected.Equals(actual))
        {
            throw new LinkException(record.Name, [$"{symbol}: cannot rebind {record.Name}'s function {expected} to {replacementName}, which is {actual}"]);
        }
    }

    /// <summary>One write per place: the function's table slot (every pointer to it), each forwarding slot and each
    /// caller's call table entry (direct callers).</summary>
    private void Write(int provider, string export, Function target)
    {
        program.State.Table.SetElement(program.SlotFor(provider, export), target);
        foreach (var site in program[provider].Callers.GetValueOrDefault(export) ?? [])
        {
            if (!site.IsStale)
            {
                site.Write(target);
            }
        }
    }

    /// <summary>A host function whose C# target can be swapped: a delegate of the target's own type that calls whatever
    /// <see cref="Target"/> holds (compiled once per function and delegate type, so calls stay typed).</summary>
    private sealed class Redirect(Delegate target)
    {
        public Delegate Target { get; set; } = target;

        public Function Function { get; set; } = null!;

        public Delegate Forwarding(Type delegateType)
        {
            var invoke = delegateType.GetMethod("Invoke")!;
            var parameters = invoke.GetParameters().Select(p => Expression.Parameter(p.ParameterType, p.Name)).ToArray();
            var current = Expression.Convert(Expression.Property(Expression.Constant(this), nameof(Target)), delegateType);
            return Expression.Lambda(delegateType, Expression.Invoke(current, parameters), parameters).Compile();
        }
    }
}
