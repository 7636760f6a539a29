using Dylink.Linking;
using Wasmtime;

namespace Dylink.Runtime;

/// <summary>Run-time rebinding: every caller of a function reaches a replacement, and can be given the original back.</summary>
public sealed partial class DynamicLinker
{
    private readonly Dictionary<(int Provider, string Export), Function> _originals = [];

    /// <summary>
    /// Makes every call to <paramref name="symbol"/> reach the function <paramref name="replacement"/> (another loaded
    /// library's export): calls through function pointers (<c>call_indirect</c>, <c>GOT.func</c>, <c>dlsym</c> results)
    /// always, and direct cross-module calls from modules loaded with <see cref="LinkOptions.Rebindable"/>. A module's
    /// calls to its own functions stay direct and are not rebound.
    /// </summary>
    /// <exception cref="KeyNotFoundException">Either symbol is not a loaded function.</exception>
    /// <exception cref="LinkException">The signatures differ.</exception>
    public void Rebind(string symbol, string replacement) => Rebind(symbol, GetFunction(replacement), replacement);

    /// <summary>Makes every call to <paramref name="symbol"/> reach a C# function (see <see cref="Rebind(string, string)"/>).</summary>
    /// <exception cref="KeyNotFoundException">The symbol is not a loaded function.</exception>
    /// <exception cref="LinkException">The signatures differ.</exception>
    public void Rebind(string symbol, Delegate replacement) =>
        Rebind(symbol, HostFunctions.Create(_store, replacement), "the host function");

    /// <summary>Gives every caller of <paramref name="symbol"/> its original definition back.</summary>
    /// <exception cref="KeyNotFoundException">The symbol is not a loaded function.</exception>
    public void Restore(string symbol)
    {
        lock (_gate)
        {
            var (provider, export) = FindFunction(symbol);
            if (_originals.Remove((provider, export), out var original))
            {
                Redirect(provider, export, original);
            }
        }
    }

    private void Rebind(string symbol, Function replacement, string replacementName)
    {
        lock (_gate)
        {
            var (provider, export) = FindFunction(symbol);
            var original = Program.Instances[provider]!.GetFunction(export)!;
            var expected = HostFunctions.Signature(original);
            var actual = HostFunctions.Signature(replacement);
            if (!expected.Equals(actual))
            {
                var module = Scope.Modules[provider].Name;
                throw new LinkException(module, [$"{symbol}: cannot rebind {module}'s function {expected} to {replacementName}, which is {actual}"]);
            }

            _originals.TryAdd((provider, export), original);
            Redirect(provider, export, replacement);
            Trace?.Invoke($"rebound {symbol} ({Scope.Modules[provider].Name}) to {replacementName}");
        }
    }

    private (int Provider, string Export) FindFunction(string symbol)
    {
        var (provider, _) = Find(symbol, SymbolKind.Function);
        return (provider, symbol);
    }

    /// <summary>One write per slot: the function's table slot (every pointer to it) and each forwarding slot (direct callers).</summary>
    private void Redirect(int provider, string export, Function target)
    {
        Table.SetElement(SlotFor(provider, export), target);
        foreach (var slot in Program.ForwardSlots.GetValueOrDefault((provider, export)) ?? [])
        {
            Program.Forwarding!.SetElement(slot, target);
        }
    }
}
