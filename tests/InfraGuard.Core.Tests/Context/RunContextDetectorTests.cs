using InfraGuard.Core.Context;
using InfraGuard.Core.Policy;

namespace InfraGuard.Core.Tests.Context;

public class RunContextDetectorTests
{
    private static RunContext Detect(Dictionary<string, string> env, RunContextOverrides? overrides = null) =>
        RunContextDetector.Detect(name => env.GetValueOrDefault(name), overrides ?? new RunContextOverrides());

    [Fact]
    public void Detect_GitHubActions_ReadsActorRunAndUrl()
    {
        var ctx = Detect(new()
        {
            ["GITHUB_ACTIONS"] = "true", ["GITHUB_ACTOR"] = "alice", ["GITHUB_RUN_ID"] = "42", ["GITHUB_REPOSITORY"] = "acme/infra",
            ["GITHUB_SERVER_URL"] = "https://github.com", ["GITHUB_SHA"] = "abc123",
        });

        Assert.Equal(new RunContext("github:alice", ActorKind.Pipeline, null, "github-actions", "acme/infra#42", "https://github.com/acme/infra/actions/runs/42", "abc123"), ctx);
    }

    [Fact]
    public void Detect_GitLab_ReadsLoginAndPipeline()
    {
        var ctx = Detect(new()
        {
            ["GITLAB_CI"] = "true", ["GITLAB_USER_LOGIN"] = "bob", ["CI_PIPELINE_ID"] = "7", ["CI_PROJECT_PATH"] = "acme/infra",
            ["CI_PIPELINE_URL"] = "https://gitlab.example/acme/infra/-/pipelines/7", ["CI_COMMIT_SHA"] = "def456",
        });

        Assert.Equal("gitlab:bob", ctx.Requester);
        Assert.Equal("acme/infra#7", ctx.CiRunId);
        Assert.Equal("https://gitlab.example/acme/infra/-/pipelines/7", ctx.RunUrl);
    }

    [Theory]
    [InlineData("BUILDKITE", "BUILDKITE_BUILD_CREATOR_EMAIL", "email:", "buildkite")]
    [InlineData("CIRCLECI", "CIRCLE_USERNAME", "github:", "circleci")]
    [InlineData("TF_BUILD", "BUILD_REQUESTEDFOREMAIL", "email:", "azure-pipelines")]
    public void Detect_OtherCiSystems_ReadRequester(string flag, string userVar, string prefix, string system)
    {
        var ctx = Detect(new() { [flag] = "true", [userVar] = "carol" });

        Assert.Equal(prefix + "carol", ctx.Requester);
        Assert.Equal(system, ctx.CiSystem);
        Assert.Equal(ActorKind.Pipeline, ctx.ActorKind);
    }

    [Fact]
    public void Detect_Jenkins_ReadsBuildTag()
    {
        var ctx = Detect(new() { ["JENKINS_URL"] = "https://ci.example/", ["BUILD_USER_ID"] = "erin", ["BUILD_TAG"] = "jenkins-infra-9", ["BUILD_URL"] = "https://ci.example/job/infra/9/" });

        Assert.Equal(("jenkins:erin", "jenkins-infra-9", "https://ci.example/job/infra/9/"), (ctx.Requester, ctx.CiRunId, ctx.RunUrl));
    }

    [Fact]
    public void Detect_NoCi_IsHumanLocalUser()
    {
        var ctx = Detect(new() { ["USER"] = "dave" });

        Assert.Equal(("local:dave", ActorKind.Human, (string?)null), (ctx.Requester, ctx.ActorKind, ctx.CiSystem));
    }

    [Fact]
    public void Detect_FlagsBeatEnvironmentBeatCi()
    {
        var env = new Dictionary<string, string>
        {
            ["GITHUB_ACTIONS"] = "true", ["GITHUB_ACTOR"] = "alice", ["INFRAGUARD_REQUESTER"] = "email:bot@acme.example", ["INFRAGUARD_ACTOR_KIND"] = "agent",
            ["INFRAGUARD_ON_BEHALF_OF"] = "github:alice",
        };

        var fromEnv = Detect(env);
        var fromFlags = Detect(env, new RunContextOverrides("github:zoe", ActorKind.Human, "github:yan"));

        Assert.Equal(("email:bot@acme.example", ActorKind.Agent, "github:alice"), (fromEnv.Requester, fromEnv.ActorKind, fromEnv.OnBehalfOf));
        Assert.Equal(("github:zoe", ActorKind.Human, "github:yan"), (fromFlags.Requester, fromFlags.ActorKind, fromFlags.OnBehalfOf));
    }
}
