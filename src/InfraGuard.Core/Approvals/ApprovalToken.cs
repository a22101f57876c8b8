using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using NSec.Cryptography;

namespace InfraGuard.Core.Approvals;

/// <summary>What an approval token allows.</summary>
public enum ApprovalPurpose
{
    /// <summary>InfraGuard's own preview of a guarded stack (<c>"preview"</c>).</summary>
    Preview,

    /// <summary>Applying the approved plan (<c>"apply"</c>); also accepted by the preview phase of that apply.</summary>
    Apply,
}

/// <summary>Outcome of <see cref="ApprovalToken.Verify"/>. Checks run in declaration order; the first failure wins.</summary>
public enum ApprovalTokenStatus
{
    /// <summary>The token is genuine, current and for this stack, plan and purpose.</summary>
    Valid,

    /// <summary>Not an igt1 token: framing, base64url, JSON, canonical form or claim types are wrong.</summary>
    BadFormat,

    /// <summary>The key id is not among the trusted keys.</summary>
    UnknownKey,

    /// <summary>The signature does not verify with the key the token names.</summary>
    BadSignature,

    /// <summary>The current time is at or after <c>exp</c>.</summary>
    Expired,

    /// <summary>The token is for another stack or project.</summary>
    WrongStack,

    /// <summary>The token is bound to another plan hash.</summary>
    WrongPlan,

    /// <summary>The token was minted for another purpose.</summary>
    WrongPurpose,

    /// <summary>A break-glass token for a tier that has no <c>break-glass</c> group.</summary>
    BreakGlassNotAllowed,
}

/// <summary>
/// The break-glass mark of a token (claims <c>breakglass</c> and <c>breakglass_by</c>, always both): the change was
/// applied without waiting for approval, for this incident, by this person. Only apply tokens carry it.
/// </summary>
/// <param name="Incident">The incident id (1-100 characters).</param>
/// <param name="By">The person who broke the glass (1-200 characters).</param>
public sealed record BreakGlassClaim(string Incident, string By);

/// <summary>What InfraGuard asks a token to carry.</summary>
/// <param name="Stack"><c>org/project/stack</c> (preferred) or a bare stack name.</param>
/// <param name="RequestId">The change request id (1-200 characters).</param>
/// <param name="PlanHash">SHA-256 of the approved plan, 64 lowercase hex. For a preview, the state fingerprint.</param>
/// <param name="Purpose">What the token allows.</param>
/// <param name="Project">Optional project name; binds a bare stack name to one project.</param>
/// <param name="BreakGlass">For a break-glass apply: the incident and the person; null for an approved one.</param>
public sealed record ApprovalTokenRequest(string Stack, string RequestId, string PlanHash, ApprovalPurpose Purpose, string? Project = null, BreakGlassClaim? BreakGlass = null);

/// <summary>The signed claims of a token.</summary>
/// <param name="Stack">Claim <c>stack</c>.</param>
/// <param name="RequestId">Claim <c>req</c>.</param>
/// <param name="PlanHash">Claim <c>plan</c>.</param>
/// <param name="Purpose">Claim <c>purpose</c>.</param>
/// <param name="ExpiresAt">Claim <c>exp</c> (Unix seconds).</param>
/// <param name="KeyId">Claim <c>kid</c>.</param>
/// <param name="Project">Claim <c>project</c>, when present.</param>
/// <param name="BreakGlass">Claims <c>breakglass</c> and <c>breakglass_by</c>, when present.</param>
public sealed record ApprovalClaims(string Stack, string RequestId, string PlanHash, ApprovalPurpose Purpose, DateTimeOffset ExpiresAt, string KeyId, string? Project, BreakGlassClaim? BreakGlass = null);

/// <summary>What the verifier requires of a token.</summary>
/// <param name="Stack">The run's stack, <c>org/project/stack</c> or a bare name (a bare name cannot match a qualified token).</param>
/// <param name="PlanHash">The plan hash the token must carry, or null not to check it.</param>
/// <param name="Purpose">The purpose the token must carry.</param>
/// <param name="BreakGlassAllowed">True only when the stack's tier has a <c>break-glass</c> group; a break-glass token is refused otherwise.</param>
public sealed record ApprovalExpectation(string Stack, string? PlanHash, ApprovalPurpose Purpose, bool BreakGlassAllowed = false);

/// <summary>Result of a verification.</summary>
/// <param name="Status">Why the token was accepted or refused.</param>
/// <param name="Detail">A sentence for people; never contains the token or key material.</param>
/// <param name="Claims">The claims, when the payload parsed.</param>
public sealed record ApprovalTokenResult(ApprovalTokenStatus Status, string Detail, ApprovalClaims? Claims)
{
    /// <summary>True when <see cref="Status"/> is <see cref="ApprovalTokenStatus.Valid"/>.</summary>
    public bool IsValid => Status == ApprovalTokenStatus.Valid;
}

