namespace MadBase.Fuzz;

/// <summary>
/// A small AFL-style mutator for the in-process smoke (CI has no time for afl-fuzz): 1-4 stacked bit flips, byte
/// sets, interesting values, inserts, deletes, duplications, truncations and splices of seeds. Deterministic for a
/// given <see cref="Random"/>.
/// </summary>
internal static class Mutator
{
    private static readonly byte[] s_interesting = [0x00, 0x01, 0x7e, 0x7f, 0x80, 0xff, (byte)'"', (byte)'\\', (byte)',', (byte)'.', (byte)'\r', (byte)'\n', 0xc0, 0xed, 0xf4];

    public static byte[] Mutate(Random random, IReadOnlyList<byte[]> seeds)
    {
        var data = new List<byte>(seeds[random.Next(seeds.Count)]);
        var operations = 1 + random.Next(4);
        for (var i = 0; i < operations; i++)
        {
            var at = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(8))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[at] = (byte)random.Next(256);
                    break;
                case 2 when data.Count > 0:
                    data[at] = s_interesting[random.Next(s_interesting.Length)];
                    break;
                case 3:
                    var insert = new byte[1 + random.Next(8)];
                    random.NextBytes(insert);
                    data.InsertRange(at, insert);
                    break;
                case 4 when data.Count > 1:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(16)));
                    break;
                case 5 when data.Count > 1:
                    data.InsertRange(at, data.GetRange(at, Math.Min(data.Count - at, 1 + random.Next(32))));
                    break;
                case 6 when data.Count > 1:
                    data.RemoveRange(at, data.Count - at);
                    break;
                default:
                    var other = seeds[random.Next(seeds.Count)];
                    var from = other.Length == 0 ? 0 : random.Next(other.Length);
                    data.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(64))).ToArray());
                    break;
            }
        }

        return [.. data];
    }
}
