using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;

namespace InfraGuard.Core.Policy.Detectors;

/// <summary>Secret or sensitive values change; key material is destroyed or disabled.</summary>
internal sealed class SecretMaterialDetector : IDetector
{
    private static readonly string[] KeyTypeWords = ["KMS", "KEYVAULTKEY", "KEYVAULT/KEY", "KEYVAULT:KEY", "CRYPTOKEY", "SECRETSMANAGER", "SECRETMANAGER", "KEYVAULTSECRET"];

    // Key or secret types (not aliases or policies of them), decided once per distinct type.
    private static readonly NameTrait KeyType = NameTrait.Normalised(type =>
        KeyTypeWords.Any(w => type.Contains(w, StringComparison.Ordinal)) && !type.Contains("ALIAS", StringComparison.Ordinal) && !type.Contains("POLICY", StringComparison.Ordinal));

    private const int EnabledName = 1, SecretLookingName = 2;

    // What a leaf name is, decided once per distinct name.
    private static readonly NameTrait NameKind = new(n =>
        (n.Normalised is "ISENABLED" or "ENABLED" ? EnabledName : 0) | (Redaction.IsSecretLookingName(n.Text) ? SecretLookingName : 0));

    public string Id => "secret-material";

    public string Summary => "a secret or sensitive value changes, or key material is deleted or disabled";

    public string Description =>
        "Fires on updates and replaces that change a path the engine marks sensitive or secret, or whose name looks "
        + "secret (password, token, private_key, access_key, connection_string ...); values are always shown as [secret]. "
        + "Also fires when a KMS key, Key Vault key, Cloud KMS crypto key or secrets-manager secret is deleted or "
        + "replaced (data encrypted with it becomes unreadable), or when such a key's is_enabled/enabled goes from true "
        + "to false. Creating a resource with a password is not a finding.";

    public IReadOnlyList<DetectorOption> Options => [];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        var views = input.Views;
        for (var v = 0; v < views.Length; v++)
        {
            var view = views[v];
            var r = view.Resource;
            if (view.Op is not (ChangeOp.Delete or ChangeOp.Update or ChangeOp.Replace or ChangeOp.Unknown))
            {
                continue;
            }

            var isKey = view.Type.Is(KeyType);
            if (isKey && view.Op is ChangeOp.Delete or ChangeOp.Replace)
            {
                yield return DetectorHit.On(r, $"key or secret {r.Name} would be {(r.Op == ChangeOp.Delete ? "deleted" : "replaced")}: whatever it protects becomes unreadable");
                continue;
            }

            if (view.Op is not (ChangeOp.Update or ChangeOp.Replace or ChangeOp.Unknown))
            {
                continue;
            }

            var leaves = view.Leaves;
            for (var i = 0; i < leaves.Length; i++)
            {
                var leaf = leaves[i];
                var name = leaf.NameFacts.Get(NameKind);
                if (isKey && (name & EnabledName) != 0 && leaf.BeforeBool == true && leaf.AfterBool == false)
                {
                    yield return DetectorHit.On(r, "the key is disabled: data encrypted with it cannot be read until it is enabled again", leaf.Path, "true", "false");
                }
                else if ((name & SecretLookingName) != 0 || leaf.BeforeIsSecret || leaf.AfterIsSecret || IsUnderSensitivePath(r, leaf.Path))
                {
                    yield return DetectorHit.On(r, $"secret value {leaf.Name} changes: dependants must pick up the new value", leaf.Path, Redaction.SecretMarker, Redaction.SecretMarker);
                }
            }
        }
    }

    // The path is a sensitive path or lies beneath one (path == s, or starts with s followed by '.' or '[').
    private static bool IsUnderSensitivePath(ResourceChange r, string path)
    {
        var paths = r.SensitivePaths;
        for (var i = 0; i < paths.Count; i++)
        {
            var s = paths[i];
            if (path.StartsWith(s, StringComparison.Ordinal) && (path.Length == s.Length || path[s.Length] is '.' or '['))
            {
                return true;
            }
        }

        return false;
    }
}
