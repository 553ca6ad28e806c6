namespace MadBase.Edge.Tests.StorageApi;

/// <summary>The real <c>@supabase/supabase-js</c> client over every storage route it calls (tests/js/scenarios/storage-supabase-js.mjs).</summary>
public abstract class SupabaseJsStorageTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : StorageFixture
{
    [Fact]
    public async Task StorageJs_EveryRouteBothUsersAndLimits_Passes()
    {
        var alice = Guid.NewGuid();
        var result = await NodeScript.RunAsync("storage-supabase-js.mjs", new Dictionary<string, string>
        {
            ["MADBASE_URL"] = fixture.Edge.BaseUri.ToString().TrimEnd('/'),
            ["MADBASE_SERVICE_KEY"] = Tokens.ServiceRole,
            ["MADBASE_ANON_KEY"] = Tokens.Anon,
            ["MADBASE_USER_A_TOKEN"] = Tokens.User(alice),
            ["MADBASE_USER_A_ID"] = alice.ToString(),
            ["MADBASE_USER_B_TOKEN"] = Tokens.User(Guid.NewGuid()),
        }, TimeSpan.FromSeconds(90));
        Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.Stdout);
        Assert.True(result.Json.GetProperty("checks").GetInt32() > 50, result.Stdout);
    }

    /// <summary>Issue 15: info() metadata <c>{}</c> and the error texts and codes clients compare literally with upstream's.</summary>
    [Fact]
    public async Task StorageJs_InfoMetadataAndErrorTexts_MatchUpstream()
    {
        var result = await NodeScript.RunAsync("storage-parity.mjs", new Dictionary<string, string>
        {
            ["MADBASE_URL"] = fixture.Edge.BaseUri.ToString().TrimEnd('/'),
            ["MADBASE_SERVICE_KEY"] = Tokens.ServiceRole,
            ["MADBASE_ANON_KEY"] = Tokens.Anon,
            ["MADBASE_USER_A_TOKEN"] = Tokens.User(Guid.NewGuid()),
        }, TimeSpan.FromSeconds(60));
        Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.Stdout);
        Assert.True(result.Json.GetProperty("checks").GetInt32() >= 12, result.Stdout);
    }

    /// <summary>Issue 15: listV2 with cursor pages, folders (<c>with_delimiter</c>), descending and timestamp order, and RLS.</summary>
    [Fact]
    public async Task StorageJs_ListV2PagesAndFolders_MatchUpstream()
    {
        var alice = Guid.NewGuid();
        var result = await NodeScript.RunAsync("storage-list-v2.mjs", new Dictionary<string, string>
        {
            ["MADBASE_URL"] = fixture.Edge.BaseUri.ToString().TrimEnd('/'),
            ["MADBASE_SERVICE_KEY"] = Tokens.ServiceRole,
            ["MADBASE_ANON_KEY"] = Tokens.Anon,
            ["MADBASE_USER_A_TOKEN"] = Tokens.User(alice),
            ["MADBASE_USER_A_ID"] = alice.ToString(),
        }, TimeSpan.FromSeconds(60));
        Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.Stdout);
        Assert.True(result.Json.GetProperty("checks").GetInt32() >= 30, result.Stdout);
    }
}

public sealed class FileSupabaseJsStorageTests(FileStorageFixture fixture) : SupabaseJsStorageTests<FileStorageFixture>(fixture);

public sealed class S3SupabaseJsStorageTests(S3StorageFixture fixture) : SupabaseJsStorageTests<S3StorageFixture>(fixture);
