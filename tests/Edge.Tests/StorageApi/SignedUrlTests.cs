using System.Net;

namespace MadBase.Edge.Tests.StorageApi;

public abstract class SignedUrlTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : StorageFixture
{
    [Fact]
    public async Task SignedUrl_DownloadsWithoutAuthUntilExpiry_ThenRefused()
    {
        var bucket = await NewBucketAsync();
        const string name = "docs/ä b.txt";
        (await fixture.UploadAsync(bucket, name, "signed"u8.ToArray(), "text/plain")).EnsureSuccessStatusCode();
        var signed = await StorageFixture.JsonAsync(await fixture.PostJsonAsync($"object/sign/{bucket}/{StorageFixture.Escape(name)}", """{"expiresIn":2}"""));
        var url = signed.GetProperty("signedURL").GetString()!;
        Assert.StartsWith($"/object/sign/{bucket}/{name}?token=", url, StringComparison.Ordinal); // unencoded, as storage-js expects

        var encoded = EncodeUri(url[1..]); // what storage-js does with it
        using var download = await fixture.SendAsync(HttpMethod.Get, encoded, token: "");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("signed", await download.Content.ReadAsStringAsync());
        Assert.NotNull(download.Content.Headers.Expires);
        using var ranged = await fixture.SendAsync(HttpMethod.Get, encoded + "&download=", token: "", configure: r => r.Headers.TryAddWithoutValidation("Range", "bytes=0-1"));
        Assert.Equal("si", await ranged.Content.ReadAsStringAsync());

        await Task.Delay(TimeSpan.FromSeconds(3));
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, encoded, token: ""), "400");
    }

    [Fact]
    public async Task SignedUrl_TokenUsedForAnotherObjectOrAsBearer_Refused()
    {
        var bucket = await NewBucketAsync();
        (await fixture.UploadAsync(bucket, "a.txt", "a"u8.ToArray())).EnsureSuccessStatusCode();
        (await fixture.UploadAsync(bucket, "b.txt", "b"u8.ToArray())).EnsureSuccessStatusCode();
        var url = (await StorageFixture.JsonAsync(await fixture.PostJsonAsync($"object/sign/{bucket}/a.txt", """{"expiresIn":60}"""))).GetProperty("signedURL").GetString()!;
        var token = url[(url.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/sign/{bucket}/b.txt?token={token}", token: ""), "400");
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/sign/{bucket}/a.txt?token={token}x", token: ""), "400");

        // A signed-URL token carries no role: it must never work as a session token.
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/authenticated/{bucket}/a.txt", token: token), "403");
    }

    [Fact]
    public async Task SignMany_MixedPaths_ReturnsUrlOrErrorPerPath()
    {
        var bucket = await NewBucketAsync();
        (await fixture.UploadAsync(bucket, "one.txt", "1"u8.ToArray())).EnsureSuccessStatusCode();
        var result = await StorageFixture.JsonAsync(await fixture.PostJsonAsync($"object/sign/{bucket}", """{"expiresIn":60,"paths":["one.txt","none.txt"]}"""));
        Assert.Equal(2, result.GetArrayLength());
        Assert.StartsWith($"/object/sign/{bucket}/one.txt?token=", result[0].GetProperty("signedURL").GetString(), StringComparison.Ordinal);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, result[0].GetProperty("error").ValueKind);
        Assert.Equal("none.txt", result[1].GetProperty("path").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, result[1].GetProperty("signedURL").ValueKind);
        Assert.NotNull(result[1].GetProperty("error").GetString());
    }

    [Fact]
    public async Task SignedUploadUrl_UploadsWithoutAuth_OwnerFromTokenAndNoSecondUse()
    {
        var bucket = await NewBucketAsync("rls");
        var user = Guid.NewGuid();
        var created = await StorageFixture.JsonAsync(await fixture.PostJsonAsync($"object/upload/sign/{bucket}/{user}/up.txt", "{}", Tokens.User(user)));
        var url = created.GetProperty("url").GetString()!;
        Assert.EndsWith("token=" + created.GetProperty("token").GetString(), url, StringComparison.Ordinal);

        using var upload = await fixture.SendAsync(HttpMethod.Put, url[1..], token: "", content: new StringContent("via signed url"));
        Assert.Equal(bucket + "/" + user + "/up.txt", (await StorageFixture.JsonAsync(upload)).GetProperty("Key").GetString());
        Assert.Equal("via signed url", await (await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/{user}/up.txt", Tokens.User(user))).Content.ReadAsStringAsync());
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Put, url[1..], token: "", content: new StringContent("again")), "409");
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Put, $"object/upload/sign/{bucket}/{user}/other.txt?{url[(url.IndexOf('?', StringComparison.Ordinal) + 1)..]}", token: "", content: new StringContent("x")), "400");
    }

    [Fact]
    public async Task SignedUploadUrl_CallerWithoutInsertPermission_Refused()
    {
        var bucket = await NewBucketAsync("rls");
        using var response = await fixture.PostJsonAsync($"object/upload/sign/{bucket}/x.txt", "{}", Tokens.Create("anon"));
        await StorageFixture.AssertErrorAsync(response, "403");
    }

    /// <summary>JavaScript's encodeURI: percent-encodes UTF-8 bytes of everything but the URI's reserved and unreserved characters.</summary>
    private static string EncodeUri(string value)
    {
        var text = new System.Text.StringBuilder();
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            text.Append(b < 128 && (char.IsAsciiLetterOrDigit(c) || ";,/?:@&=+$-_.!~*'()#".Contains(c, StringComparison.Ordinal)) ? c.ToString() : "%" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private async Task<string> NewBucketAsync(string prefix = "b")
    {
        var name = StorageFixture.NewBucketName(prefix);
        await fixture.CreateBucketAsync(name);
        return name;
    }
}

public sealed class FileSignedUrlTests(FileStorageFixture fixture) : SignedUrlTests<FileStorageFixture>(fixture);

public sealed class S3SignedUrlTests(S3StorageFixture fixture) : SignedUrlTests<S3StorageFixture>(fixture);
