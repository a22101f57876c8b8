using System.CommandLine;
using InfraGuard.Core.Risk;

namespace InfraGuard.Cli.Commands;

/// <summary>Options shared by several commands, defined once.</summary>
internal static class Options
{
    public static Option<string> Policy() =>
        new("--policy") { Description = "Policy pack folder (holding policy.yaml); default: $INFRAGUARD_POLICY, else the embedded pack", HelpName = "DIR" };

    public static Option<string> ActorKind()
    {
        var option = new Option<string>("--actor-kind") { Description = "Who asks for the change", DefaultValueFactory = _ => "human" };
        option.AcceptOnlyFromAmong("human", "pipeline", "agent");
        return option;
    }

    public static ActorKind ParseActorKind(string value) => value switch
    {
        "pipeline" => Core.Risk.ActorKind.Pipeline,
        "agent" => Core.Risk.ActorKind.Agent,
        _ => Core.Risk.ActorKind.Human,
    };
}
