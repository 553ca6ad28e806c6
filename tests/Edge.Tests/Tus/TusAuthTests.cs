using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace MadBase.Edge.Tests.Tus;

/// <summary>Who may upload: users through their RLS policies (owner recorded), and signed upload URLs via x-signature.</summary>
public sealed class TusAuthTests(TusServerFixture fixture) : IClassFixture<TusServerFixture>
{
    private TusServer Server => fixture.Server;

    [Fact]
    public async Task Upload_UserWithInsertPolicyOnOwnFolder_StoresObjectOwnedByUser()
    {
        var user = Guid.NewGuid();
        await Server.ExecuteAsync(
            $"""
            create policy "own folder {user}" on storage.objects for insert to authenticated
              with check (bucket_id = 'uploads' and (storage.foldername(name))[1] = '{user}');
            """);
        var token = Tokens.User(user);
        var name = $"{user}/avatar.png";
        var bytes = TestFiles.Bytes(5000);

        using (var denied = await Server.CreateAsync("someone-else/avatar.png", bytes.Length, token))
        {
            Assert.Equal(403, (int)denied.StatusCode);
        }

        var url = await Server.CreateUrlAsync(name, bytes.Length, token);
        using var patch = await Server.PatchAsync(url, 0, bytes, token);

        Assert.Equal(204, (int)patch.StatusCode);
        Assert.Equal(user.ToString(), (string?)await Server.ScalarAsync($"select owner_id from storage.objects where name = '{name}'"));
        Assert.Equal(user, (Guid?)await Server.ScalarAsync($"select owner from storage.objects where name = '{name}'"));
    }

    [Fact]
    public async Task Upload_ApiKeyHeaderWithoutAuthorization_IsAccepted()
    {
        using var request = TusServer.Request(HttpMethod.Post, Server.Endpoint);
        request.Headers.Add("apikey", Tokens.ServiceRole);
        request.Headers.Add("Upload-Length", "3");
        request.Headers.Add("Upload-Metadata", TusServer.Metadata("auth/apikey.bin"));
        using var response = await Server.Http.SendAsync(request);

        Assert.Equal(201, (int)response.StatusCode);
    }

    [Fact]
    public async Task Upload_SignedUploadUrlTokenInXSignature_StoresObjectWithoutSession()
    {
        var owner = Guid.NewGuid();
        const string name = "signed/report.pdf";
        using var sign = new HttpRequestMessage(HttpMethod.Post, $"storage/v1/object/upload/sign/{TusServer.Bucket}/{name}");
        sign.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Create("service_role", owner.ToString()));
        using var signed = await Server.Http.SendAsync(sign);
        Assert.True(signed.IsSuccessStatusCode, await signed.Content.ReadAsStringAsync());
        var token = (await signed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        var bytes = TestFiles.Bytes(3000, seed: 21);

        using var create = TusServer.Request(HttpMethod.Post, Server.Endpoint + "/sign");
        create.Headers.Add("x-signature", token);
        create.Headers.Add("Upload-Length", bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        create.Headers.Add("Upload-Metadata", TusServer.Metadata(name));
        using var created = await Server.Http.SendAsync(create);
        Assert.Equal(201, (int)created.StatusCode);
        var url = created.Headers.Location!.ToString();
        Assert.Contains("/upload/resumable/sign/", url, StringComparison.Ordinal);

        using var patch = TusServer.Request(HttpMethod.Patch, url);
        patch.Headers.Add("x-signature", token);
        patch.Headers.Add("Upload-Offset", "0");
        patch.Content = new ByteArrayContent(bytes);
        patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        using var patched = await Server.Http.SendAsync(patch);

        Assert.Equal(204, (int)patched.StatusCode);
        Assert.Equal(owner.ToString(), (string?)await Server.ScalarAsync($"select owner_id from storage.objects where name = '{name}'"));
    }

    [Fact]
    public async Task Create_SignedTokenForAnotherObject_Returns403()
    {
        using var sign = new HttpRequestMessage(HttpMethod.Post, $"storage/v1/object/upload/sign/{TusServer.Bucket}/signed/a.bin");
        sign.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
        using var signed = await Server.Http.SendAsync(sign);
        var token = (await signed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;

        using var create = TusServer.Request(HttpMethod.Post, Server.Endpoint + "/sign");
        create.Headers.Add("x-signature", token);
        create.Headers.Add("Upload-Length", "10");
        create.Headers.Add("Upload-Metadata", TusServer.Metadata("signed/b.bin"));
        using var response = await Server.Http.SendAsync(create);

        Assert.Equal(403, (int)response.StatusCode);
    }

    [Fact]
    public async Task Head_CompletedUploadWhoseObjectWasReplaced_Returns404()
    {
        const string name = "auth/replaced.bin";
        var url = await Server.CreateUrlAsync(name, 4);
        using (var patch = await Server.PatchAsync(url, 0, TestFiles.Bytes(4)))
        {
            Assert.Equal(204, (int)patch.StatusCode);
        }

        using (var head = await Server.HeadAsync(url))
        {
            Assert.Equal(200, (int)head.StatusCode);
            Assert.Equal(4, TusServer.Offset(head));
        }

        using (var replace = await Server.CreateAsync(name, 4, configure: r => r.Headers.Add("x-upsert", "true")))
        {
            var second = replace.Headers.Location!.ToString();
            using var patch = await Server.PatchAsync(second, 0, TestFiles.Bytes(4, seed: 2));
            Assert.Equal(204, (int)patch.StatusCode);
        }

        using var stale = await Server.HeadAsync(url);
        Assert.Equal(404, (int)stale.StatusCode);
    }
}
