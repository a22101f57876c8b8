using InfraGuard.Core.Changes;

namespace InfraGuard.Terraform.Readers;

/// <summary>
/// Maps a Terraform/OpenTofu <c>change.actions</c> list to a logical op. The full list of valid values is in
/// Terraform's <c>jsonplan</c> writer (<c>actionString</c>) and OpenTofu's; anything else is
/// <see cref="ChangeOp.Unknown"/> so that it scores as the highest risk (fail closed).
/// </summary>
internal static class TerraformActions
{
    public static (ChangeOp Op, ReplaceOrder? Order) Classify(IReadOnlyList<string> actions) => actions switch
    {
        ["no-op"] => (ChangeOp.Same, null),
        ["create"] => (ChangeOp.Create, null),
        ["read"] => (ChangeOp.Read, null),

        // OpenTofu >= 1.11: an ephemeral resource is opened (read for this run only, never stored). Nothing changes.
        ["open"] => (ChangeOp.Read, null),
        ["update"] => (ChangeOp.Update, null),
        ["delete"] => (ChangeOp.Delete, null),
        ["forget"] => (ChangeOp.Forget, null),
        ["delete", "create"] => (ChangeOp.Replace, ReplaceOrder.DeleteBeforeCreate),
        ["create", "delete"] => (ChangeOp.Replace, ReplaceOrder.CreateBeforeDelete),

        // Terraform >= 1.7: a replacement whose old object is forgotten (removed from state), not destroyed.
        ["create", "forget"] => (ChangeOp.Replace, ReplaceOrder.CreateBeforeDelete),

        // OpenTofu >= 1.12 writes the same replacement the other way round (ForgetThenCreate).
        ["forget", "create"] => (ChangeOp.Replace, ReplaceOrder.DeleteBeforeCreate),
        _ => (ChangeOp.Unknown, null),
    };
}
