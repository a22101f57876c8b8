namespace InfraGuard.Cli.Remote;

/// <summary>
/// The approval servers <c>--server</c> names (several replicas of one service on one database), in the order given,
/// and which one requests go to now. Parsed from <c>--server URL[,URL…]</c>, repeatable.
/// </summary>
internal sealed class ServerUrls
{
    private int _current;

    public ServerUrls(IReadOnlyList<Uri> urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentOutOfRangeException.ThrowIfZero(urls.Count);
        Urls = [.. urls.Select(u => u.AbsoluteUri.EndsWith('/') ? u : new Uri(u.AbsoluteUri + "/"))];
    }

    /// <summary>Every server, each ending in '/'.</summary>
    public IReadOnlyList<Uri> Urls { get; }

    /// <summary>The server requests go to now (the first, until it fails).</summary>
    public Uri Current => Urls[Volatile.Read(ref _current)];

    internal int CurrentIndex => Volatile.Read(ref _current);

    internal void MoveTo(int index) => Volatile.Write(ref _current, index);

    /// <summary>
    /// Parses every <c>--server</c> value (each a URL or a comma-separated list); null when none was given. Anything
    /// but an absolute http(s) URL is a usage error naming it.
    /// </summary>
    public static ServerUrls? Parse(IEnumerable<string>? values)
    {
        var urls = new List<Uri>();
        foreach (var text in (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            urls.Add(Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new UsageException($"--server '{text}' is not an http(s) URL; use e.g. https://infraguard.example.com (several replicas: comma-separated, or --server repeated)."));
        }

        return urls.Count == 0 ? null : new ServerUrls(urls);
    }

    public override string ToString() => string.Join(", ", Urls.Select(u => u.AbsoluteUri.TrimEnd('/')));
}

/// <summary>
/// Sends each request to the current server of <see cref="ServerUrls"/> and, when it cannot be reached, answers 5xx,
/// or says it is shutting down, moves on to the next one at once (each server once per request, in turn); requests
/// then stay on the server that answered. When every server fails, the last failure goes to the retry pipeline around
/// this handler, which backs off and comes back.
/// </summary>
internal sealed class ServerFailover(ServerUrls servers, Action<string> notice) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var urls = servers.Urls;
        if (urls.Count == 1)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var relative = Relative(request.RequestUri!);
        var start = servers.CurrentIndex;
        for (var i = 0; ; i++)
        {
            var index = (start + i) % urls.Count;
            var last = i == urls.Count - 1;
            request.RequestUri = new Uri(urls[index], relative);
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (!last && !cancellationToken.IsCancellationRequested)
            {
                Failover(index, e.Message);
                continue;
            }

            if ((int)response.StatusCode >= 500 && !last)
            {
                Failover(index, $"it answered {(int)response.StatusCode} {response.ReasonPhrase}");
                response.Dispose();
                continue;
            }

            servers.MoveTo(response.Headers.Contains(Server.Api.ServerHeaders.Draining) ? (index + 1) % urls.Count : index);
            return response;
        }
    }

    private void Failover(int from, string why)
    {
        var next = servers.Urls[(from + 1) % servers.Urls.Count];
        notice($"The InfraGuard server at {servers.Urls[from]} failed ({why}); trying {next}.");
        servers.MoveTo((from + 1) % servers.Urls.Count);
    }

    /// <summary>The path and query of <paramref name="uri"/> under whichever server it was addressed to.</summary>
    private string Relative(Uri uri)
    {
        var text = uri.AbsoluteUri;
        foreach (var server in servers.Urls)
        {
            if (text.StartsWith(server.AbsoluteUri, StringComparison.Ordinal))
            {
                return text[server.AbsoluteUri.Length..];
            }
        }

        return uri.PathAndQuery.TrimStart('/');
    }
}
