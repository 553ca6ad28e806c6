using System.Diagnostics;
using MadBase.Edge.Objects;

namespace MadBase.Edge.Tests.StorageApi;

/// <summary>
/// Public downloads reuse a public object's row (docs/protocol/tus-and-storage.md §Download, "Public rows"): every
/// write through the server is seen by the next download at once; a change another node makes (here: straight in the
/// database) within <c>MADBASE_STORAGE_PUBLIC_CACHE_MS</c>.
/// </summary>
public abstract class PublicRowTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : StorageFixture
{
    protected TFixture Fixture => fixture;

    [Fact]
    public async Task PublicDownload_AfterOverwriteMoveDeleteAndMadePrivateHere_ServesTheNewStateAtOnce()
    {
        var bucket = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(bucket, isPublic: true);
        (await fixture.UploadAsync(bucket, "a.txt", "one"u8.ToArray(), "text/plain")).EnsureSuccessStatusCode();
        Assert.Equal("one", await PublicAsync(bucket, "a.txt"));
        Assert.Equal("one", await PublicAsync(bucket, "a.txt")); // held now

        (await fixture.UploadAsync(bucket, "a.txt", "two"u8.ToArray(), "text/plain", upsert: true)).EnsureSuccessStatusCode();
        Assert.Equal("two", await PublicAsync(bucket, "a.txt"));

        (await fixture.PostJsonAsync("object/move", $$"""{"bucketId":"{{bucket}}","sourceKey":"a.txt","destinationKey":"b.txt"}""")).EnsureSuccessStatusCode();
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/public/{bucket}/a.txt", token: ""), "404");
        Assert.Equal("two", await PublicAsync(bucket, "b.txt"));

        (await fixture.SendAsync(HttpMethod.Delete, $"object/{bucket}/b.txt")).EnsureSuccessStatusCode();
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/public/{bucket}/b.txt", token: ""), "404");

        (await fixture.UploadAsync(bucket, "c.txt", "three"u8.ToArray(), "text/plain")).EnsureSuccessStatusCode();
        Assert.Equal("three", await PublicAsync(bucket, "c.txt"));
        using var update = await fixture.SendAsync(HttpMethod.Put, "bucket/" + bucket, content: new StringContent("""{"id":"x","name":"x","public":false}""", Encoding.UTF8, "application/json"));
        update.EnsureSuccessStatusCode();
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/public/{bucket}/c.txt", token: ""), "404");
    }

    protected async Task<string> PublicAsync(string bucket, string name)
    {
        using var response = await fixture.SendAsync(HttpMethod.Get, $"object/public/{bucket}/{name}", token: "");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadAsStringAsync();
    }
}

/// <summary>The file backend with a public-row lifetime long enough to see a held row served on a slow machine.</summary>
public sealed class PublicRowFixture : StorageFixture
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(3);

    protected override void Configure(Dictionary<string, string> environment) =>
        environment["MADBASE_STORAGE_PUBLIC_CACHE_MS"] = ((int)Lifetime.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class FilePublicRowTests(PublicRowFixture fixture) : PublicRowTests<PublicRowFixture>(fixture)
{
    [Fact]
    public async Task PublicDownload_BucketMadePrivateByAnotherNode_HeldRowServedThenGoneWithinTheLifetime()
    {
        var bucket = StorageFixture.NewBucketName();
        await Fixture.CreateBucketAsync(bucket, isPublic: true);
        (await Fixture.UploadAsync(bucket, "x.txt", "x"u8.ToArray(), "text/plain")).EnsureSuccessStatusCode();
        Assert.Equal("x", await PublicAsync(bucket, "x.txt"));

        // What another node's bucket update does: a committed row change this server did not make.
        await using (var connection = new NpgsqlConnection(Fixture.Database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("update storage.buckets set public = false where id = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = bucket });
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var changed = Stopwatch.StartNew();
        Assert.Equal("x", await PublicAsync(bucket, "x.txt")); // from the held row: no query asked again yet
        while (true)
        {
            using var response = await Fixture.SendAsync(HttpMethod.Get, $"object/public/{bucket}/x.txt", token: "");
            if (!response.IsSuccessStatusCode)
            {
                await StorageFixture.AssertErrorAsync(response, "404");
                break;
            }

            Assert.True(changed.Elapsed < PublicRowFixture.Lifetime + TimeSpan.FromSeconds(2), $"still public after {changed.Elapsed}");
            await Task.Delay(50);
        }

        // Held until it was read again ahead of its expiry (PublicRowCache.RefreshAt of the lifetime after the first read).
        Assert.True(changed.Elapsed >= PublicRowFixture.Lifetime * PublicRowCache.RefreshAt - TimeSpan.FromSeconds(1), $"private after only {changed.Elapsed}: was the row held?");
    }
}

public sealed class S3PublicRowTests(S3StorageFixture fixture) : PublicRowTests<S3StorageFixture>(fixture);
