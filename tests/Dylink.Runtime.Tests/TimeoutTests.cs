using Dylink.Linking.Tests;

namespace Dylink.Runtime.Tests;

public class TimeoutTests
{
    [Fact]
    public void EndlessProgram_IsStoppedAtTheTimeout()
    {
        var source = new InMemorySource().Add("main.wasm", """
            (module (memory (export "memory") 1) (func (export "_start") (loop $forever (br $forever))))
            """);
        using var linker = new DynamicLinker(new DynamicLinkerOptions { Timeout = TimeSpan.FromMilliseconds(200) });
        linker.Load(source.Plan("main.wasm"));
        var e = Assert.Throws<TimeoutException>(() => linker.RunMain());
        Assert.Equal("main.wasm: stopped after 0.2 s (timeout)", e.Message);
    }
}
