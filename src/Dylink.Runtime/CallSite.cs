using Wasmtime;

namespace Dylink.Runtime;

/// <summary>
/// A place that decides what a caller's call to a function reaches, so that binding a late provider, a lazy import or a
/// rebind is one write per place: a slot of the forwarding table (which a thunk, or a caller's call table, calls
/// through) or an entry of the caller's own call table (<see cref="Dylink.Linking.CallTables"/>).
/// </summary>
internal abstract record CallSite
{
    /// <summary>Makes the calls through this place reach <paramref name="target"/>.</summary>
    public abstract void Write(Function target);

    /// <summary>True once no call can go through it any more (its caller was unloaded): it can be forgotten.</summary>
    public virtual bool IsStale => false;
}

/// <summary>A slot of the program's forwarding table.</summary>
internal sealed record ForwardingSlot(Table Table, uint Slot) : CallSite
{
    public override void Write(Function target) => Table.SetElement(Slot, target);
}

/// <summary>An entry of a module's call table, written through the setter the rewrite exported (the .NET API cannot
/// write a table of a typed reference).</summary>
internal sealed record CallTableEntry(ModuleRecord Caller, Function Setter, uint Entry) : CallSite
{
    public override void Write(Function target) => Setter.Invoke((int)Entry, target);

    public override bool IsStale => Caller.State == ModuleState.Unloaded;
}
