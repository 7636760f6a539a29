using Dylink.Format;

namespace Dylink.Runtime;

/// <summary>
/// Generates the one-tag modules through which exception tags reach importers. Wasmtime's .NET API has no host tag
/// object and an explicit import array cannot carry one, so a tag travels only from an instance's export to an import
/// through a <see cref="Wasmtime.Linker"/> (<c>DefineInstance</c>). A module built here exports exactly one tag under
/// its symbol name, so several of them can be defined side by side under <c>env</c> without shadowing each other.
/// </summary>
internal static class TagModule
{
    /// <summary>The import module a <see cref="Reexport"/> module takes its tag from.</summary>
    public const string ImportModule = "env";

    /// <summary>A module that defines a new tag of type <paramref name="type"/> and exports it as <paramref name="name"/>.</summary>
    public static byte[] Define(string name, FuncType type) => Build(name, type, imported: false);

    /// <summary>A module that imports the tag <c>env.<paramref name="name"/></c> and exports that same tag as <paramref name="name"/>.</summary>
    public static byte[] Reexport(string name, FuncType type) => Build(name, type, imported: true);

    private static byte[] Build(string name, FuncType type, bool imported)
    {
        var w = new WasmWriter();
        w.Bytes(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
        w.Section(1, s =>
        {
            s.U32(1);
            s.Byte(0x60);
            s.U32((uint)type.Parameters.Length);
            foreach (var p in type.Parameters)
            {
                s.Byte((byte)p);
            }

            s.U32(0); // a tag's type has no results
        });
        if (imported)
        {
            w.Section(2, s =>
            {
                s.U32(1);
                s.Name(ImportModule);
                s.Name(name);
                s.Bytes(0x04, 0x00); // tag, attribute 0 (exception)
                s.U32(0);            // type index
            });
        }
        else
        {
            w.Section(13, s =>
            {
                s.U32(1);
                s.Byte(0x00); // attribute 0 (exception)
                s.U32(0);     // type index
            });
        }

        w.Section(7, s =>
        {
            s.U32(1);
            s.Name(name);
            s.Byte(0x04); // tag
            s.U32(0);
        });
        return w.ToArray();
    }
}
