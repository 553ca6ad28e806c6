using System.Buffers;
using System.Text.Json;

namespace MadBase.Edge.Tests.Replication;

/// <summary>
/// PostgreSQL is the oracle: for each value, our conversion of its output-function text (what pgoutput sends) (with the walsender's pinned
/// formats) must equal what <c>to_jsonb(value)</c> — Supabase Realtime's encoding — returns.
/// </summary>
public sealed class PgTextJsonWriterTests : IAsyncLifetime
{
    private NpgsqlDataSource _dataSource = null!;
    private ReplicationCatalog _catalog = null!;

    public static TheoryData<string> Values =>
    [
        "true", "false", "(-32768)::int2", "2147483647::int4", "(-9223372036854775808)::int8", "42::oid",
        "12345678901234567890.000000000123::numeric", "0.000000::numeric", "'NaN'::numeric", "'Infinity'::numeric",
        "'-Infinity'::numeric", "1.5e-07::float8", "1e308::float8", "0.1::float4", "'NaN'::float8", "'-Infinity'::float4",
        "'$12.34'::money", "E'tab\\there \"q\" \\\\ \\n é 😀'::text", "'ab'::char(5)", "'x'::\"char\"", "'\\x00ff10'::bytea",
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "'2024-02-29'::date", "'4713-01-01 BC'::date", "'infinity'::date",
        "'2024-02-29 13:45:01.123456'::timestamp", "'2024-02-29 13:45:01'::timestamp", "'-infinity'::timestamp",
        "'2024-02-29 08:15:01.5+00'::timestamptz", "'2024-06-01 10:00:00+05:45'::timestamptz", "'infinity'::timestamptz",
        "'23:59:59.999999'::time", "'10:00:00+02'::timetz", "'1 year 2 mons 3 days 04:05:06.789'::interval",
        "'{\"a\": 1, \"b\": [1,2]}'::json", "'{\"b\": [1, 2], \"a\": 1}'::jsonb", "'\"str\"'::jsonb", "'123'::jsonb", "'null'::jsonb",
        "'{1,2,NULL}'::int4[]", "'{{1,2},{3,4}}'::int8[]", "'{}'::text[]", "'{\"a b\",\"c\\\"d\",\"e\\\\f\",\"\",\"NULL\",NULL,\"{x}\",\"q,r\"}'::text[]",
        "array['{\"k\": \"v\"}'::jsonb, 'null'::jsonb]", "array[1.5, 'NaN']::numeric[]", "array[true, false, null]",
        "array['2024-01-01 00:00:00+00'::timestamptz]", "'[0:1]={1,2}'::int4[]", "array['(1,1),(0,0)'::box, '(2,2),(1,1)'::box]",
        "'[1,10)'::int4range", "'192.168.0.1/24'::inet", "'08:00:2b:01:02:03'::macaddr", "'(1.5,2)'::point", "B'1010'::bit(4)",
        "'<a>x</a>'::xml", "'a fat cat'::tsvector", "'happy'::mood", "7::posint", "array['sad', 'ok']::mood[]",
    ];

    public async ValueTask InitializeAsync()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        _dataSource = new NpgsqlDataSourceBuilder(
            new NpgsqlConnectionStringBuilder(database)
            {
                Timezone = "UTC",
                Options = "-c DateStyle=ISO,MDY -c IntervalStyle=postgres -c extra_float_digits=1 -c bytea_output=hex",
            }.ConnectionString).Build();
        await using (var setup = _dataSource.CreateCommand("create type mood as enum ('sad', 'ok', 'happy'); create domain posint as int4 check (value > 0)"))
        {
            await setup.ExecuteNonQueryAsync();
        }

        _catalog = new ReplicationCatalog(_dataSource);
        await _catalog.LoadTypesAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync() => await _dataSource.DisposeAsync();

    [Theory]
    [MemberData(nameof(Values))]
    public async Task Write_TextOutputOfType_EqualsToJsonb(string expression)
    {
        await using var command = _dataSource.CreateCommand($"select format('%s', v), to_jsonb(v)::text, pg_typeof(v)::oid from (select {expression} as v) s");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var text = reader.GetString(0);
        var expected = reader.GetString(1);
        var oid = reader.GetFieldValue<uint>(2);

        var buffer = new ArrayBufferWriter<byte>();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            PgTextJsonWriter.Write(json, text, _catalog.GetType(oid), _catalog);
        }

        var actual = JsonDocument.Parse(buffer.WrittenMemory).RootElement;
        Assert.True(
            JsonElement.DeepEquals(JsonDocument.Parse(expected).RootElement, actual),
            $"{expression}: text '{text}' → {System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan)}, to_jsonb gives {expected}");

        // The encoder's path from the packed UTF-8 value writes the same bytes, or declines and writes nothing.
        var fromUtf8 = new ArrayBufferWriter<byte>();
        bool written;
        await using (var json = new Utf8JsonWriter(fromUtf8))
        {
            written = PgTextJsonWriter.TryWriteUtf8(json, System.Text.Encoding.UTF8.GetBytes(text), _catalog.GetType(oid));
        }

        if (written)
        {
            Assert.Equal(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), System.Text.Encoding.UTF8.GetString(fromUtf8.WrittenSpan));
        }
        else
        {
            Assert.Equal(0, fromUtf8.WrittenCount);
        }
    }

    [Fact]
    public void TryWriteUtf8_InvalidUtf8_DeclinesAndWritesNothing()
    {
        var buffer = new ArrayBufferWriter<byte>();
        bool written;
        using (var json = new Utf8JsonWriter(buffer))
        {
            written = PgTextJsonWriter.TryWriteUtf8(json, [0x61, 0xFF, 0x62], new PgTypeDescriptor(25, "text", JsonValueStyle.String, 0, ','));
        }

        Assert.False(written);
        Assert.Equal(0, buffer.WrittenCount);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("-0.5e-3", true)]
    [InlineData("12345678901234567890.000000000123", true)]
    [InlineData("1e+308", true)]
    [InlineData("01", false)]
    [InlineData(".5", false)]
    [InlineData("1.", false)]
    [InlineData("NaN", false)]
    [InlineData("-Infinity", false)]
    [InlineData("", false)]
    public void IsJsonNumber_Text_MatchesJsonGrammar(string text, bool expected)
    {
        Assert.Equal(expected, PgTextJsonWriter.IsJsonNumber(text));
        Assert.Equal(expected, PgTextJsonWriter.IsJsonNumber(System.Text.Encoding.UTF8.GetBytes(text)));
    }
}
