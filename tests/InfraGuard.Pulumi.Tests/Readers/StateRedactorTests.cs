using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;
using InfraGuard.Pulumi.Readers;
using InfraGuard.Testing;
using static InfraGuard.Pulumi.Tests.Readers.PulumiTestFiles;

namespace InfraGuard.Pulumi.Tests.Readers;

/// <summary>
/// The byte-level <see cref="StateRedactor"/> against the former tree redaction (<see cref="TreeRedaction"/>): same
/// values, same secret paths in the same order, over every object of every Pulumi fixture and over random maps
/// built from the edge cases (signatures, escaped names, secret-looking names around nested secrets, markers).
/// </summary>
public class StateRedactorTests
{
    private const string SigKey = PulumiValues.SigKey;
    private const string SecretSig = "1b47061264138c4ac30d75fd1eb44270";

    private static readonly JsonSerializerOptions Text = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] Names =
    [
        "a", "name", "password", "db_password", "masterPassword", "secretKey", "token", "tokens", "apiKey",
        "credentials", "tags", "key.with.dots", "sp ace", "quo\"te", "back\\slash", "", "é中", "__defaults", "__meta",
        SigKey, "urn", "path", "uri", "hash", "text", "assets", "ciphertext", "plaintext", "connectionString", "[0]",
    ];

    private static readonly string[] Strings =
    [
        "v", "", Redaction.SecretMarker, Redaction.UnknownMarker, PulumiValues.UnknownSentinel, SecretSig,
        "c44067f5952c0a294b673a41bacd8c17", "0def7320c3a5731c473e5ecbe6d01bc7", "5cf8f73096256a8f31e491e813e4eb8e",
        "803fd3297a5875dc03ca845dda5d2a98", "ffff", "urn:pulumi:dev::p::t::n", "<é>&'\"\\\n", "0123456789abcdef0123",
    ];

    private static readonly string[] Numbers = ["0", "1.50", "-3e10", "123456789012345678901234567890", "7"];

    public static TheoryData<string> PulumiJsonFiles() => new(JsonFiles());

    private static IEnumerable<string> JsonFiles() =>
        Directory.GetFiles(Repo.Fixture("pulumi"), "*.json", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.GetDirectoryName(TestData("README.md"))!, "*.json"))
            .Order(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(PulumiJsonFiles))]
    public void Redact_EveryObjectOfAFixture_SameAsTreeRedaction(string file)
    {
        var objects = ObjectsOf(File.ReadAllBytes(file));
        var sensitive = objects.Select(_ => new SensitivePaths()).ToList();
        var maps = NewMaps();
        var indexes = objects.Select((o, i) => maps.Add(o, sensitive[i])).ToList();
        maps.Parse();

        Assert.NotEmpty(objects);
        for (var i = 0; i < objects.Count; i++)
        {
            var (json, paths) = ByTree(objects[i]);
            Assert.Equal(json, maps[indexes[i]].ToJsonString(Text));
            Assert.Equal(paths, sensitive[i].Paths);
        }
    }

    [Fact]
    public void Redact_RandomMaps_SameAsTreeRedaction()
    {
        Gen.Int.Sample(
            seed =>
            {
                var map = RandomMap(new Random(seed));
                var (json, paths) = ByTree(map);
                var (redacted, found) = ByBytes(map);
                return json == redacted && paths.SequenceEqual(found);
            },
            iter: 3000,
            print: seed => Encoding.UTF8.GetString(RandomMap(new Random(seed))));
    }

    [Fact]
    public void TryLookup_EveryPathOfTheFixtureMaps_SameAsFormerNodeLookup()
    {
        var checkedPaths = 0;
        foreach (var file in JsonFiles())
        {
            foreach (var map in ObjectsOf(File.ReadAllBytes(file)))
            {
                var tree = TreeRedaction.Sanitize(JsonNode.Parse(map)!.AsObject(), new SensitivePaths(), new SecretNames());
                var element = NewMaps().RedactOne(map, new SensitivePaths());
                // A bounded sample per map: nested maps are checked on their own as well.
                foreach (var path in PathsOf(tree, string.Empty).Take(50).SelectMany(p => new[] { p, p + ".zz", p + "[99]", p + "[0]" }))
                {
                    var expected = TreeRedaction.Lookup(tree, path, out var expectedFound);
                    var found = PropertyPath.TryLookup(element, path, out var value);
                    Assert.Equal(expectedFound, found);
                    Assert.True(
                        !found || JsonNode.DeepEquals(expected, PropertyPath.ToNode(value)),
                        $"{Path.GetFileName(file)}: {path}");
                    checkedPaths++;
                }
            }
        }

        Assert.True(checkedPaths > 1000, $"only {checkedPaths} paths checked");
    }

    [Fact]
    public void Read_RedactionEdgeCases_NoSecretTextAndPathsInWalkOrder()
    {
        var set = ReadLog(TestData("synthetic-redaction-edge-cases.eventlog.json"));
        var rich = Single(set, "rich");

        Assert.DoesNotContain("LEAK", Canonical(set), StringComparison.Ordinal);
        Assert.Equal(
            [
                "password", "nested.secretKey.token", "nested.secretKey", "nested.list[2]", "nested.list[3].apiKey",
                "credentials.password", "credentials", "sec", "secretAsset", "privateKey", "[\"key.with.dots\"].password",
                "[\"sp ace\"][0].token", "[\"quo\\\"te\"][\"x\\\\y\"].secret", "[\"\"].secret", "arr[0]",
                "arr[1][0].password", "onlyOut.secret",
            ],
            rich.SensitivePaths);
        Assert.Equal("[asset path=./a.txt hash=0123456789ab]", (string?)rich.Before!["asset"]);
        Assert.Equal("[archive of 2 assets hash=aa]", (string?)rich.Before["archive"]);
        Assert.Equal("[asset uri=https://x/é]", (string?)rich.Before["uriasset"]);
        Assert.Equal(Redaction.UnknownMarker, (string?)rich.Before["authKey"]);
        Assert.Null(rich.Before["db_password"]);
        Assert.False(rich.Before.ContainsKey("__defaults"));
        Assert.Equal(["myPassword"], Single(set, "outputsonly").SensitivePaths);
        Assert.Equal(Redaction.SecretMarker, (string?)Single(set, "outputsonly").After!["myPassword"]);
    }

    [Fact]
    public void Read_StateWithARepeatedInputsProperty_RefusedWithPosition()
    {
        const string Log = """
            {"sequence":0,"resourcePreEvent":{"metadata":{"op":"create","urn":"urn:pulumi:dev::p::t::n","new":{"inputs":{"a":1},"inputs":{"a":2}}}}}
            {"sequence":1,"cancelEvent":{}}
            """;

        var error = Assert.Throws<PlanReadException>(() => ReadLogText(Log));

        Assert.Equal(1, error.Line);
        Assert.Contains("'inputs' twice", error.Problem, StringComparison.Ordinal);
    }

    private static RedactedMaps NewMaps() => new(new StateRedactor(new SecretNames()));

    private static (string Json, IReadOnlyList<string> Paths) ByTree(byte[] map)
    {
        var sensitive = new SensitivePaths();
        var node = TreeRedaction.Sanitize(JsonNode.Parse(map)!.AsObject(), sensitive, new SecretNames());
        return (node.ToJsonString(Text), sensitive.Paths);
    }

    private static (string Json, IReadOnlyList<string> Paths) ByBytes(byte[] map)
    {
        var sensitive = new SensitivePaths();
        var element = NewMaps().RedactOne(map, sensitive);
        return (JsonObject.Create(element)!.ToJsonString(Text), sensitive.Paths);
    }

    /// <summary>The raw bytes (as written, whitespace and escapes included) of every object in a JSON file.</summary>
    private static List<byte[]> ObjectsOf(byte[] utf8)
    {
        var objects = new List<byte[]>();
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                var copy = reader;
                copy.Skip();
                objects.Add(utf8[(int)reader.TokenStartIndex..(int)copy.BytesConsumed]);
            }
        }

        return objects;
    }

    private static IEnumerable<string> PathsOf(JsonNode? node, string path)
    {
        var children = node switch
        {
            JsonObject obj => obj.Select(p => (PropertyPath.AppendKey(path, p.Key), p.Value)).ToList(),
            JsonArray array => array.Select((v, i) => (PropertyPath.AppendIndex(path, i), v)).ToList(),
            _ => [],
        };
        foreach (var (childPath, child) in children)
        {
            yield return childPath;
            foreach (var deeper in PathsOf(child, childPath))
            {
                yield return deeper;
            }
        }
    }

    private static byte[] RandomMap(Random random)
    {
        var text = RandomObject(random, depth: 0, special: false).ToJsonString();

        // Names may be escaped in the input: the redactor must read them as the tree does.
        if (random.Next(3) == 0)
        {
            text = text.Replace("\"4dabf", "\"\\u0034dabf", StringComparison.Ordinal)
                .Replace("\"password\"", "\"pass\\u0077ord\"", StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>A random object; a special one also holds the signature key, at a random position.</summary>
    private static JsonObject RandomObject(Random random, int depth, bool special)
    {
        var obj = new JsonObject();
        for (var i = random.Next(6); i > 0; i--)
        {
            obj.TryAdd(Pick(random, Names), RandomValue(random, depth + 1));
        }

        if (special && !obj.ContainsKey(SigKey))
        {
            var sig = random.Next(6) == 0 ? JsonValue.Create(5) : JsonValue.Create(Pick(random, Strings));
            obj.Insert(random.Next(obj.Count + 1), SigKey, sig);
        }

        return obj;
    }

    private static JsonNode? RandomValue(Random random, int depth) => random.Next(depth > 4 ? 4 : 9) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next(2) == 0),
        2 => JsonNode.Parse(Pick(random, Numbers)),
        3 => JsonValue.Create(Pick(random, Strings)),
        4 or 5 => RandomObject(random, depth, special: false),
        6 => RandomObject(random, depth, special: true),
        _ => new JsonArray(Enumerable.Range(0, random.Next(4)).Select(_ => RandomValue(random, depth + 1)).ToArray()),
    };

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
