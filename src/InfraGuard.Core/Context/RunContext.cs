using InfraGuard.Core.Policy;

namespace InfraGuard.Core.Context;

/// <summary>Who runs this change and where: the facts `infraguard up` records with a change request.</summary>
/// <param name="Requester">Raw requester identity, e.g. <c>github:alice</c>, <c>gitlab:bob</c>, <c>email:carol@example.com</c>, <c>local:dave</c>.</param>
/// <param name="ActorKind">Human, pipeline or agent.</param>
/// <param name="OnBehalfOf">For agents: the raw identity of the person the agent acts for.</param>
/// <param name="CiSystem">CI system name, or null when run by hand.</param>
/// <param name="CiRunId">The CI run's id, stable across re-runs of the same pipeline run (used for idempotency).</param>
/// <param name="RunUrl">Link to the CI run, if known.</param>
/// <param name="Commit">The commit being deployed, if known.</param>
public sealed record RunContext(
    string Requester,
    ActorKind ActorKind,
    string? OnBehalfOf,
    string? CiSystem,
    string? CiRunId,
    string? RunUrl,
    string? Commit);

/// <summary>Explicit choices from flags; they win over what the environment says.</summary>
public sealed record RunContextOverrides(string? Requester = null, ActorKind? ActorKind = null, string? OnBehalfOf = null);

/// <summary>
/// Reads the run context from CI variables (GitHub Actions, GitLab CI, Buildkite, CircleCI, Jenkins, Azure Pipelines)
/// through a lookup function, so Core never touches the process environment itself.
/// </summary>
public static class RunContextDetector
{
    /// <summary>Detects the context; flags in <paramref name="overrides"/> win, then INFRAGUARD_* variables, then CI variables.</summary>
    public static RunContext Detect(Func<string, string?> env, RunContextOverrides overrides)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(overrides);
        string? Get(string name) => env(name) is { Length: > 0 } v ? v : null;

        var ci = Ci(Get);
        var requester = overrides.Requester ?? Get("INFRAGUARD_REQUESTER") ?? ci?.Requester
            ?? "local:" + (Get("USER") ?? Get("USERNAME") ?? "unknown");
        var actor = overrides.ActorKind
            ?? (Get("INFRAGUARD_ACTOR_KIND") is { } kind ? ParseActorKind(kind) : null)
            ?? (ci is null ? ActorKind.Human : ActorKind.Pipeline);
        var onBehalfOf = overrides.OnBehalfOf ?? Get("INFRAGUARD_ON_BEHALF_OF");
        return new RunContext(requester, actor, onBehalfOf, ci?.System, ci?.RunId, ci?.Url, ci?.Commit);
    }

    /// <summary>Parses <c>human</c>, <c>pipeline</c> or <c>agent</c>; null for anything else.</summary>
    public static ActorKind? ParseActorKind(string value) => value.Trim().ToLowerInvariant() switch
    {
        "human" => ActorKind.Human,
        "pipeline" => ActorKind.Pipeline,
        "agent" => ActorKind.Agent,
        _ => null,
    };

    private sealed record CiFacts(string System, string? Requester, string? RunId, string? Url, string? Commit);

    private static CiFacts? Ci(Func<string, string?> get)
    {
        if (get("GITHUB_ACTIONS") == "true")
        {
            var url = get("GITHUB_SERVER_URL") is { } server && get("GITHUB_REPOSITORY") is { } repo && get("GITHUB_RUN_ID") is { } run
                ? $"{server}/{repo}/actions/runs/{run}"
                : null;
            return new("github-actions", Prefixed("github", get("GITHUB_TRIGGERING_ACTOR") ?? get("GITHUB_ACTOR")), Join(get("GITHUB_REPOSITORY"), get("GITHUB_RUN_ID")), url, get("GITHUB_SHA"));
        }

        if (get("GITLAB_CI") == "true")
        {
            return new("gitlab-ci", Prefixed("gitlab", get("GITLAB_USER_LOGIN")) ?? Prefixed("email", get("GITLAB_USER_EMAIL")), Join(get("CI_PROJECT_PATH"), get("CI_PIPELINE_ID")), get("CI_PIPELINE_URL") ?? get("CI_JOB_URL"), get("CI_COMMIT_SHA"));
        }

        if (get("BUILDKITE") == "true")
        {
            return new("buildkite", Prefixed("email", get("BUILDKITE_BUILD_CREATOR_EMAIL") ?? get("BUILDKITE_BUILD_AUTHOR_EMAIL")), get("BUILDKITE_BUILD_ID"), get("BUILDKITE_BUILD_URL"), get("BUILDKITE_COMMIT"));
        }

        if (get("CIRCLECI") == "true")
        {
            return new("circleci", Prefixed("github", get("CIRCLE_USERNAME")), get("CIRCLE_WORKFLOW_ID") ?? get("CIRCLE_BUILD_NUM"), get("CIRCLE_BUILD_URL"), get("CIRCLE_SHA1"));
        }

        if (get("TF_BUILD") is { } tf && tf.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            var url = get("SYSTEM_COLLECTIONURI") is { } coll && get("SYSTEM_TEAMPROJECT") is { } proj && get("BUILD_BUILDID") is { } id
                ? $"{coll.TrimEnd('/')}/{Uri.EscapeDataString(proj)}/_build/results?buildId={id}"
                : null;
            return new("azure-pipelines", Prefixed("email", get("BUILD_REQUESTEDFOREMAIL")) ?? Prefixed("azure", get("BUILD_REQUESTEDFOR")), get("BUILD_BUILDID"), url, get("BUILD_SOURCEVERSION"));
        }

        if (get("JENKINS_URL") is not null)
        {
            return new("jenkins", Prefixed("jenkins", get("BUILD_USER_ID") ?? get("CHANGE_AUTHOR")), get("BUILD_TAG"), get("BUILD_URL"), get("GIT_COMMIT"));
        }

        return get("CI") is "true" or "1"
            ? new("ci", null, null, null, null)
            : null;
    }

    private static string? Prefixed(string prefix, string? value) => value is null ? null : $"{prefix}:{value}";

    private static string? Join(string? a, string? b) => a is null || b is null ? b : $"{a}#{b}";
}
