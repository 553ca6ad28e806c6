using System.Security.Cryptography;

namespace MadBase.Edge.Tests.Tus;

/// <summary>Deterministic random test files (seeded), written once per size and shared by tests.</summary>
internal static class TestFiles
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);

    public static async Task<(string Path, string Sha256)> GetAsync(long size, int seed = 42)
    {
        var path = Path.Combine(TestEnvironment.WorkDir, $"upload-{size}-{seed}.bin");
        await s_gate.WaitAsync();
        try
        {
            if (!File.Exists(path))
            {
                var random = new Random(seed);
                var buffer = new byte[1024 * 1024];
                await using var file = File.Create(path + ".tmp");
                for (long written = 0; written < size; written += buffer.Length)
                {
                    random.NextBytes(buffer);
                    await file.WriteAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - written)));
                }

                await file.DisposeAsync();
                File.Move(path + ".tmp", path);
            }
        }
        finally
        {
            s_gate.Release();
        }

        await using var read = File.OpenRead(path);
        return (path, Convert.ToHexStringLower(await SHA256.HashDataAsync(read)));
    }

    public static byte[] Bytes(int size, int seed = 7)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
