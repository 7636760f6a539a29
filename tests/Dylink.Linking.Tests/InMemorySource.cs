namespace Dylink.Linking.Tests;

/// <summary>Modules written as WAT, served from memory under /lib/NAME.</summary>
internal sealed class InMemorySource : IModuleSource
{
    public const string Dir = "/lib";

    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    public InMemorySource Add(string name, string wat)
    {
        _files[Path.Combine(Dir, name)] = Wasmtime.Module.ConvertText(wat);
        return this;
    }

    public InMemorySource AddBytes(string name, byte[] bytes)
    {
        _files[Path.Combine(Dir, name)] = bytes;
        return this;
    }

    public bool Exists(string path) => _files.ContainsKey(path);

    public byte[] Read(string path) => _files.TryGetValue(path, out var bytes) ? bytes : throw new FileNotFoundException(path);

    public LinkPlan Plan(string main, LinkOptions? options = null) =>
        LinkPlanner.Plan(Path.Combine(Dir, main), (options ?? new LinkOptions()) with { Source = this, SearchPaths = [Dir] });

    public LinkPlan PlanHosted(params string[] libraries) =>
        LinkPlanner.PlanHosted(new LinkOptions { Source = this, SearchPaths = [Dir], Libraries = libraries });

    /// <summary>A side module: dylink.0 with the given MEM_INFO and NEEDED, plus the standard PIC imports, plus <paramref name="body"/>.</summary>
    public static string Side(string body, uint memory = 0, uint align = 0, string needed = "", uint table = 0) => $$"""
        (module
          (@dylink.0 (mem-info (memory {{memory}} {{align}}) (table {{table}} 0)) {{(needed.Length > 0 ? $"(needed {needed})" : "")}})
          (import "env" "memory" (memory 0))
          (import "env" "__indirect_function_table" (table 0 funcref))
          (import "env" "__memory_base" (global i32))
          (import "env" "__table_base" (global i32))
          {{body}})
        """;
}
