using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Terraform;

/// <summary>
/// The saved plan file <c>plan -out=P</c> writes: a zip archive holding <c>tfplan</c> (the plan itself), the prior
/// state, the configuration and the dependency lock file. Its hash identifies the <em>change</em>, so that a re-run of
/// the same change (a killed runner planning again) finds its request and approval: it is over the entries' names and
/// contents, not the archive's own bytes (zip timestamps differ run to run), with <c>tfplan</c> in the canonical form
/// of <see cref="PlanProto"/> (its plan <c>timestamp</c> dropped, unordered sets sorted). Nothing else is ignored. The
/// bytes that are applied are always the stored, approved plan file itself.
/// </summary>
public static class TerraformPlanFile
{
    private const string PlanEntry = "tfplan";

    /// <summary>Lower-case hex SHA-256 over every entry's name and uncompressed content (<c>tfplan</c> canonical), in name order.</summary>
    /// <exception cref="PlanReadException">The bytes are not a Terraform/OpenTofu plan file.</exception>
    public static string Hash(byte[] planFile, string source)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, raw) in Entries(planFile, source))
        {
            // A tfplan that is not protobuf is hashed as it is: stricter (no re-run finds it), never looser.
            var content = name == PlanEntry ? PlanProto.Canonical(raw) ?? raw : raw;
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData([0]);
            hash.AppendData(BitConverter.GetBytes((long)content.Length));
            hash.AppendData(content);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Null when every resource the plan JSON changes is named in the plan file's <c>tfplan</c>; else the first one
    /// missing, in words. A light check (names, not the protobuf's actions): the full comparison would need
    /// Terraform's private plan format.
    /// </summary>
    public static string? Mismatch(ChangeSet changes, byte[] planFile, string source)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var plan = Entries(planFile, source).Single(e => e.Name == PlanEntry).Content;
        if (RunKindMismatch(changes.Kind, PlanProto.Outline(plan)) is { } kind)
        {
            return kind;
        }

        foreach (var change in changes.Changes.Where(c => c.Op is not (ChangeOp.Same or ChangeOp.Read)))
        {
            if (plan.AsSpan().IndexOf(Encoding.UTF8.GetBytes(change.Address)) < 0)
            {
                return $"{change.Address} is to {ChangeOps.Name(change.Op)} in the plan JSON but the saved plan does not name it";
            }
        }

        return null;
    }

    // A refresh-only run must apply a refresh-only plan (ui_mode 2) that proposes no resource change (every action
    // no-op or read), and a normal run must not apply a refresh-only plan: what is applied is what was scored.
    private static string? RunKindMismatch(RunKind kind, (ulong Mode, IReadOnlyList<ulong> Actions)? outline)
    {
        const ulong RefreshOnly = 2;
        if (kind == RunKind.RefreshOnly)
        {
            return outline is not { } o
                ? "the saved plan is not a Terraform/OpenTofu plan InfraGuard can read the mode of, so it cannot be shown to be refresh-only"
                : o.Mode != RefreshOnly
                    ? "the run is refresh-only but the saved plan was not made with `plan -refresh-only`"
                    : o.Actions.Any(a => a is not (0 or 2))
                        ? "the saved plan is refresh-only but proposes resource changes"
                        : null;
        }

        return outline is { Mode: RefreshOnly }
            ? "the saved plan was made with `plan -refresh-only`, but the run is not a refresh-only run: use `infraguard up --refresh-only`"
            : null;
    }

    private static List<(string Name, byte[] Content)> Entries(byte[] planFile, string source)
    {
        ArgumentNullException.ThrowIfNull(planFile);
        const string Expected = "the file `terraform plan -out=P` (or `tofu plan -out=P`) wrote, unmodified";
        try
        {
            using var archive = new ZipArchive(new MemoryStream(planFile, writable: false), ZipArchiveMode.Read);
            var entries = new List<(string, byte[])>();
            foreach (var entry in archive.Entries.OrderBy(e => e.FullName, StringComparer.Ordinal))
            {
                using var stream = entry.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                entries.Add((entry.FullName, copy.ToArray()));
            }

            return entries.Any(e => e.Item1 == PlanEntry)
                ? entries
                : throw new PlanReadException(source, null, null, "the plan file holds no `tfplan` entry", Expected);
        }
        catch (InvalidDataException e)
        {
            throw new PlanReadException(source, null, 0, "not a saved plan file (not a zip archive)", Expected, e);
        }
    }
}
