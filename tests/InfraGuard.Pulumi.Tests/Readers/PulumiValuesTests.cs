using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Pulumi.Readers;

namespace InfraGuard.Pulumi.Tests.Readers;

public class PulumiValuesTests
{
    [Fact]
    public void Redact_AssetsArchivesAndReferences_ShortDescriptions()
    {
        var map = System.Text.Encoding.UTF8.GetBytes("""
            {"code":{"4dabf18193072939515e22adb298388d":"0def7320c3a5731c473e5ecbe6d01bc7","hash":"0123456789abcdef0123","path":"./app"},
             "file":{"4dabf18193072939515e22adb298388d":"c44067f5952c0a294b673a41bacd8c17","hash":"aa","text":"#!/bin/sh\necho TOPSECRET"},
             "role":{"4dabf18193072939515e22adb298388d":"5cf8f73096256a8f31e491e813e4eb8e","urn":"urn:pulumi:dev::p::aws:iam/role:Role::r","id":"r-1"},
             "odd":{"4dabf18193072939515e22adb298388d":"ffffffffffffffffffffffffffffffff","value":"x"},
             "list":["04da6b54-80e4-46f7-96ec-b56ff0331ba9",{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"v1:x"}]}
            """);
        var sensitive = new SensitivePaths();

        var node = JsonObject.Create(new RedactedMaps(new StateRedactor(new SecretNames())).RedactOne(map, sensitive))!;

        Assert.Equal("[archive path=./app hash=0123456789ab]", (string?)node["code"]);
        Assert.Equal("[asset (inline text) hash=aa]", (string?)node["file"]);
        Assert.Equal("[resource urn:pulumi:dev::p::aws:iam/role:Role::r]", (string?)node["role"]);
        Assert.Equal("[unrecognised Pulumi value]", (string?)node["odd"]);
        Assert.Equal(Redaction.UnknownMarker, (string?)node["list"]![0]);
        Assert.Equal(Redaction.SecretMarker, (string?)node["list"]![1]);
        Assert.Equal(["list[1]"], sensitive.Paths);
    }

    [Theory]
    [InlineData("ingress[1].cidrBlocks[0]", "10.0.0.0/8")]
    [InlineData("tags[\"key.with.dots\"]", "dotted")]
    [InlineData("[\"top.level\"].inner", "deep")]
    [InlineData("secretBlob.anything", Redaction.SecretMarker)]
    public void Lookup_PulumiPaths_FindsValue(string path, string expected)
    {
        var node = JsonElement.Parse("""
            {"ingress":[{},{"cidrBlocks":["10.0.0.0/8"]}],"tags":{"key.with.dots":"dotted"},"top.level":{"inner":"deep"},"secretBlob":"[secret]"}
            """);

        Assert.True(PropertyPath.TryLookup(node, path, out var value));
        Assert.Equal(expected, value.GetString());
    }

    [Fact]
    public void Lookup_MissingPath_NotFound()
    {
        Assert.False(PropertyPath.TryLookup(JsonElement.Parse("""{"a":[1]}"""), "a[3]", out _));
    }
}
