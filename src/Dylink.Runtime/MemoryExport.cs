using Dylink.Format;

namespace Dylink.Runtime;

/// <summary>
/// WASI functions read the linear memory of the module that calls them through that module's <c>memory</c> export.
/// A PIE main (or a library) that imports <c>env.memory</c> and calls WASI but does not re-export the memory would
/// fail at its first WASI call with "missing required memory export". The loader adds the export to the binary
/// before compiling it; nothing else in the module changes.
/// </summary>
internal static class MemoryExport
{
    public const string Name = "memory";

    /// <summary>True when <paramref name="module"/> imports a memory, calls WASI, and exports no memory.</summary>
    public static bool IsNeeded(WasmModule module, IEnumerable<string> wasiModules) =>
        module.Imports.Any(i => i.Kind == ExternalKind.Memory)
        && module.Imports.Any(i => i.Kind == ExternalKind.Function && wasiModules.Contains(i.Module))
        && !module.Exports.Any(e => e.Kind == ExternalKind.Memory);

    /// <summary>The module's bytes with <c>(export "memory" (memory 0))</c> added to its export section (made if absent).</summary>
    /// <exception cref="LoadException">The module already exports something else named <c>memory</c>.</exception>
    public static byte[] Add(WasmModule module)
    {
        if (module.Exports.Any(e => e.Name == Name))
        {
            throw new LoadException(module.Name, $"{module.Name}: calls WASI but exports \"{Name}\" as something other than its memory");
        }

        var bytes = module.Bytes.Span;
        var entry = new WasmWriter();
        entry.Name(Name);
        entry.Byte((byte)ExternalKind.Memory);
        entry.U32(0);

        var output = new WasmWriter();
        var exportSection = module.Sections.FirstOrDefault(s => s.Id == SectionId.Export);
        if (exportSection.PayloadSize > 0 || module.Sections.Any(s => s.Id == SectionId.Export))
        {
            var payload = bytes.Slice((int)exportSection.PayloadOffset, exportSection.PayloadSize);
            var reader = new WasmReader(payload, module.Name, exportSection.PayloadOffset);
            var count = reader.ReadVarUInt32();
            var entries = payload[(payload.Length - reader.Remaining)..].ToArray();
            output.Bytes(bytes[..(int)exportSection.Offset].ToArray());
            output.Section((byte)SectionId.Export, s =>
            {
                s.U32(count + 1);
                s.Bytes(entries);
                s.Append(entry);
            });
            output.Bytes(bytes[(int)(exportSection.PayloadOffset + exportSection.PayloadSize)..].ToArray());
            return output.ToArray();
        }

        // No export section: insert one where the binary format wants it, before start/element/data count/code/data.
        var next = module.Sections.FirstOrDefault(s => s.Id is SectionId.Start or SectionId.Element or SectionId.DataCount or SectionId.Code or SectionId.Data);
        var at = next.Id == SectionId.Custom && next.Name is null ? bytes.Length : (int)next.Offset;
        output.Bytes(bytes[..at].ToArray());
        output.Section((byte)SectionId.Export, s =>
        {
            s.U32(1);
            s.Append(entry);
        });
        output.Bytes(bytes[at..].ToArray());
        return output.ToArray();
    }
}
