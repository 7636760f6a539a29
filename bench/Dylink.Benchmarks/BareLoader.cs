using Dylink.Format;
using Wasmtime;

namespace Dylink.Benchmarks;

/// <summary>
/// The floor a dynamic linker cannot beat: a generated workload's modules instantiated in load order on bare
/// Wasmtime, each import handed over directly by name (earlier libraries' exports, a fresh GOT global per entry,
/// one table slot per <c>GOT.func</c> entry), then relocations and constructors. No planning, no checks, no symbol
/// rules; memory sizes, table sizes and the data-symbol offsets are read before the clock starts.
/// </summary>
internal sealed class BareLoader
{
    private const int StackTop = 1024 + (1 << 20);

    private readonly List<(uint MemorySize, uint MemoryAlign, uint TableSize)> _layout = [];
    private readonly uint _pages;
    private readonly uint _tableSize;

    public BareLoader(string dir, IEnumerable<string> names)
    {
        Paths = [.. names.Select(n => Path.Combine(dir, n))];
        long memory = StackTop;
        uint table = 1;
        foreach (var path in Paths)
        {
            var module = WasmModule.Parse(File.ReadAllBytes(path), Path.GetFileName(path));
            var info = module.Dylink!.MemInfo;
            _layout.Add((info.MemorySize, 1u << (int)info.MemoryAlignment, info.TableSize));
            memory = AlignUp(memory, 1L << (int)info.MemoryAlignment) + info.MemorySize;
            table += info.TableSize + (uint)module.Imports.Count(i => i.Module == "GOT.func");
        }

        _pages = (uint)((memory + 0xffff) / 0x10000) + 1;
        _tableSize = table;
    }

    public string[] Paths { get; }

    public Module[] Compile(Engine engine) => [.. Paths.Select(p => Module.FromBytes(engine, Path.GetFileName(p), File.ReadAllBytes(p)))];

    /// <summary>Instantiates the whole program in <paramref name="store"/>; returns the last library's instance.</summary>
    public Instance Instantiate(Store store, Module[] modules)
    {
        var memory = new Memory(store, _pages);
        var table = new Table(store, TableKind.FuncRef, null, _tableSize);
        var stackPointer = new Global(store, ValueKind.Int32, StackTop, Mutability.Mutable);
        var functions = new Dictionary<string, Function>(StringComparer.Ordinal);
        var data = new Dictionary<string, int>(StringComparer.Ordinal);
        var functionSlots = new Dictionary<string, int>(StringComparer.Ordinal);
        var pending = new List<(Global Global, string Name, bool IsFunction)>();
        long memoryBase = StackTop;
        var nextSlot = 1;
        Instance instance = null!;
        for (var m = 0; m < modules.Length; m++)
        {
            var (size, align, tableSize) = _layout[m];
            memoryBase = AlignUp(memoryBase, align);
            var tableBase = nextSlot;
            nextSlot += (int)tableSize;
            var moduleImports = modules[m].Imports;
            var imports = new object[moduleImports.Count];
            pending.Clear();
            for (var i = 0; i < imports.Length; i++)
            {
                var import = moduleImports[i];
                imports[i] = (import.ModuleName, import.Name) switch
                {
                    ("env", "memory") => memory,
                    ("env", "__indirect_function_table") => table,
                    ("env", "__stack_pointer") => stackPointer,
                    ("env", "__memory_base") => new Global(store, ValueKind.Int32, (int)memoryBase, Mutability.Immutable),
                    ("env", "__table_base") => new Global(store, ValueKind.Int32, tableBase, Mutability.Immutable),
                    ("env", var name) => functions[name],
                    ("GOT.mem", var name) when data.TryGetValue(name, out var address) => new Global(store, ValueKind.Int32, address, Mutability.Mutable),
                    ("GOT.func", var name) when functionSlots.TryGetValue(name, out var slot) => new Global(store, ValueKind.Int32, slot, Mutability.Mutable),
                    (var got, var name) => Pending(pending, new Global(store, ValueKind.Int32, 0, Mutability.Mutable), name, got == "GOT.func"),
                };
            }

            instance = new Instance(store, modules[m], imports);
            foreach (var export in modules[m].Exports)
            {
                if (export is FunctionExport)
                {
                    functions[export.Name] = instance.GetFunction(export.Name)!;
                }
                else if (export is GlobalExport)
                {
                    data[export.Name] = (int)memoryBase + (int)instance.GetGlobal(export.Name)!.GetValue()!;
                }
            }

            // The module's own symbols reached through its GOT: known only now that it exists.
            foreach (var (global, name, isFunction) in pending)
            {
                if (isFunction)
                {
                    if (!functionSlots.TryGetValue(name, out var slot))
                    {
                        functionSlots[name] = slot = nextSlot++;
                        table.SetElement((uint)slot, functions[name]);
                    }

                    global.SetValue(slot);
                }
                else
                {
                    global.SetValue(data[name]);
                }
            }

            instance.GetFunction("__wasm_apply_data_relocs")?.Invoke();
            instance.GetFunction("__wasm_call_ctors")?.Invoke();
            memoryBase += size;
        }

        return instance;

        static Global Pending(List<(Global, string, bool)> pending, Global global, string name, bool isFunction)
        {
            pending.Add((global, name, isFunction));
            return global;
        }
    }

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
