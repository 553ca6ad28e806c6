using System.Net;

namespace MadBase.Edge.Tests.StorageApi;

public abstract class BucketRouteTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : StorageFixture
{
    [Fact]
    public async Task Bucket_CreateGetUpdateList_RoundTripsSupabaseShape()
    {
        var name = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(name, extra: ""","file_size_limit":"1MB","allowed_mime_types":["image/*"]""");

        var bucket = await StorageFixture.JsonAsync(await fixture.SendAsync(HttpMethod.Get, "bucket/" + name));
        Assert.Equal(name, bucket.GetProperty("id").GetString());
        Assert.Equal(1_000_000, bucket.GetProperty("file_size_limit").GetInt64());
        Assert.Equal("image/*", bucket.GetProperty("allowed_mime_types")[0].GetString());
        Assert.False(bucket.GetProperty("public").GetBoolean());

        using var update = await fixture.SendAsync(HttpMethod.Put, "bucket/" + name, content: Json("""{"id":"x","name":"x","public":true,"file_size_limit":null}"""));
        Assert.Equal("""{"message":"Successfully updated"}""", await update.Content.ReadAsStringAsync());
        bucket = await StorageFixture.JsonAsync(await fixture.SendAsync(HttpMethod.Get, "bucket/" + name));
        Assert.True(bucket.GetProperty("public").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, bucket.GetProperty("file_size_limit").ValueKind);
        Assert.Equal("image/*", bucket.GetProperty("allowed_mime_types")[0].GetString());

        var list = await StorageFixture.JsonAsync(await fixture.SendAsync(HttpMethod.Get, "bucket?search=" + name[2..] + "&sortColumn=name&sortOrder=desc"));
        Assert.Equal(name, Assert.Single(list.EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Bucket_CreateTwice_Returns409InBody()
    {
        var name = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(name);
        using var response = await fixture.PostJsonAsync("bucket", $$"""{"name":"{{name}}"}""");
        await StorageFixture.AssertErrorAsync(response, "409");
    }

    [Fact]
    public async Task Bucket_InvalidNameOrLimitAboveGlobal_Rejected()
    {
        using var badName = await fixture.PostJsonAsync("bucket", """{"name":"a/b"}""");
        await StorageFixture.AssertErrorAsync(badName, "400");
        using var tooLarge = await fixture.PostJsonAsync("bucket", $$"""{"name":"{{StorageFixture.NewBucketName()}}","file_size_limit":{{StorageFixture.GlobalMaxSize + 1}}}""");
        await StorageFixture.AssertErrorAsync(tooLarge, "413");
    }

    [Fact]
    public async Task Bucket_DeleteNonEmpty_Returns409_EmptyThenDeleteSucceeds()
    {
        var name = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(name);
        (await fixture.UploadAsync(name, "a/b.txt", "x"u8.ToArray())).EnsureSuccessStatusCode();

        using var refused = await fixture.SendAsync(HttpMethod.Delete, "bucket/" + name, content: Json("{}"));
        await StorageFixture.AssertErrorAsync(refused, "409");

        using var notService = await fixture.SendAsync(HttpMethod.Post, "bucket/" + name + "/empty", Tokens.User(Guid.NewGuid()), Json("{}"));
        await StorageFixture.AssertErrorAsync(notService, "403", httpStatus: 403);

        (await fixture.SendAsync(HttpMethod.Post, "bucket/" + name + "/empty", content: Json("{}"))).EnsureSuccessStatusCode();
        Assert.Equal(0, await fixture.CountRowsAsync(name));
        if (fixture is FileStorageFixture files)
        {
            Assert.False(Directory.Exists(Path.Combine(files.StorageDir, "objects", name)), "emptying deletes the bytes and prunes the directories");
        }
        using var deleted = await fixture.SendAsync(HttpMethod.Delete, "bucket/" + name, content: Json("{}"));
        Assert.Equal("""{"message":"Successfully deleted"}""", await deleted.Content.ReadAsStringAsync());
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, "bucket/" + name), "404");
    }

    [Fact]
    public async Task Bucket_InvalidOrMissingJwt_Returns403InBody()
    {
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, "bucket", token: ""), "403");
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, "bucket", token: Tokens.Create("service_role", secret: "another-secret-another-secret-another-secret")), "403");
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, "bucket", token: Tokens.Create("service_role", expiresAt: DateTimeOffset.UtcNow.AddMinutes(-1))), "403");
    }

    [Fact]
    public async Task Bucket_AuthenticatedUserWithoutBucketPolicy_SeesNoBuckets()
    {
        await fixture.CreateBucketAsync(StorageFixture.NewBucketName());
        var list = await StorageFixture.JsonAsync(await fixture.SendAsync(HttpMethod.Get, "bucket", Tokens.User(Guid.NewGuid())));
        Assert.Empty(list.EnumerateArray());
        using var create = await fixture.PostJsonAsync("bucket", $$"""{"name":"{{StorageFixture.NewBucketName()}}"}""", Tokens.User(Guid.NewGuid()));
        await StorageFixture.AssertErrorAsync(create, "403");
    }

    [Fact]
    public async Task UnknownRoute_ReturnsReal404()
    {
        using var response = await fixture.SendAsync(HttpMethod.Get, "nothing/here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}

public sealed class FileBucketRouteTests(FileStorageFixture fixture) : BucketRouteTests<FileStorageFixture>(fixture);

public sealed class S3BucketRouteTests(S3StorageFixture fixture) : BucketRouteTests<S3StorageFixture>(fixture);