/// <summary>Trusted InfraGuard public keys by key id (the CrossGuard pack's <c>publicKeys</c> config has the same shape).</summary>
public sealed class ApprovalKeyRing
{
    private readonly Dictionary<string, PublicKey> _keys;

    private ApprovalKeyRing(Dictionary<string, PublicKey> keys) => _keys = keys;

    /// <summary>Key ids and base64 raw public keys, as written to policy config.</summary>
    public IReadOnlyDictionary<string, string> ToConfig() =>
        _keys.ToDictionary(k => k.Key, k => Convert.ToBase64String(k.Value.Export(KeyBlobFormat.RawPublicKey)), StringComparer.Ordinal);

    /// <summary>A ring of raw 32-byte Ed25519 public keys; ids are derived.</summary>
    /// <exception cref="ArgumentException">A key is not 32 bytes.</exception>
    public static ApprovalKeyRing FromPublicKeys(IEnumerable<ReadOnlyMemory<byte>> rawPublicKeys)
    {
        ArgumentNullException.ThrowIfNull(rawPublicKeys);
        var keys = new Dictionary<string, PublicKey>(StringComparer.Ordinal);
        foreach (var raw in rawPublicKeys)
        {
            keys[ApprovalToken.KeyIdOf(raw.Span)] = PublicKey.Import(SignatureAlgorithm.Ed25519, raw.Span, KeyBlobFormat.RawPublicKey);
        }

        return new ApprovalKeyRing(keys);
    }

    /// <summary>A ring from <c>{"ed25519:&lt;16 hex&gt;": "&lt;base64 raw key&gt;"}</c>, checking every id against its key.</summary>
    /// <exception cref="FormatException">A key is not base64 of 32 bytes, or its id does not match it.</exception>
    public static ApprovalKeyRing FromConfig(IReadOnlyDictionary<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var keys = new Dictionary<string, PublicKey>(StringComparer.Ordinal);
        foreach (var (kid, value) in config)
        {
            byte[] raw;
            try
            {
                raw = Convert.FromBase64String(value);
            }
            catch (FormatException)
            {
                throw new FormatException($"publicKeys[\"{kid}\"] is not base64; expected the base64 of a raw 32-byte Ed25519 public key.");
            }

            if (raw.Length != 32 || Convert.ToBase64String(raw) != value)
            {
                throw new FormatException($"publicKeys[\"{kid}\"] must be the canonical base64 of a raw 32-byte Ed25519 public key.");
            }

            var expected = ApprovalToken.KeyIdOf(raw);
            if (!string.Equals(kid, expected, StringComparison.Ordinal))
            {
                throw new FormatException($"publicKeys: key id \"{kid}\" does not match its key; it should be \"{expected}\".");
            }

            keys[kid] = PublicKey.Import(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPublicKey);
        }

        return new ApprovalKeyRing(keys);
    }

    internal bool TryGet(string kid, out PublicKey key) => _keys.TryGetValue(kid, out key!);
}

/// <summary>
/// InfraGuard approval tokens (<c>igt1</c>): proof, checked by the CrossGuard pack, that a run of a guarded stack
/// goes through InfraGuard. Format: <c>igt1.</c> + base64url(payload) + <c>.</c> + base64url(Ed25519 signature over
/// the ASCII of <c>igt1.</c> + base64url(payload)), no padding. The payload is canonical JSON (keys sorted ordinal,
/// no whitespace, integers only) of <c>[breakglass, breakglass_by], exp, kid, plan, [project], purpose, req, stack, v</c>. The TypeScript twin is
/// policy-packs/crossguard/src/token.ts; cross-language vectors live in policy-packs/crossguard/test/vectors/.
/// </summary>
public static class ApprovalToken
{
    /// <summary>The token prefix, which also names the format version.</summary>
    public const string Prefix = "igt1.";

    private const long MaxSafeInteger = 9007199254740991;
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly HashSet<string> AllowedClaims = new(StringComparer.Ordinal) { "breakglass", "breakglass_by", "exp", "kid", "plan", "project", "purpose", "req", "stack", "v" };
    private static readonly string[] RequiredClaims = ["exp", "kid", "plan", "purpose", "req", "stack", "v"];

    /// <summary>The environment variable through which InfraGuard hands a token to the engine (and so to the CrossGuard pack).</summary>
    public const string EnvironmentVariable = "INFRAGUARD_APPROVAL_TOKEN";

