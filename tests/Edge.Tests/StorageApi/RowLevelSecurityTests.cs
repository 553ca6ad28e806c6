namespace MadBase.Edge.Tests.StorageApi;

/// <summary>Policies from <see cref="StorageFixture"/>: <c>rls-*</c> buckets = own rows only; <c>ins-*</c> = INSERT only.</summary>
public abstract class RowLevelSecurityTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : StorageFixture
{
    [Fact]
    public async Task Rls_TwoUsers_EachReadsListsAndDeletesOnlyOwnObjects()
    {
        var bucket = StorageFixture.NewBucketName("rls");
        await fixture.CreateBucketAsync(bucket);
        Guid alice = Guid.NewGuid(), bob = Guid.NewGuid();
        string aliceToken = Tokens.User(alice), bobToken = Tokens.User(bob);
        (await fixture.UploadAsync(bucket, "shared/alice.txt", "A"u8.ToArray(), token: aliceToken)).EnsureSuccessStatusCode();
        (await fixture.UploadAsync(bucket, "shared/bob.txt", "B"u8.ToArray(), token: bobToken)).EnsureSuccessStatusCode();

        Assert.Equal("A", await (await fixture.SendAsync(HttpMethod.Get, $"object/authenticated/{bucket}/shared/alice.txt", aliceToken)).Content.ReadAsStringAsync());
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/authenticated/{bucket}/shared/bob.txt", aliceToken), "404");
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/info/{bucket}/shared/bob.txt", aliceToken), "404");

        var list = await StorageFixture.JsonAsync(await fixture.PostJsonAsync("object/list/" + bucket, """{"prefix":"shared","limit":10,"offset":0}""", aliceToken));
        Assert.Equal("alice.txt", Assert.Single(list.EnumerateArray()).GetProperty("name").GetString());

        // Bob cannot overwrite, sign, move or delete Alice's object.
        await StorageFixture.AssertErrorAsync(await fixture.UploadAsync(bucket, "shared/alice.txt", "X"u8.ToArray(), token: bobToken, upsert: true), "403");
        await StorageFixture.AssertErrorAsync(await fixture.PostJsonAsync($"object/sign/{bucket}/shared/alice.txt", """{"expiresIn":60}""", bobToken), "404");
        await StorageFixture.AssertErrorAsync(await fixture.PostJsonAsync("object/move", $$"""{"bucketId":"{{bucket}}","sourceKey":"shared/alice.txt","destinationKey":"stolen.txt"}""", bobToken), "404");
        using var bobDelete = await fixture.SendAsync(HttpMethod.Delete, $"object/{bucket}", bobToken,
            new StringContent("""{"prefixes":["shared/alice.txt","shared/bob.txt"]}""", System.Text.Encoding.UTF8, "application/json"));
        var deleted = await StorageFixture.JsonAsync(bobDelete);
        Assert.Equal("shared/bob.txt", Assert.Single(deleted.EnumerateArray()).GetProperty("name").GetString());
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Delete, $"object/{bucket}/shared/alice.txt", bobToken), "403");

        Assert.Equal("A", await (await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/shared/alice.txt", aliceToken)).Content.ReadAsStringAsync());
        (await fixture.UploadAsync(bucket, "shared/alice.txt", "A2"u8.ToArray(), token: aliceToken, upsert: true)).EnsureSuccessStatusCode();
        Assert.Equal("A2", await (await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/shared/alice.txt", aliceToken)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Rls_InsertOnlyPolicy_CreateSucceeds_UpsertNeedsSelectAndUpdate()
    {
        var bucket = StorageFixture.NewBucketName("ins");
        await fixture.CreateBucketAsync(bucket);
        var token = Tokens.User(Guid.NewGuid());
        (await fixture.UploadAsync(bucket, "once.txt", "1"u8.ToArray(), token: token)).EnsureSuccessStatusCode();

        using var upsert = await fixture.UploadAsync(bucket, "once.txt", "2"u8.ToArray(), token: token, upsert: true);
        var body = await upsert.Content.ReadAsStringAsync();
        await StorageFixture.AssertErrorAsync(upsert, "403");
        Assert.Contains("INSERT, SELECT and UPDATE", body, StringComparison.Ordinal);
        using var fresh = await fixture.UploadAsync(bucket, "fresh.txt", "3"u8.ToArray(), token: token, upsert: true);
        await StorageFixture.AssertErrorAsync(fresh, "403"); // RETURNING/ON CONFLICT need SELECT even without a conflict

        Assert.Equal("1", await (await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/once.txt")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Rls_AnonymousAndForeignBucket_WritesRefusedBeforeBytesStored()
    {
        var bucket = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(bucket);
        using var anon = await fixture.UploadAsync(bucket, "a.txt", "x"u8.ToArray(), token: Tokens.Anon);
        var message = (await StorageFixture.JsonAsync(anon)).GetProperty("message").GetString();
        Assert.Contains("row-level security", message, StringComparison.Ordinal);
        await StorageFixture.AssertErrorAsync(await fixture.UploadAsync(bucket, "a.txt", "x"u8.ToArray(), token: Tokens.User(Guid.NewGuid())), "403");
        await StorageFixture.AssertErrorAsync(await fixture.UploadAsync(StorageFixture.NewBucketName(), "a.txt", "x"u8.ToArray()), "404");
        Assert.Equal(0, await fixture.CountRowsAsync(bucket));
        if (fixture is FileStorageFixture files)
        {
            Assert.False(Directory.Exists(Path.Combine(files.StorageDir, "objects", bucket)), "no bytes may be stored for a refused upload");
        }
    }
}

public sealed class FileRowLevelSecurityTests(FileStorageFixture fixture) : RowLevelSecurityTests<FileStorageFixture>(fixture);

public sealed class S3RowLevelSecurityTests(S3StorageFixture fixture) : RowLevelSecurityTests<S3StorageFixture>(fixture);
