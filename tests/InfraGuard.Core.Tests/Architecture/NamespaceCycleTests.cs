using Mono.Cecil;

namespace InfraGuard.Core.Tests.Architecture;

/// <summary>
/// Core's namespaces form a layering, not a knot: no namespace reaches back to one that depends on it (Policy is the
/// vocabulary Risk scores with; Requests write Audit entries, Audit knows no requests). Read from the compiled IL with
/// Mono.Cecil — signatures, base types and every instruction operand, lambdas and state machines included.
/// </summary>
public class NamespaceCycleTests
{
    [Fact]
    public void CoreNamespaces_DependencyGraph_HasNoCycles()
    {
        var edges = NamespaceEdges(typeof(Core.Changes.ChangeSet).Assembly.Location);

        var cycles = StronglyConnected(edges).Where(c => c.Count > 1).ToList();

        Assert.True(cycles.Count == 0, string.Join(Environment.NewLine, cycles.Select(c =>
            "namespace cycle: " + string.Join(" <-> ", c) + " — " + string.Join("; ", c.SelectMany(from => edges[from].Where(e => c.Contains(e.Key)).Select(e => $"{from} -> {e.Key} via {e.Value}"))))));
    }

    [Fact]
    public void NamespaceEdges_KnownDependency_IsFound()
    {
        var edges = NamespaceEdges(typeof(Core.Changes.ChangeSet).Assembly.Location);

        Assert.Contains("InfraGuard.Core.Policy", edges["InfraGuard.Core.Risk"].Keys);
        Assert.Contains("InfraGuard.Core.Audit", edges["InfraGuard.Core.Requests"].Keys);
    }

    /// <summary>For each Core namespace, the other Core namespaces it uses, each with one type that shows it.</summary>
    private static Dictionary<string, Dictionary<string, string>> NamespaceEdges(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var edges = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var type in module.GetTypes())
        {
            var from = NamespaceOf(type);
            if (!from.StartsWith("InfraGuard.Core", StringComparison.Ordinal))
            {
                continue;
            }

            var targets = edges.TryGetValue(from, out var existing) ? existing : edges[from] = new(StringComparer.Ordinal);
            foreach (var used in Referenced(type).SelectMany(Expand))
            {
                var to = NamespaceOf(used);
                if (to != from && to.StartsWith("InfraGuard.Core", StringComparison.Ordinal))
                {
                    targets.TryAdd(to, $"{type.FullName} uses {used.FullName}");
                }
            }
        }

        return edges;
    }

    private static IEnumerable<TypeReference> Referenced(TypeDefinition type)
    {
        if (type.BaseType is not null)
        {
            yield return type.BaseType;
        }

        foreach (var i in type.Interfaces)
        {
            yield return i.InterfaceType;
        }

        foreach (var f in type.Fields)
        {
            yield return f.FieldType;
        }

        foreach (var m in type.Methods)
        {
            yield return m.ReturnType;
            foreach (var p in m.Parameters)
            {
                yield return p.ParameterType;
            }

            if (!m.HasBody)
            {
                continue;
            }

            foreach (var v in m.Body.Variables)
            {
                yield return v.VariableType;
            }

            foreach (var instruction in m.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t:
                        yield return t;
                        break;
                    case MemberReference member when member.DeclaringType is { } declaring:
                        yield return declaring;
                        break;
                }
            }
        }
    }

    /// <summary>A type and, for a generic instance or an array of one, its type arguments (List&lt;ActorKind&gt; uses ActorKind).</summary>
    private static IEnumerable<TypeReference> Expand(TypeReference type)
    {
        yield return type;
        while (type is TypeSpecification spec and not GenericInstanceType)
        {
            type = spec.ElementType;
        }

        if (type is GenericInstanceType generic)
        {
            foreach (var argument in generic.GenericArguments.SelectMany(Expand))
            {
                yield return argument;
            }
        }
    }

    private static string NamespaceOf(TypeReference? type)
    {
        while (type is TypeSpecification spec)
        {
            type = spec.ElementType;
        }

        if (type is null or GenericParameter)
        {
            return "";
        }

        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type.Namespace;
    }

    /// <summary>Tarjan's strongly connected components of the namespace graph.</summary>
    private static List<List<string>> StronglyConnected(Dictionary<string, Dictionary<string, string>> edges)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<List<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in edges.TryGetValue(node, out var targets) ? targets.Keys.ToList() : [])
            {
                if (!index.TryGetValue(next, out var seen))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], seen);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                result.Add(component);
            }
        }

        foreach (var node in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return result;
    }
}
