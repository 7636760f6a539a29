using static Dylink.Linking.Tests.InMemorySource;

namespace Dylink.Linking.Tests;

/// <summary>Exception tags (<c>__cpp_exception</c>, <c>__c_longjmp</c>, any other): resolved like symbols, never copied.</summary>
public class TagTests
{
    private static LinkException Fails(Func<LinkPlan> plan) => Assert.Throws<LinkException>(() => plan());

    private static ImportBinding BindingOf(LinkPlan plan, string module, string name) =>
        plan.Modules.Single(m => m.Name == module).Imports.Single(b => b.Import.Name == name);

    [Fact]
    public void TagDefinedByAModule_IsBoundToThatModulesExport()
    {
        var source = new InMemorySource()
            .Add("libuser.so", Side("""(import "env" "__c_longjmp" (tag (param i32)))""", needed: "\"libdef.so\""))
            .Add("libdef.so", Side("""(tag (export "__c_longjmp") (param i32))"""));
        var plan = source.PlanHosted("libuser.so");
        var binding = Assert.IsType<TagBinding>(BindingOf(plan, "libuser.so", "__c_longjmp"));
        Assert.Equal("libdef.so", plan.Modules[binding.Provider].Name);
        Assert.Equal("__c_longjmp", binding.ExportName);
    }

    [Fact]
    public void AbiTagThatNoModuleDefines_IsTheLoaders()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "env" "__cpp_exception" (tag (param i32)))"""))
            .Add("libb.so", Side("""(import "env" "__cpp_exception" (tag (param i32))) (import "env" "__c_longjmp" (tag (param i32)))"""));
        var plan = source.PlanHosted("liba.so", "libb.so");
        Assert.IsType<LoaderTagBinding>(BindingOf(plan, "liba.so", "__cpp_exception"));
        Assert.IsType<LoaderTagBinding>(BindingOf(plan, "libb.so", "__cpp_exception"));
        Assert.IsType<LoaderTagBinding>(BindingOf(plan, "libb.so", "__c_longjmp"));
    }

    [Fact]
    public void FirstDefinitionWins_ForTagsToo()
    {
        var source = new InMemorySource()
            .Add("libuser.so", Side("""(import "env" "__cpp_exception" (tag (param i32)))""", needed: "\"libone.so\" \"libtwo.so\""))
            .Add("libone.so", Side("""(tag (export "__cpp_exception") (param i32))"""))
            .Add("libtwo.so", Side("""(tag (export "__cpp_exception") (param i32))"""));
        var plan = source.PlanHosted("libuser.so");
        Assert.Equal("libone.so", plan.Modules[Assert.IsType<TagBinding>(BindingOf(plan, "libuser.so", "__cpp_exception")).Provider].Name);
    }

    [Fact]
    public void LoadersTag_StaysTheDefinition_ForLibrariesOpenedLater()
    {
        // The start-up program shares the loader's __cpp_exception; a dlopen brings libdef.so, which defines one too.
        // libuser.so must get the tag everybody else already throws and catches with.
        var source = new InMemorySource()
            .Add("libstart.so", Side("""(import "env" "__cpp_exception" (tag (param i32)))"""))
            .Add("libuser.so", Side("""(import "env" "__cpp_exception" (tag (param i32)))""", needed: "\"libdef.so\""))
            .Add("libdef.so", Side("""(tag (export "__cpp_exception") (param i32))"""));
        var start = source.PlanHosted("libstart.so");
        var scope = new ProgramScope(start, []);
        Assert.True(scope.HasLoaderTag("__cpp_exception"));
        var open = LinkPlanner.PlanOpen(scope, "libuser.so", new LinkOptions { Source = source, SearchPaths = [Dir] });
        Assert.IsType<LoaderTagBinding>(BindingOf(open, "libuser.so", "__cpp_exception"));
    }

    [Fact]
    public void UndefinedTag_IsAnErrorWithItsType()
    {
        var source = new InMemorySource().Add("liba.so", Side("""(import "env" "my_error" (tag (param i32 i64)))"""));
        Assert.Equal(["liba.so: undefined symbol: my_error (tag (i32, i64))"], Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void TagTypeMismatch_NamesBothModules()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "env" "__cpp_exception" (tag (param i64)))""", needed: "\"libb.so\""))
            .Add("libb.so", Side("""(tag (export "__cpp_exception") (param i32))"""));
        Assert.Equal(["liba.so: __cpp_exception: imported as tag (i64) but libb.so defines tag (i32)"],
            Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void AbiTagWithAnotherType_ThanTheLoadersIsAnError()
    {
        var source = new InMemorySource().Add("liba.so", Side("""(import "env" "__c_longjmp" (tag (param i32 i32)))"""));
        Assert.Equal(["liba.so: __c_longjmp: imported as tag (i32, i32) but the loader defines tag (i32)"],
            Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void TagImportOfAFunction_IsAKindMismatch()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "env" "t" (tag (param i32)))""", needed: "\"libb.so\""))
            .Add("libb.so", Side("""(func (export "t") (param i32))"""));
        Assert.Equal(["liba.so: t: imported as tag but libb.so defines function (i32) -> nil"], Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void FunctionImportOfATag_IsAKindMismatch()
    {
        var source = new InMemorySource()
            .Add("liba.so", Side("""(import "env" "t" (func (param i32)))""", needed: "\"libb.so\""))
            .Add("libb.so", Side("""(tag (export "t") (param i32))"""));
        Assert.Equal(["liba.so: t: imported as function but libb.so defines tag (i32)"], Fails(() => source.PlanHosted("liba.so")).Errors);
    }

    [Fact]
    public void TagDefinedByAModuleInstantiatedLater_IsAnError()
    {
        // libdef.so NEEDS libuser.so, so libuser.so is instantiated first; a tag, unlike a function, cannot be forwarded.
        var source = new InMemorySource()
            .Add("libdef.so", Side("""(tag (export "t") (param i32))""", needed: "\"libuser.so\""))
            .Add("libuser.so", Side("""(import "env" "t" (tag (param i32)))"""));
        Assert.Equal(["libuser.so: t: the tag is defined by libdef.so, which can only be instantiated later"],
            Fails(() => source.PlanHosted("libdef.so")).Errors);
    }
}
