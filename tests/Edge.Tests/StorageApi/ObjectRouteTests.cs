using System.Text.Json;

namespace MadBase.Edge.Tests.StorageApi;

public abstract class ObjectRouteTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : StorageFixture
{
    [Fact]
    public async Task List_Prefix_ReturnsOneLevelWithFoldersFirstClass()
    {
        var bucket = await NewBucketWithAsync("a.txt", "b/1.txt", "b/2.txt", "b/c/3.txt", "b-x.txt", "B.txt", "z/9.txt");
        var root = await ListAsync(bucket, """{"prefix":"","limit":100,"offset":0,"sortBy":{"column":"name","order":"asc"}}""");
        Assert.Equal(["a.txt", "b", "b-x.txt", "B.txt", "z"], Names(root)); // lower(name) collate "C", as upstream
        var folder = root.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "b");
        Assert.Equal(JsonValueKind.Null, folder.GetProperty("id").ValueKind);
        Assert.Equal(JsonValueKind.Null, folder.GetProperty("metadata").ValueKind);
        var file = root.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "a.txt");
        Assert.Equal(1, file.GetProperty("metadata").GetProperty("size").GetInt64());

        var inside = await ListAsync(bucket, """{"prefix":"b","limit":100,"offset":0,"sortBy":{"column":"name","order":"asc"}}""");
        Assert.Equal(["1.txt", "2.txt", "c"], Names(inside));
    }

    [Fact]
    public async Task List_LimitOffsetSearchAndDescending_Paginate()
    {
        var bucket = await NewBucketWithAsync([.. Enumerable.Range(0, 12).Select(i => $"f/{i:00}.txt"), "f/other.bin", "f/sub/x.txt"]);
        var page = await ListAsync(bucket, """{"prefix":"f/","limit":5,"offset":5,"sortBy":{"column":"name","order":"asc"}}""");
        Assert.Equal(["05.txt", "06.txt", "07.txt", "08.txt", "09.txt"], Names(page));
        var search = await ListAsync(bucket, """{"prefix":"f","limit":100,"offset":0,"search":"OT","sortBy":{"column":"name","order":"asc"}}""");
        Assert.Equal(["other.bin"], Names(search));
        var descending = await ListAsync(bucket, """{"prefix":"f","limit":2,"offset":0,"sortBy":{"column":"name","order":"desc"}}""");
        Assert.Equal(["sub", "other.bin"], Names(descending));
        var byDate = await ListAsync(bucket, """{"prefix":"f","limit":100,"offset":0,"sortBy":{"column":"created_at","order":"asc"}}""");
        Assert.Equal("sub", Names(byDate)[0]); // folders have no timestamps and sort first
    }

    [Fact]
    public async Task Info_ReturnsRowFieldsAndUserMetadata()
    {
        var bucket = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(bucket);
        var metadata = Convert.ToBase64String("""{"k":"v"}"""u8);
        (await fixture.SendAsync(HttpMethod.Post, $"object/{bucket}/i.txt", content: new StringContent("info"),
            configure: r => r.Headers.Add("x-metadata", metadata))).EnsureSuccessStatusCode();
        var info = await StorageFixture.JsonAsync(await fixture.SendAsync(HttpMethod.Get, $"object/info/{bucket}/i.txt"));
        Assert.Equal("i.txt", info.GetProperty("name").GetString());
        Assert.Equal(bucket, info.GetProperty("bucket_id").GetString());
        Assert.Equal(4, info.GetProperty("size").GetInt64());
        Assert.Equal("v", info.GetProperty("metadata").GetProperty("k").GetString());
        Assert.StartsWith("\"", info.GetProperty("etag").GetString(), StringComparison.Ordinal);
        Assert.True(Guid.TryParse(info.GetProperty("version").GetString(), out _));
    }

    [Fact]
    public async Task Move_RenamesKeepsIdAndBytes_OldNameGone()
    {
        var bucket = await NewBucketWithAsync("from.txt", "taken.txt");
        var id = (await StorageFixture.JsonAsync(await fixture.SendAsync(HttpMethod.Get, $"object/info/{bucket}/from.txt"))).GetProperty("id").GetString();
        var moved = await StorageFixture.JsonAsync(await fixture.PostJsonAsync("object/move", $$"""{"bucketId":"{{bucket}}","sourceKey":"from.txt","destinationKey":"to/here.txt"}"""));
        Assert.Equal("Successfully moved", moved.GetProperty("message").GetString());
        Assert.Equal(id, moved.GetProperty("Id").GetString());
        Assert.Equal("x", await (await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/to/here.txt")).Content.ReadAsStringAsync());
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/from.txt"), "404");
        await StorageFixture.AssertErrorAsync(await fixture.PostJsonAsync("object/move", $$"""{"bucketId":"{{bucket}}","sourceKey":"to/here.txt","destinationKey":"taken.txt"}"""), "409");
    }

    [Fact]
    public async Task Copy_ToOtherBucket_DuplicatesBytes_ExistingNeedsUpsert()
    {
        var source = await NewBucketWithAsync("s.txt");
        var target = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(target);
        var copied = await StorageFixture.JsonAsync(await fixture.PostJsonAsync("object/copy",
            $$"""{"bucketId":"{{source}}","sourceKey":"s.txt","destinationBucket":"{{target}}","destinationKey":"c/s.txt"}"""));
        Assert.Equal(target + "/c/s.txt", copied.GetProperty("Key").GetString());
        Assert.Equal("x", await (await fixture.SendAsync(HttpMethod.Get, $"object/{target}/c/s.txt")).Content.ReadAsStringAsync());
        Assert.Equal("x", await (await fixture.SendAsync(HttpMethod.Get, $"object/{source}/s.txt")).Content.ReadAsStringAsync());
        var body = $$"""{"bucketId":"{{source}}","sourceKey":"s.txt","destinationBucket":"{{target}}","destinationKey":"c/s.txt"}""";
        await StorageFixture.AssertErrorAsync(await fixture.PostJsonAsync("object/copy", body), "409");
        (await fixture.PostJsonAsync("object/copy", body, configure: r => r.Headers.Add("x-upsert", "true"))).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task DeleteMany_ReturnsDeletedRows_SkipsMissing()
    {
        var bucket = await NewBucketWithAsync("d/1.txt", "d/2.txt", "keep.txt");
        using var response = await fixture.SendAsync(HttpMethod.Delete, $"object/{bucket}",
            content: new StringContent("""{"prefixes":["d/1.txt","d/2.txt","missing.txt"]}""", System.Text.Encoding.UTF8, "application/json"));
        var deleted = await StorageFixture.JsonAsync(response);
        Assert.Equal(["d/1.txt", "d/2.txt"], deleted.EnumerateArray().Select(e => e.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(bucket, deleted[0].GetProperty("bucket_id").GetString());
        Assert.Equal(1, await fixture.CountRowsAsync(bucket));
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/d/1.txt"), "404");
        using var single = await fixture.SendAsync(HttpMethod.Delete, $"object/{bucket}/keep.txt");
        Assert.Equal("""{"message":"Successfully deleted"}""", await single.Content.ReadAsStringAsync());
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Delete, $"object/{bucket}/keep.txt"), "404");
    }

    private async Task<string> NewBucketWithAsync(params string[] names)
    {
        var bucket = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(bucket);
        foreach (var name in names)
        {
            (await fixture.UploadAsync(bucket, name, "x"u8.ToArray(), "text/plain")).EnsureSuccessStatusCode();
        }

        return bucket;
    }

    private async Task<JsonElement> ListAsync(string bucket, string body) =>
        await StorageFixture.JsonAsync(await fixture.PostJsonAsync("object/list/" + bucket, body));

    private static string[] Names(JsonElement list) => [.. list.EnumerateArray().Select(e => e.GetProperty("name").GetString()!)];
}

public sealed class FileObjectRouteTests(FileStorageFixture fixture) : ObjectRouteTests<FileStorageFixture>(fixture);

public sealed class S3ObjectRouteTests(S3StorageFixture fixture) : ObjectRouteTests<S3StorageFixture>(fixture);