    /// <summary>The same key id as the audit log's (<see cref="AuditKeys.KeyIdOf"/>): one key, one id everywhere.</summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public static string KeyIdOf(ReadOnlySpan<byte> rawPublicKey) => AuditKeys.KeyIdOf(rawPublicKey);

    /// <summary>Mints a token with a 32-byte Ed25519 seed.</summary>
    /// <inheritdoc cref="Mint(Key, ApprovalTokenRequest, DateTimeOffset, DateTimeOffset)"/>
    public static string Mint(ReadOnlySpan<byte> seed, ApprovalTokenRequest request, DateTimeOffset now, DateTimeOffset expires)
    {
        if (seed.Length != 32)
        {
            throw new ArgumentException($"An Ed25519 seed has 32 bytes, got {seed.Length}.", nameof(seed));
        }

        using var key = Key.Import(Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        return Mint(key, request, now, expires);
    }

    /// <summary>Mints a token. <c>exp</c> is <paramref name="expires"/> in whole Unix seconds.</summary>
    /// <param name="signingKey">InfraGuard's Ed25519 signing key.</param>
    /// <param name="request">The claims to bind.</param>
    /// <param name="now">The current time; the token must expire after it.</param>
    /// <param name="expires">When the token stops being valid.</param>
    /// <returns>The token text.</returns>
    /// <exception cref="ArgumentException">A claim is malformed or <paramref name="expires"/> is not after <paramref name="now"/>.</exception>
    public static string Mint(Key signingKey, ApprovalTokenRequest request, DateTimeOffset now, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentNullException.ThrowIfNull(request);
        if (signingKey.Algorithm != Ed25519)
        {
            throw new ArgumentException("The signing key must be an Ed25519 key.", nameof(signingKey));
        }

        var exp = expires.ToUnixTimeSeconds();
        if (exp <= now.ToUnixTimeSeconds())
        {
            throw new ArgumentException($"The token must expire after now ({now:O}); expires is {expires:O}.", nameof(expires));
        }

        var claims = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["exp"] = exp,
            ["kid"] = KeyIdOf(signingKey.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
            ["plan"] = request.PlanHash,
            ["purpose"] = PurposeText(request.Purpose),
            ["req"] = request.RequestId,
            ["stack"] = request.Stack,
            ["v"] = 1L,
        };
        if (request.Project is not null)
        {
            claims["project"] = request.Project;
        }

        if (request.BreakGlass is { } glass)
        {
            claims["breakglass"] = glass.Incident;
            claims["breakglass_by"] = glass.By;
        }

        if (ClaimsProblem(claims) is { } problem)
        {
            throw new ArgumentException($"Cannot mint an approval token: {problem}.", nameof(request));
        }

        return SignPayload(signingKey, CanonicalJson(claims));
    }

    /// <summary>Verifies a token against trusted keys and what the run requires.</summary>
    /// <param name="token">The token text.</param>
    /// <param name="keys">Trusted InfraGuard public keys.</param>
    /// <param name="expected">The stack, plan and purpose of this run.</param>
    /// <param name="now">The current time; the token is expired when <c>now &gt;= exp</c>.</param>
    /// <returns>The status (first failing check, in <see cref="ApprovalTokenStatus"/> order) and claims.</returns>
    public static ApprovalTokenResult Verify(string token, ApprovalKeyRing keys, ApprovalExpectation expected, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(expected);
        if (token is null || !token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return Fail(ApprovalTokenStatus.BadFormat, $"token does not start with \"{Prefix}\"");
        }

        var parts = token[Prefix.Length..].Split('.');
        if (parts.Length != 2)
        {
            return Fail(ApprovalTokenStatus.BadFormat, "token must have exactly two base64url parts after the prefix");
        }

        var payloadBytes = DecodeBase64UrlStrict(parts[0]);
        var signature = DecodeBase64UrlStrict(parts[1]);
        if (payloadBytes is null || signature is null)
        {
            return Fail(ApprovalTokenStatus.BadFormat, "token parts must be unpadded base64url");
        }

        if (signature.Length != 64)
        {
            return Fail(ApprovalTokenStatus.BadFormat, "an Ed25519 signature has 64 bytes");
        }

        if (ParseClaims(payloadBytes) is not { } parsed)
        {
            return Fail(ApprovalTokenStatus.BadFormat, "payload is not a UTF-8 JSON object without duplicate keys");
        }

        if (ClaimsProblem(parsed) is { } problem)
        {
            return Fail(ApprovalTokenStatus.BadFormat, problem);
        }

        var claims = ToClaims(parsed);
        if (!Audit.CanonicalJson.IsCanonical(payloadBytes))
        {
            return new(ApprovalTokenStatus.BadFormat, "payload is not canonical JSON", claims);
        }

        if (!keys.TryGet(claims.KeyId, out var key))
        {
            return new(ApprovalTokenStatus.UnknownKey, $"key {claims.KeyId} is not among the trusted InfraGuard keys", claims);
        }

        if (!Ed25519.Verify(key, Encoding.ASCII.GetBytes(Prefix + parts[0]), signature))
        {
            return new(ApprovalTokenStatus.BadSignature, "signature does not verify", claims);
        }

        if (now >= claims.ExpiresAt)
        {
            return new(ApprovalTokenStatus.Expired, $"token expired at {claims.ExpiresAt:O}", claims);
        }

        if (!StackMatches(claims, expected.Stack))
        {
            return new(ApprovalTokenStatus.WrongStack, $"token is for stack \"{claims.Stack}\", this run is for \"{expected.Stack}\"", claims);
        }

        if (expected.PlanHash is not null && !string.Equals(claims.PlanHash, expected.PlanHash, StringComparison.Ordinal))
        {
            return new(ApprovalTokenStatus.WrongPlan, "token is bound to a different plan", claims);
        }

        if (claims.Purpose != expected.Purpose)
        {
            return new(ApprovalTokenStatus.WrongPurpose, $"token purpose is \"{PurposeText(claims.Purpose)}\", this run needs \"{PurposeText(expected.Purpose)}\"", claims);
        }

        if (claims.BreakGlass is { } glass && !expected.BreakGlassAllowed)
        {
            return new(ApprovalTokenStatus.BreakGlassNotAllowed, $"token is a break-glass ({glass.Incident}, by {glass.By}) and this stack's tier has no break-glass group", claims);
        }

        if (claims.BreakGlass is { } used)
        {
            return new(ApprovalTokenStatus.Valid, $"break-glass request {claims.RequestId} ({used.Incident}, by {used.By})", claims);
        }

        return new(ApprovalTokenStatus.Valid, $"approved request {claims.RequestId}", claims);
    }

    /// <summary>Wire name of a purpose.</summary>
    public static string PurposeText(ApprovalPurpose purpose) => purpose switch
    {
        ApprovalPurpose.Apply => "apply",
        ApprovalPurpose.Preview => "preview",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose), purpose, "Unknown approval purpose."),
    };

    /// <summary>Frames and signs an arbitrary payload text; the vectors use it to build malformed-but-signed tokens.</summary>
    internal static string SignPayload(Key key, string payloadJson)
    {
        var signingInput = Prefix + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson));
        var signature = Ed25519.Sign(key, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>
    /// The payload text: the audit log's canonical JSON (<see cref="Audit.CanonicalJson"/>) of string and integer
    /// members, which is what JavaScript's <c>JSON.stringify</c> writes for the same members in ordinal key order.
    /// </summary>
    /// <exception cref="ArgumentException">A member is neither a string nor an integer, or a string is not valid Unicode.</exception>
    internal static string CanonicalJson(IEnumerable<KeyValuePair<string, object>> members)
    {
        var node = new JsonObject();
        foreach (var (name, value) in members)
        {
            node[name] = value switch
            {
                string s => JsonValue.Create(s),
                long l => JsonValue.Create(l),
                _ => throw new ArgumentException($"Canonical JSON here holds strings and integers only; \"{name}\" is {value?.GetType().Name ?? "null"}.", nameof(members)),
            };
        }

        try
        {
            return Encoding.UTF8.GetString(Audit.CanonicalJson.Serialize(node));
        }
        catch (Exception ex) when (ex is CanonicalJsonException or InvalidOperationException or ArgumentException)
        {
            throw new ArgumentException($"A claim cannot be written as canonical JSON: {ex.Message}", nameof(members), ex);
        }
    }

    private static byte[]? DecodeBase64UrlStrict(string text)
    {
        if (text.Length % 4 == 1 || !text.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
        {
            return null;
        }

        try
        {
            var bytes = Base64Url.DecodeFromChars(text);
            return string.Equals(Base64Url.EncodeToString(bytes), text, StringComparison.Ordinal) ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static Dictionary<string, object>? ParseClaims(byte[] payloadBytes)
    {
        try
        {
            var text = StrictUtf8.GetString(payloadBytes);
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var values = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                object? value = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString()!,
                    JsonValueKind.Number when p.Value.TryGetInt64(out var l) => l,
                    _ => null,
                };
                if (!values.TryAdd(p.Name, value ?? p.Value.ValueKind))
                {
                    return null;
                }
            }

            return values;
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    // Mirrors claimsProblem in token.ts. Non-string, non-integer JSON values arrive as their JsonValueKind.
    private static string? ClaimsProblem(IReadOnlyDictionary<string, object> c)
    {
        if (c.Keys.FirstOrDefault(k => !AllowedClaims.Contains(k)) is { } unknown)
        {
            return $"unknown claim \"{unknown}\"";
        }

        if (RequiredClaims.FirstOrDefault(k => !c.ContainsKey(k)) is { } missing)
        {
            return $"missing claim \"{missing}\"";
        }

        if (c["v"] is not 1L)
        {
            return "unsupported token version (v must be 1)";
        }

        if (c["exp"] is not long exp || exp <= 0 || exp > MaxSafeInteger)
        {
            return "exp must be a positive integer (Unix seconds)";
        }

        if (c["kid"] is not string kid || kid.Length != 24 || !kid.StartsWith("ed25519:", StringComparison.Ordinal) || !IsLowerHex(kid.AsSpan(8)))
        {
            return "kid must be \"ed25519:\" + 16 lowercase hex chars";
        }

        if (c["plan"] is not string plan || plan.Length != 64 || !IsLowerHex(plan))
        {
            return "plan must be 64 lowercase hex chars (SHA-256)";
        }

        if (c["purpose"] is not ("apply" or "preview"))
        {
            return "purpose must be \"apply\" or \"preview\"";
        }

        if (c["req"] is not string req || req.Length is 0 or > 200)
        {
            return "req must be a request id of 1-200 characters";
        }

        if (c["stack"] is not string stack || !IsStackName(stack))
        {
            return "stack must be \"org/project/stack\" or a bare stack name";
        }

        if (c.TryGetValue("project", out var project) && (project is not string p || p.Length == 0 || p.Contains('/', StringComparison.Ordinal)))
        {
            return "project must be a non-empty name without '/'";
        }

        var incident = c.TryGetValue("breakglass", out var i) ? i : null;
        var by = c.TryGetValue("breakglass_by", out var b) ? b : null;
        if ((incident is null) != (by is null))
        {
            return "breakglass and breakglass_by go together";
        }

        if (incident is not null && (incident is not string inc || inc.Length is 0 or > BreakGlassRules.MaxIncidentLength || by is not string who || who.Length is 0 or > 200))
        {
            return "breakglass must be an incident id of 1-100 characters and breakglass_by a person of 1-200 characters";
        }

        if (incident is not null && c["purpose"] is not "apply")
        {
            return "only an apply token may carry breakglass";
        }

        return null;
    }

    private static ApprovalClaims ToClaims(Dictionary<string, object> c) => new(
        Stack: (string)c["stack"],
        RequestId: (string)c["req"],
        PlanHash: (string)c["plan"],
        Purpose: (string)c["purpose"] == "apply" ? ApprovalPurpose.Apply : ApprovalPurpose.Preview,
        ExpiresAt: DateTimeOffset.FromUnixTimeSeconds((long)c["exp"]),
        KeyId: (string)c["kid"],
        Project: c.TryGetValue("project", out var p) ? (string)p : null,
        BreakGlass: c.TryGetValue("breakglass", out var g) ? new BreakGlassClaim((string)g, (string)c["breakglass_by"]) : null);

    // Same rule as stackMatches in token.ts: a qualified token needs project and stack equal (and the org, when the
    // expectation names one); a bare token matches the stack name; a project claim must match the project.
    private static bool StackMatches(ApprovalClaims claims, string expectedStack)
    {
        var e = expectedStack.Split('/');
        var (org, project, stack) = e.Length == 3 ? (e[0], e[1], e[2]) : ((string?)null, (string?)null, expectedStack);
        if (claims.Project is not null && !string.Equals(claims.Project, project, StringComparison.Ordinal))
        {
            return false;
        }

        var t = claims.Stack.Split('/');
        if (t.Length == 1)
        {
            return string.Equals(t[0], stack, StringComparison.Ordinal);
        }

        return project is not null
            && string.Equals(t[1], project, StringComparison.Ordinal)
            && string.Equals(t[2], stack, StringComparison.Ordinal)
            && (org is null || string.Equals(t[0], org, StringComparison.Ordinal));
    }

    private static bool IsStackName(string s)
    {
        var parts = s.Split('/');
        return s.Length <= 400 && parts.Length is 1 or 3 && parts.All(p => p.Length > 0);
    }

    private static bool IsLowerHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static ApprovalTokenResult Fail(ApprovalTokenStatus status, string detail) => new(status, detail, null);
}
