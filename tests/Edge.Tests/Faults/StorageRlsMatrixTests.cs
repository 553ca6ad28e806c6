using System.Text.Json;
using MadBase.Edge.Tests.StorageApi;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// Fault matrix (docs/faults.md): role × policy for the storage API. Four buckets (private owner-only, private with a
/// shared folder every signed-in user may read, private with no policy, public owner-only), four objects each (two
/// per user, one of each in <c>shared/</c>), four callers (anon, A, B, service_role). Every answer is compared with
/// what PostgreSQL lets the role do to <c>storage.objects</c> (<see cref="StorageRlsOracle"/>). Must hold: list,
/// download, info and signed URLs serve exactly the rows the role may SELECT (the public route: every object of a
/// public bucket, nothing of a private one); upsert, delete, bulk delete and new uploads change exactly what the
/// policies allow; every refusal is Supabase's JSON error (<c>statusCode</c>, <c>error</c>, <c>message</c>).
/// </summary>
public abstract class StorageRlsMatrixTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : StorageFixture
{
    private static readonly string[] s_objects = ["a/a1.txt", "b/b1.txt", "shared/a-s.txt", "shared/b-s.txt"];
    private static readonly string[] s_folders = ["a", "b", "shared"];

    [Fact]
    public async Task Storage_RoleByPolicy_NothingServedListedOrModifiedBeyondThePolicies()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        var roles = RlsRole.Matrix(a, b);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        (string Name, bool Public, string Policy)[] buckets =
        [
            ("m-own-" + suffix, false, "private, owner-only"),
            ("m-shr-" + suffix, false, "private, owner + shared/ folder"),
            ("m-deny-" + suffix, false, "private, no policy (deny)"),
            ("m-pub-" + suffix, true, "public, owner-only"),
        ];
        foreach (var bucket in buckets)
        {
            await fixture.CreateBucketAsync(bucket.Name, bucket.Public);
        }

        await TestSql.ExecuteAsync(fixture.Database, Policies(buckets[0].Name, buckets[1].Name, buckets[3].Name, suffix));
        string OwnerOf(string name) => (name.StartsWith("a/", StringComparison.Ordinal) || name.EndsWith("a-s.txt", StringComparison.Ordinal) ? a : b).ToString();
        foreach (var bucket in buckets)
        {
            foreach (var name in s_objects)
            {
                await SeedAsync(bucket.Name, name, OwnerOf(name));
            }
        }

