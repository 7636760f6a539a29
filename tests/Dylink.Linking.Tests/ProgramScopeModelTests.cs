using System.Text;
using CsCheck;

namespace Dylink.Linking.Tests;

/// <summary>
/// Random sequences of dlopen (a commit, local or global), dlclose (a remove, refused while needed) and promotion on a
/// <see cref="ProgramScope"/>, checked after every step against a model that is just the loaded libraries in load order:
/// every lookup rule restated in a few lines.
/// </summary>
public class ProgramScopeModelTests
{
    // Which library defines what (true: weakly). lib3.so needs lib2.so; libbase.so is the start-up program.
    private static readonly Dictionary<string, Dictionary<string, bool>> Defines = new(StringComparer.Ordinal)
    {
        ["libbase.so"] = new() { ["s_base"] = false },
        ["lib0.so"] = new() { ["f"] = false, ["s0"] = false },
        ["lib1.so"] = new() { ["w"] = true, ["s1"] = false },
        ["lib2.so"] = new() { ["w"] = false, ["f"] = false, ["s2"] = false },
        ["lib3.so"] = new() { ["f"] = true, ["s3"] = false },
    };

    private static readonly string[] Libraries = ["lib0.so", "lib1.so", "lib2.so", "lib3.so"];

    // hidden: lib0.so exports it hidden; no scope may ever find it.
    private static readonly string[] Symbols = ["f", "w", "s_base", "s0", "s1", "s2", "s3", "hidden"];

    private static readonly InMemorySource Source = new InMemorySource()
        .Add("libbase.so", Library("libbase.so"))
        .Add("lib0.so", Library("lib0.so", """(export-info "hidden" visibility-hidden)""", """(func (export "hidden"))"""))
        .Add("lib1.so", Library("lib1.so"))
        .Add("lib2.so", Library("lib2.so"))
        .Add("lib3.so", Library("lib3.so", "(needed \"lib2.so\")"));

    // Weak through EXPORT_INFO rather than wasm-ld's extra env import, which would bind the library to the winner and
    // make it a dependent (IsUsedByOthers has its own test): here only lookups are modelled.
    private static string Library(string name, string dylink = "", string body = "") => $$"""
        (module
          (@dylink.0 (mem-info (memory 0 0)) {{dylink}}
            {{string.Concat(Defines[name].Where(d => d.Value).Select(d => $"(export-info \"{d.Key}\" binding-weak)"))}})
          {{string.Concat(Defines[name].Select(d => $"(func (export \"{d.Key}\"))"))}}
          {{body}})
        """;

    /// <summary>What the model keeps: the libraries loaded (after the start-up program) in load order, and which are global.</summary>
    private sealed class Model
    {
        public List<string> Loaded { get; } = [];

        public HashSet<string> Global { get; } = new(StringComparer.Ordinal);

        public void Open(string library, bool global)
        {
            if (!Loaded.Contains(library))
            {
                // The library, then what it needs that is not loaded yet; one commit, one global flag for all.
                foreach (var added in library == "lib3.so" && !Loaded.Contains("lib2.so") ? new[] { "lib3.so", "lib2.so" } : [library])
                {
                    Loaded.Add(added);
                    if (global)
                    {
                        Global.Add(added);
                    }
                }
            }

            if (global)
            {
                Global.Add(library);
            }
        }

        public void Close(string library)
        {
            if (!(library == "lib2.so" && Loaded.Contains("lib3.so")))
            {
                Loaded.Remove(library);
                Global.Remove(library);
            }
        }

        public void Promote(string library)
        {
            if (Loaded.Contains(library))
            {
                Global.Add(library);
            }
        }

        private IEnumerable<string> GlobalScope => Loaded.Where(Global.Contains).Prepend("libbase.so");

        private static IEnumerable<string> Definers(IEnumerable<string> scope, string symbol) =>
            scope.Where(l => Defines[l].ContainsKey(symbol) && symbol != "hidden");

        // The first strong definition, else the first weak one.
        private static string? Winner(IEnumerable<string> scope, string symbol)
        {
            var definers = Definers(scope, symbol).ToList();
            return definers.FirstOrDefault(l => !Defines[l][symbol]) ?? definers.FirstOrDefault();
        }

        public string Describe()
        {
            var text = new StringBuilder($"loaded: {string.Join(" ", Loaded)}\n");
            foreach (var symbol in Symbols)
            {
                text.Append($"{symbol}: default {Winner(GlobalScope, symbol)}, next {Definers(GlobalScope, symbol).FirstOrDefault()}");
                foreach (var library in Loaded)
                {
                    var scope = library == "lib3.so" ? new[] { "lib3.so", "lib2.so" } : [library];
                    text.Append($", from {library} {Winner(scope, symbol)}");
                }

                text.Append('\n');
            }

            return text.ToString();
        }
    }

    private static void Close(Running running, string library)
    {
        if (running.Scope.FindLoaded(library) is { } index && !running.Scope.IsUsedByOthers(index))
        {
            running.Scope.Remove(index);
        }
    }

    private static string Describe(Running running)
    {
        var scope = running.Scope;
        var loaded = scope.LiveModules.Where(m => m.Name != "libbase.so").Select(m => m.Name).ToList();
        var text = new StringBuilder($"loaded: {string.Join(" ", loaded)}\n");
        foreach (var symbol in Symbols)
        {
            text.Append($"{symbol}: default {running.Name(scope.LookupDefault(symbol))}, next {running.Name(scope.LookupNext(symbol))}");
            foreach (var library in loaded)
            {
                text.Append($", from {library} {running.Name(scope.LookupFrom(running.IndexOf(library), symbol))}");
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    [Fact]
    public void ProgramScope_AgreesWithTheModel_OverRandomOpensClosesAndPromotions()
    {
        var library = Gen.Int[0, Libraries.Length - 1].Select(i => Libraries[i]);
        Check.SampleModelBased(
            Gen.Const(() => (Running.Hosted(Source, "libbase.so"), new Model())),
            Gen.Select(library, Gen.Bool).Operation<Running, Model>(
                o => $"open {o.Item1}{(o.Item2 ? " global" : "")}",
                (running, o) => running.Open(o.Item1, o.Item2),
                (model, o) => model.Open(o.Item1, o.Item2)),
            library.Operation<Running, Model>(
                l => $"close {l}",
                Close,
                (model, l) => model.Close(l)),
            library.Operation<Running, Model>(
                l => $"promote {l}",
                (running, l) =>
                {
                    if (running.Scope.FindLoaded(l) is { } index)
                    {
                        running.Scope.Promote(index);
                    }
                },
                (model, l) => model.Promote(l)),
            equal: (running, model) => Describe(running) == model.Describe()
                && running.Scope.LiveCount == model.Loaded.Count + 1,
            iter: 300,
            threads: 1,
            printActual: Describe,
            printModel: model => model.Describe());
    }
}
