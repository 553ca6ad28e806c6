using MadBase.Edge.Hosting;

namespace MadBase.Edge.Tests.Hosting;

/// <summary>Which <c>/proc/self/maps</c> lines the startup page-out advises: the executable's non-writable mappings only.</summary>
[Trait("Kind", "InProcess")]
public sealed class StartupPagesTests
{
    private const string Exe = "/opt/madbase/madbase-edge";

    [Fact]
    public void ParseReadOnlyMapping_ExecutableCode_Range()
    {
        var range = StartupPages.ParseReadOnlyMapping("556f46013000-556f46b5c000 r-xp 00a00000 08:01 1234   " + Exe, Exe);
        Assert.Equal((unchecked((nint)0x556f46013000L), (nuint)(0x556f46b5c000L - 0x556f46013000L)), range);
    }

    [Fact]
    public void ParseReadOnlyMapping_ReplacedOnDisk_StillTheExecutable()
    {
        Assert.NotNull(StartupPages.ParseReadOnlyMapping("1000-3000 r--p 00000000 08:01 1234 " + Exe + " (deleted)", Exe));
    }

    [Theory]
    [InlineData("1000-3000 rw-p 00000000 08:01 1234 " + Exe)] // its data: written, never advised
    [InlineData("1000-3000 r-xp 00000000 08:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6")] // another file
    [InlineData("1000-3000 r--p 00000000 08:01 1234 " + Exe + "-old")] // a name that only starts like it
    [InlineData("1000-3000 r--p 00000000 00:00 0 ")] // anonymous
    [InlineData("3000-1000 r--p 00000000 08:01 1234 " + Exe)] // malformed range
    public void ParseReadOnlyMapping_Others_Null(string line)
    {
        Assert.Null(StartupPages.ParseReadOnlyMapping(line, Exe));
    }
}