        var tally = new StorageRlsTally();
        foreach (var role in roles)
        {
            foreach (var bucket in buckets)
            {
                var cell = (bucket.Policy, role.Name);
                var visible = await StorageRlsOracle.SelectableAsync(fixture.Database, role, bucket.Name);
                foreach (var folder in s_folders)
                {
                    using var response = await fixture.PostJsonAsync("object/list/" + bucket.Name, $$"""{"prefix":"{{folder}}","limit":100,"offset":0}""", role.Token);
                    var listed = response.IsSuccessStatusCode
                        ? (await StorageFixture.JsonAsync(response)).EnumerateArray().Where(e => e.GetProperty("id").ValueKind != JsonValueKind.Null)
                            .Select(e => folder + "/" + e.GetProperty("name").GetString()).ToHashSet(StringComparer.Ordinal)
                        : [];
                    var want = visible.Where(n => n.StartsWith(folder + "/", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
                    tally.Set(cell, "list", $"{bucket.Name} {folder}/", listed, want, response.IsSuccessStatusCode ? null : await response.Content.ReadAsStringAsync());
                }

                await ListV2Async(tally, cell, bucket.Name, role, visible);
                foreach (var name in s_objects)
                {
                    var allowed = visible.Contains(name);
                    var where = $"{bucket.Name}/{name}";
                    await tally.ReadAsync(cell, "download (authenticated)", where, allowed, Content(bucket.Name, name),
                        await fixture.SendAsync(HttpMethod.Get, $"object/authenticated/{bucket.Name}/{name}", role.Token));
                    await tally.ReadAsync(cell, "download", where, allowed, Content(bucket.Name, name),
                        await fixture.SendAsync(HttpMethod.Get, $"object/{bucket.Name}/{name}", role.Token));
                    await tally.ReadAsync(cell, "info", where, allowed, null,
                        await fixture.SendAsync(HttpMethod.Get, $"object/info/{bucket.Name}/{name}", role.Token));
                    await tally.ReadAsync(cell, "public URL", where, bucket.Public, Content(bucket.Name, name),
                        await fixture.SendAsync(HttpMethod.Get, $"object/public/{bucket.Name}/{name}", role.Token));
                    using var sign = await fixture.PostJsonAsync($"object/sign/{bucket.Name}/{name}", """{"expiresIn":60}""", role.Token);
                    if (sign.IsSuccessStatusCode)
                    {
                        var url = (await StorageFixture.JsonAsync(sign)).GetProperty("signedURL").GetString()!;
                        await tally.ReadAsync(cell, "signed URL", where, allowed, Content(bucket.Name, name),
                            await fixture.Edge.Http.GetAsync(new Uri(fixture.Edge.BaseUri, "storage/v1" + url)));
                    }
                    else
                    {
                        await tally.ReadAsync(cell, "signed URL", where, allowed, null, sign);
                    }
                }

                foreach (var name in s_objects)
                {
                    var where = $"{bucket.Name}/{name}";
                    var mayUpsert = await StorageRlsOracle.MayUpsertAsync(fixture.Database, role, bucket.Name, name);
                    using (var upsert = await fixture.UploadAsync(bucket.Name, name, Encoding.UTF8.GetBytes("overwritten by " + role.Name), token: role.Token, upsert: true, method: HttpMethod.Put))
                    {
                        var changed = await ServedAsync(bucket.Name, name) != Content(bucket.Name, name);
                        await tally.WriteAsync(cell, "upsert (PUT)", where, mayUpsert, changed, upsert);
                    }

                    await SeedAsync(bucket.Name, name, OwnerOf(name));
                    var mayDelete = await StorageRlsOracle.MayDeleteAsync(fixture.Database, role, bucket.Name, name);
                    using (var delete = await fixture.SendAsync(HttpMethod.Delete, $"object/{bucket.Name}/{name}", role.Token))
                    {
                        await tally.WriteAsync(cell, "delete", where, mayDelete, !await ExistsAsync(bucket.Name, name), delete);
                    }

                    await SeedAsync(bucket.Name, name, OwnerOf(name));
                }

                foreach (var folder in s_folders)
                {
                    var name = $"{folder}/new-{role.Name}.txt";
                    var mayInsert = await StorageRlsOracle.MayInsertAsync(fixture.Database, role, bucket.Name, name);
                    using (var upload = await fixture.UploadAsync(bucket.Name, name, "new"u8.ToArray(), token: role.Token))
                    {
                        await tally.WriteAsync(cell, "upload new", $"{bucket.Name}/{name}", mayInsert, await ExistsAsync(bucket.Name, name), upload);
                    }

                    using var cleanup = await fixture.SendAsync(HttpMethod.Delete, $"object/{bucket.Name}/{name}"); // as service_role
                }

                var deletable = new HashSet<string>(StringComparer.Ordinal);
                foreach (var name in s_objects)
                {
                    if (await StorageRlsOracle.MayDeleteAsync(fixture.Database, role, bucket.Name, name))
                    {
                        deletable.Add(name);
                    }
                }

                using (var bulk = await fixture.SendAsync(HttpMethod.Delete, $"object/{bucket.Name}", role.Token,
                    new StringContent(JsonSerializer.Serialize(new Dictionary<string, string[]> { ["prefixes"] = s_objects }), Encoding.UTF8, "application/json")))
                {
                    var deleted = bulk.IsSuccessStatusCode
                        ? (await StorageFixture.JsonAsync(bulk)).EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToHashSet(StringComparer.Ordinal)
                        : [];
                    var gone = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var name in s_objects)
                    {
                        if (!await ExistsAsync(bucket.Name, name))
                        {
                            gone.Add(name);
                        }
                    }

                    tally.Set(cell, "bulk delete", bucket.Name, deleted, deletable, bulk.IsSuccessStatusCode ? null : await bulk.Content.ReadAsStringAsync());
                    tally.Set(cell, "bulk delete (rows gone)", bucket.Name, gone, deletable, null);
                }

                foreach (var name in s_objects)
                {
                    await SeedAsync(bucket.Name, name, OwnerOf(name));
                }
            }
        }

        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine(tally.Table(buckets.Select(x => x.Policy).ToList(), roles.Select(r => r.Name).ToList()));
        foreach (var problem in tally.Problems.Take(40))
        {
            output?.WriteLine(problem);
        }

        foreach (var refusal in tally.Refusals.Order(StringComparer.Ordinal))
        {
            output?.WriteLine("refusal: " + refusal);
        }

        FaultServer.Report("rls-storage-" + GetType().Name, ("roles", roles.Count), ("buckets", buckets.Length), ("checks", tally.Checked),
            ("allowed", tally.Allowed), ("refused", tally.Refused), ("leaked", tally.Leaked), ("wrongly_refused", tally.WronglyRefused),
            ("bad_errors", tally.BadErrors));
        Assert.True(tally.Problems.Count == 0, string.Join("\n", tally.Problems.Take(20)));
    }

