using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace InfraGuard.Core.Tests.Architecture;

/// <summary>
/// Core stays pure (DESIGN.md, "the dependency rule"): it references only the BCL, YamlDotNet and NSec, and its IL
/// never names a type that does I/O or starts processes, nor a member that reads the clock or the environment. Read
/// from the compiled assembly's metadata (every type and member it references), so it cannot miss a call in a lambda.
/// </summary>
public class CoreDependencyTests
{
    private static readonly Assembly Core = typeof(Core.Changes.ChangeSet).Assembly;

    private static readonly string[] AllowedAssemblies = ["System.", "Microsoft.Win32.Primitives", "netstandard", "mscorlib", "YamlDotNet", "NSec.Cryptography"];

    // Namespaces and types Core must never touch. System.IO itself holds Stream, MemoryStream and
    // InvalidDataException, which pure readers use; the file-system types in it are listed one by one.
    private static readonly string[] ForbiddenTypes =
    [
        "System.IO.File", "System.IO.FileInfo", "System.IO.FileStream", "System.IO.Directory", "System.IO.DirectoryInfo",
        "System.IO.Path", "System.IO.FileSystemWatcher", "System.Console", "System.Diagnostics.Process",
    ];

    // Members, where the type itself is harmless (iterators the compiler writes use Environment.CurrentManagedThreadId).
    private static readonly string[] ForbiddenMembers =
    [
        "System.Environment::GetEnvironmentVariable", "System.Environment::GetEnvironmentVariables", "System.Environment::get_CurrentDirectory",
        "System.Environment::SetEnvironmentVariable", "System.Environment::Exit", "System.Environment::GetCommandLineArgs",
        "System.DateTime::get_Now", "System.DateTime::get_UtcNow", "System.DateTimeOffset::get_Now", "System.DateTimeOffset::get_UtcNow",
        "System.TimeProvider::get_System",
    ];

    private static readonly string[] ForbiddenNamespaces =
    [
        "System.Net", "System.Diagnostics.Process", "Microsoft.AspNetCore", "Microsoft.Extensions.Hosting", "Microsoft.Data", "Npgsql", "Dapper", "CliWrap",
    ];

    [Fact]
    public void Core_ReferencedAssemblies_AreOnlyTheBclYamlDotNetAndNSec()
    {
        var references = Core.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        var foreign = references.Where(name => !AllowedAssemblies.Any(allowed => name == allowed.TrimEnd('.') || name.StartsWith(allowed, StringComparison.Ordinal))).ToList();

        Assert.True(foreign.Count == 0, $"InfraGuard.Core references {string.Join(", ", foreign)}; Core may reference only the BCL, YamlDotNet and NSec.");
        Assert.DoesNotContain(references, name => name.StartsWith("InfraGuard.", StringComparison.Ordinal));
    }

    [Fact]
    public void Core_ReferencedTypes_DoNoIoReadNoClockAndNoEnvironment()
    {
        var used = ReferencedTypeNames(Core.Location);

        var forbidden = used.Where(name => ForbiddenTypes.Contains(name) || ForbiddenMembers.Contains(name) || ForbiddenNamespaces.Any(ns => name.StartsWith(ns + ".", StringComparison.Ordinal))).Order(StringComparer.Ordinal).ToList();

        Assert.True(forbidden.Count == 0, $"InfraGuard.Core uses {string.Join(", ", forbidden)}; move that I/O into an adapter project and pass the result in.");
    }

    [Fact]
    public void ReferencedTypeNames_ThisTestAssembly_SeesFileAndEnvironment()
    {
        // The reader must be able to see what it forbids: this test project itself uses both.
        var used = ReferencedTypeNames(typeof(CoreDependencyTests).Assembly.Location);

        Assert.Contains("System.IO.File", used);
        Assert.Contains("System.Environment::GetEnvironmentVariable", used);
    }

    private static HashSet<string> ReferencedTypeNames(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var handle in metadata.TypeReferences)
        {
            var type = metadata.GetTypeReference(handle);
            var ns = metadata.GetString(type.Namespace);
            names.Add(ns.Length == 0 ? metadata.GetString(type.Name) : $"{ns}.{metadata.GetString(type.Name)}");
        }

        // Members as Type::Member, for calls whose type is fine but whose member is not.
        foreach (var handle in metadata.MemberReferences)
        {
            var member = metadata.GetMemberReference(handle);
            if (member.Parent.Kind == HandleKind.TypeReference)
            {
                var type = metadata.GetTypeReference((TypeReferenceHandle)member.Parent);
                names.Add($"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}::{metadata.GetString(member.Name)}");
            }
        }

        return names;
    }
}
