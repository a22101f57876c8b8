using Dapper;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Requests;

namespace InfraGuard.Store;

/// <summary>Delegations (schema v8, <c>delegation</c>): granted and revoked with their audit entries; never deleted.</summary>
public sealed partial class ChangeStore
{
    /// <inheritdoc/>
    public Task<Delegation> GrantDelegationAsync(Delegation delegation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delegation);
        return WriteAsync(async (c, tx) =>
        {
            var stored = delegation with { GrantedAt = Now() };
            await AppendInTransactionAsync(c, tx, DelegationRules.Granted(stored), cancellationToken).ConfigureAwait(false);
            await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO delegation (id, delegator_person, delegator_identity, delegate_person, delegate_identity, valid_from, valid_until, reason, granted_person, granted_identity, granted_at)
                VALUES (@Id, @DelegatorPerson, @DelegatorIdentity, @DelegatePerson, @DelegateIdentity, @ValidFrom, @ValidUntil, @Reason, @GrantedPerson, @GrantedIdentity, @GrantedAt)
                """,
                DelegationRow.From(stored),
                tx,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return stored;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<Delegation?> RevokeDelegationAsync(string id, PersonRef actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return WriteAsync<Delegation?>(async (c, tx) =>
        {
            var row = await c.QueryFirstOrDefaultAsync<DelegationRow>(new CommandDefinition("SELECT * FROM delegation WHERE id = @id", new { id }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (row is null || row.RevokedAt is not null)
            {
                return null;
            }

            var at = Now();
            await AppendInTransactionAsync(c, tx, DelegationRules.Revoked(row.ToModel(), actor, at), cancellationToken).ConfigureAwait(false);
            await c.ExecuteAsync(new CommandDefinition(
                "UPDATE delegation SET revoked_at = @at, revoked_person = @person, revoked_identity = @identity WHERE id = @id AND revoked_at IS NULL",
                new { id, at = Format(at), person = actor.PersonId, identity = actor.RawIdentity },
                tx,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row.ToModel() with { RevokedAt = at, RevokedBy = actor };
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<Delegation?> GetDelegationAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await c.QueryFirstOrDefaultAsync<DelegationRow>(new CommandDefinition("SELECT * FROM delegation WHERE id = @id", new { id }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToModel();
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<Delegation>> ListDelegationsAsync(string? personId = null, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await c.QueryAsync<DelegationRow>(new CommandDefinition(
            personId is null
                ? "SELECT * FROM delegation ORDER BY granted_at DESC, id LIMIT 1000"
                : "SELECT * FROM delegation WHERE delegate_person = @personId OR delegator_person = @personId ORDER BY granted_at DESC, id LIMIT 1000",
            new { personId },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => r.ToModel())];
    }

    private sealed class DelegationRow
    {
        public string Id { get; set; } = "";

        public string DelegatorPerson { get; set; } = "";

        public string DelegatorIdentity { get; set; } = "";

        public string DelegatePerson { get; set; } = "";

        public string DelegateIdentity { get; set; } = "";

        public string ValidFrom { get; set; } = "";

        public string ValidUntil { get; set; } = "";

        public string? Reason { get; set; }

        public string GrantedPerson { get; set; } = "";

        public string GrantedIdentity { get; set; } = "";

        public string GrantedAt { get; set; } = "";

        public string? RevokedAt { get; set; }

        public string? RevokedPerson { get; set; }

        public string? RevokedIdentity { get; set; }

        public static DelegationRow From(Delegation d) => new()
        {
            Id = d.Id,
            DelegatorPerson = d.Delegator.PersonId,
            DelegatorIdentity = d.Delegator.RawIdentity,
            DelegatePerson = d.Delegate.PersonId,
            DelegateIdentity = d.Delegate.RawIdentity,
            ValidFrom = Format(d.From),
            ValidUntil = Format(d.Until),
            Reason = d.Reason,
            GrantedPerson = d.GrantedBy.PersonId,
            GrantedIdentity = d.GrantedBy.RawIdentity,
            GrantedAt = Format(d.GrantedAt),
        };

        public Delegation ToModel() => new(
            Id,
            new PersonRef(DelegatorPerson, DelegatorIdentity),
            new PersonRef(DelegatePerson, DelegateIdentity),
            Parse(ValidFrom),
            Parse(ValidUntil),
            Reason,
            new PersonRef(GrantedPerson, GrantedIdentity),
            Parse(GrantedAt))
        {
            RevokedAt = RevokedAt is null ? null : Parse(RevokedAt),
            RevokedBy = RevokedPerson is null ? null : new PersonRef(RevokedPerson, RevokedIdentity ?? RevokedPerson),
        };
    }
}