    /// <summary>list-v2, flat (every object) and by folder: no object and no folder the role may not see.</summary>
    private async Task ListV2Async(StorageRlsTally tally, (string, string) cell, string bucket, RlsRole role, HashSet<string> visible)
    {
        using var flat = await fixture.PostJsonAsync("object/list-v2/" + bucket, """{"prefix":"","limit":100}""", role.Token);
        var objects = flat.IsSuccessStatusCode
            ? (await StorageFixture.JsonAsync(flat)).GetProperty("objects").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToHashSet(StringComparer.Ordinal)
            : [];
        tally.Set(cell, "list-v2", bucket, objects, visible, flat.IsSuccessStatusCode ? null : await flat.Content.ReadAsStringAsync());
        using var grouped = await fixture.PostJsonAsync("object/list-v2/" + bucket, """{"prefix":"","limit":100,"with_delimiter":true}""", role.Token);
        var folders = grouped.IsSuccessStatusCode
            ? (await StorageFixture.JsonAsync(grouped)).GetProperty("folders").EnumerateArray().Select(e => e.GetProperty("name").GetString()!.TrimEnd('/')).ToHashSet(StringComparer.Ordinal)
            : [];
        tally.Set(cell, "list-v2 folders", bucket, folders, visible.Select(n => n.Split('/')[0]).ToHashSet(StringComparer.Ordinal),
            grouped.IsSuccessStatusCode ? null : await grouped.Content.ReadAsStringAsync());
    }

    private static string Content(string bucket, string name) => $"{bucket}/{name}";

    /// <summary>Puts the object back as first written (service_role) with its owner (both owner columns).</summary>
    private async Task SeedAsync(string bucket, string name, string owner)
    {
        using (var upload = await fixture.UploadAsync(bucket, name, Encoding.UTF8.GetBytes(Content(bucket, name)), upsert: true))
        {
            Assert.True(upload.IsSuccessStatusCode, await upload.Content.ReadAsStringAsync());
        }

        await TestSql.ExecuteAsync(fixture.Database,
            $"update storage.objects set owner = '{owner}', owner_id = '{owner}' where bucket_id = '{bucket}' and name = '{name}'");
    }

    private async Task<string?> ServedAsync(string bucket, string name)
    {
        using var response = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/{name}");
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
    }

    private async Task<bool> ExistsAsync(string bucket, string name) =>
        (long)(await TestSql.ScalarAsync(fixture.Database, "select count(*) from storage.objects where bucket_id = $1 and name = $2", bucket, name))! > 0;

    private static string Policies(string owner, string shared, string publicOwner, string suffix)
    {
        var mine = $"bucket_id in ('{owner}', '{shared}', '{publicOwner}') and owner_id = (select auth.uid())::text";
        return $"""
            create policy m_sel_{suffix} on storage.objects for select to authenticated using ({mine});
            create policy m_ins_{suffix} on storage.objects for insert to authenticated with check ({mine});
            create policy m_upd_{suffix} on storage.objects for update to authenticated using ({mine}) with check ({mine});
            create policy m_del_{suffix} on storage.objects for delete to authenticated using ({mine});
            create policy m_shr_{suffix} on storage.objects for select to authenticated
              using (bucket_id = '{shared}' and (storage.foldername(name))[1] = 'shared');
            """;
    }
}

public sealed class FileStorageRlsMatrixTests(FileStorageFixture fixture) : StorageRlsMatrixTests<FileStorageFixture>(fixture);

public sealed class S3StorageRlsMatrixTests(S3StorageFixture fixture) : StorageRlsMatrixTests<S3StorageFixture>(fixture);
