using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Slack.Payloads;
using InfraGuard.Slack.Web;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace InfraGuard.Slack.SocketMode;

/// <summary>
/// A Socket Mode client: <c>apps.connections.open</c> → <see cref="ClientWebSocket"/>; acks every envelope with its
/// <c>envelope_id</c> (immediately, or with the handler's payload when the envelope accepts one); on
/// <c>refresh_requested</c> (or a lost link) opens a new connection before closing the old one; stops on
/// <c>link_disabled</c>. Keep-alive uses WebSocket pings with a pong timeout.
/// </summary>
public sealed partial class SocketModeClient
{
    private readonly Func<CancellationToken, Task<Uri>> _openConnection;
    private readonly SocketModeHandler _handler;
    private readonly SocketModeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<Task> _handlers = [];
    private readonly Lock _lock = new();
    private int _connectionsOpened;

    /// <summary>Creates a client that gets its WebSocket URLs from <see cref="SlackWebApi.OpenSocketModeConnectionAsync"/>.</summary>
    public SocketModeClient(SlackWebApi api, SocketModeHandler handler, SocketModeOptions options, TimeProvider time, ILogger<SocketModeClient>? logger = null)
        : this((api ?? throw new ArgumentNullException(nameof(api))).OpenSocketModeConnectionAsync, handler, options, time, logger)
    {
    }

    /// <summary>Creates a client with a custom source of WebSocket URLs (each URL is used once).</summary>
    public SocketModeClient(Func<CancellationToken, Task<Uri>> openConnection, SocketModeHandler handler, SocketModeOptions options, TimeProvider time, ILogger<SocketModeClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(openConnection);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _openConnection = openConnection;
        _handler = handler;
        _options = options;
        _time = time;
        _logger = logger ?? NullLogger<SocketModeClient>.Instance;
    }

    /// <summary>Connections opened so far (each one answered <c>hello</c>).</summary>
    public int ConnectionsOpened => Volatile.Read(ref _connectionsOpened);

    /// <summary>The last <c>hello</c> received.</summary>
    public SocketModeHello? LastHello { get; private set; }

    /// <summary>Connects and dispatches envelopes until cancelled or Slack disables the link.</summary>
    public async Task<SocketModeStopReason> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await RunConnectedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped while connecting or reconnecting (e.g. before Slack's hello): a stop, not a failure.
            return SocketModeStopReason.Cancelled;
        }
    }

    private async Task<SocketModeStopReason> RunConnectedAsync(CancellationToken cancellationToken)
    {
        var current = await ConnectWithRetryAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                Signal signal;
                try
                {
                    signal = await current.Ended.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return SocketModeStopReason.Cancelled;
                }

                if (signal == Signal.LinkDisabled)
                {
                    Log.LinkDisabled(_logger);
                    return SocketModeStopReason.LinkDisabled;
                }

                Log.Reconnecting(_logger, signal);

                // Open the replacement first so no envelope is missed, then close the old link.
                var next = await ConnectWithRetryAsync(cancellationToken).ConfigureAwait(false);
                var old = current;
                current = next;
                await old.CloseAsync(_time).ConfigureAwait(false);
            }
        }
        finally
        {
            await current.CloseAsync(_time).ConfigureAwait(false);
            Task[] pending;
            lock (_lock)
            {
                pending = [.. _handlers];
            }

            await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(5), _time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<Connection> ConnectWithRetryAsync(CancellationToken cancellationToken)
    {
        var delay = _options.ReconnectDelay;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Connection? connection = null;
            try
            {
                var url = await _openConnection(cancellationToken).ConfigureAwait(false);
                if (_options.DebugReconnects)
                {
                    url = new Uri(url.AbsoluteUri + (url.Query.Length > 0 ? "&" : "?") + "debug_reconnects=true");
                }

                connection = new Connection(this);
                await connection.ConnectAsync(url, cancellationToken).ConfigureAwait(false);
                var hello = await connection.Hello.Task.WaitAsync(_options.HelloTimeout, _time, cancellationToken).ConfigureAwait(false);
                LastHello = hello;
                Interlocked.Increment(ref _connectionsOpened);
                Log.Connected(_logger, hello.NumConnections, hello.ApproximateConnectionTime?.TotalSeconds ?? 0);
                return connection;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsTransient(e))
            {
                if (connection is not null)
                {
                    await connection.CloseAsync(_time).ConfigureAwait(false);
                }

                Log.ConnectFailed(_logger, e.GetType().Name, delay.TotalSeconds);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
            }
            catch
            {
                if (connection is not null)
                {
                    await connection.CloseAsync(_time).ConfigureAwait(false);
                }

                throw;
            }
        }
    }

    private static bool IsTransient(Exception e) => e switch
    {
        WebSocketException or HttpRequestException or IOException or TimeoutException => true,
        SlackApiException s => s.Error == "ratelimited" || s.Error.StartsWith("http_5", StringComparison.Ordinal),
        _ => false,
    };

    private void Dispatch(Connection connection, SocketModeEnvelope envelope)
    {
        var task = envelope.AcceptsResponsePayload ? RespondAsync(connection, envelope) : AckThenHandleAsync(connection, envelope);
        lock (_lock)
        {
            _handlers.RemoveAll(t => t.IsCompleted);
            _handlers.Add(task);
        }
    }

    private async Task AckThenHandleAsync(Connection connection, SocketModeEnvelope envelope)
    {
        await connection.AckAsync(envelope.EnvelopeId, null).ConfigureAwait(false);
        try
        {
            await _handler(envelope, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.HandlerFailed(_logger, envelope.Type, e);
        }
    }

    private async Task RespondAsync(Connection connection, SocketModeEnvelope envelope)
    {
        JsonObject? payload = null;
        using var timeout = new CancellationTokenSource(_options.ResponsePayloadTimeout, _time);
        try
        {
            payload = await _handler(envelope, timeout.Token).WaitAsync(_options.ResponsePayloadTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.HandlerSlow(_logger, envelope.Type, _options.ResponsePayloadTimeout.TotalSeconds);
        }
        catch (Exception e)
        {
            Log.HandlerFailed(_logger, envelope.Type, e);
        }

        await connection.AckAsync(envelope.EnvelopeId, payload).ConfigureAwait(false);
    }

    private enum Signal
    {
        Refresh,
        LinkDisabled,
        Lost,
    }

    /// <summary>One WebSocket link: a receive loop that answers hello/disconnect and hands envelopes to the client.</summary>
    private sealed class Connection(SocketModeClient owner) : IDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly SemaphoreSlim _send = new(1, 1);
        private readonly CancellationTokenSource _stop = new();
        private Task _receive = Task.CompletedTask;
        private int _closed;

        public TaskCompletionSource<SocketModeHello> Hello { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<Signal> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task ConnectAsync(Uri url, CancellationToken cancellationToken)
        {
            _socket.Options.KeepAliveInterval = owner._options.PingInterval;
            _socket.Options.KeepAliveTimeout = owner._options.PongTimeout;
            await _socket.ConnectAsync(url, cancellationToken).ConfigureAwait(false);
            _receive = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        }

        public async Task AckAsync(string envelopeId, JsonObject? payload)
        {
            var ack = new JsonObject { ["envelope_id"] = envelopeId };
            if (payload is not null)
            {
                ack["payload"] = payload;
            }

            var bytes = Encoding.UTF8.GetBytes(ack.ToJsonString());
            await _send.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The link went away before the ack: Slack redelivers unacknowledged events.
                Log.AckFailed(owner._logger, envelopeId);
            }
            finally
            {
                _send.Release();
            }
        }

        public async Task CloseAsync(TimeProvider time)
        {
            if (Interlocked.Exchange(ref _closed, 1) == 1)
            {
                return;
            }

            try
            {
                if (_socket.State == WebSocketState.Open)
                {
                    await _send.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                    try
                    {
                        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2), time);
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "refresh", cts.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        _send.Release();
                    }
                }

                await _receive.WaitAsync(TimeSpan.FromSeconds(2), time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Closing a link that is already gone.
            }
            finally
            {
                await _stop.CancelAsync().ConfigureAwait(false);
                _socket.Abort();
                Hello.TrySetCanceled();
                Ended.TrySetResult(Signal.Lost);
                Dispose();
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            _stop.Dispose();

            // _send is left for the GC: an ack may still be waiting on it, and SemaphoreSlim without a wait handle holds nothing.
        }

        private async Task ReceiveLoopAsync()
        {
            var buffer = new byte[16 * 1024];
            using var message = new MemoryStream();
            try
            {
                while (true)
                {
                    message.SetLength(0);
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await _socket.ReceiveAsync(buffer.AsMemory(), _stop.Token).ConfigureAwait(false);
                        if (result.MessageType == WebSocketMessageType.Close)
                        {
                            Hello.TrySetException(new WebSocketException("Slack closed the link before saying hello."));
                            Ended.TrySetResult(Signal.Lost);
                            return;
                        }

                        message.Write(buffer, 0, result.Count);
                    }
                    while (!result.EndOfMessage);

                    if (result.MessageType == WebSocketMessageType.Text)
                    {
                        Handle(message.GetBuffer().AsSpan(0, (int)message.Length));
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                if (Volatile.Read(ref _closed) == 0)
                {
                    Log.LinkLost(owner._logger, e.GetType().Name);
                }

                Hello.TrySetException(new WebSocketException("The link dropped before Slack said hello.", e));
                Ended.TrySetResult(Signal.Lost);
            }
        }

        private void Handle(ReadOnlySpan<byte> text)
        {
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(text.ToArray());
                root = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                Log.BadFrame(owner._logger);
                return;
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                Log.BadFrame(owner._logger);
                return;
            }

            var type = SlackPayloadParser.Str(root, "type");
            if (type == "hello")
            {
                Hello.TrySetResult(new SocketModeHello(
                    root.TryGetProperty("num_connections", out var n) && n.TryGetInt32(out var count) ? count : 0,
                    root.TryGetProperty("debug_info", out var d) && d.TryGetProperty("approximate_connection_time", out var t) && t.TryGetInt32(out var secs) ? TimeSpan.FromSeconds(secs) : null,
                    SlackPayloadParser.Str(root, "connection_info", "app_id")));
                return;
            }

            if (type == "disconnect")
            {
                var reason = SlackPayloadParser.Str(root, "reason") ?? "";
                Log.Disconnect(owner._logger, reason);
                switch (reason)
                {
                    case "warning":
                        return; // A refresh follows in about 10 s.
                    case "link_disabled":
                        Ended.TrySetResult(Signal.LinkDisabled);
                        return;
                    default:
                        Ended.TrySetResult(Signal.Refresh);
                        return;
                }
            }

            if (SlackPayloadParser.Str(root, "envelope_id") is { } envelopeId)
            {
                var envelope = new SocketModeEnvelope(
                    envelopeId,
                    type ?? "",
                    root.TryGetProperty("payload", out var payload) ? payload : default,
                    root.TryGetProperty("accepts_response_payload", out var a) && a.ValueKind == JsonValueKind.True,
                    root.TryGetProperty("retry_attempt", out var r) && r.TryGetInt32(out var attempt) ? attempt : null,
                    SlackPayloadParser.Str(root, "retry_reason"));
                owner.Dispatch(this, envelope);
                return;
            }

            Log.UnknownFrame(owner._logger, type ?? "(none)");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Socket Mode connected ({Connections} connection(s); Slack expects ~{Seconds} s)")]
        public static partial void Connected(ILogger logger, int connections, double seconds);

        [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Socket Mode connect failed ({Error}); retrying in {Seconds} s")]
        public static partial void ConnectFailed(ILogger logger, string error, double seconds);

        [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Socket Mode disconnect: {Reason}")]
        public static partial void Disconnect(ILogger logger, string reason);

        [LoggerMessage(EventId = 3203, Level = LogLevel.Information, Message = "Socket Mode reconnecting ({Signal}); opening the new link before closing the old")]
        public static partial void Reconnecting(ILogger logger, Signal signal);

        [LoggerMessage(EventId = 3204, Level = LogLevel.Error, Message = "Socket Mode link disabled by Slack; stopping. Re-enable Socket Mode in the app settings, then restart.")]
        public static partial void LinkDisabled(ILogger logger);

        [LoggerMessage(EventId = 3205, Level = LogLevel.Warning, Message = "Socket Mode link lost ({Error})")]
        public static partial void LinkLost(ILogger logger, string error);

        [LoggerMessage(EventId = 3206, Level = LogLevel.Error, Message = "Socket Mode handler for {Type} failed")]
        public static partial void HandlerFailed(ILogger logger, string type, Exception exception);

        [LoggerMessage(EventId = 3207, Level = LogLevel.Warning, Message = "Socket Mode handler for {Type} took longer than {Seconds} s; acked without a payload")]
        public static partial void HandlerSlow(ILogger logger, string type, double seconds);

        [LoggerMessage(EventId = 3208, Level = LogLevel.Warning, Message = "Socket Mode ack for envelope {EnvelopeId} not sent: the link closed")]
        public static partial void AckFailed(ILogger logger, string envelopeId);

        [LoggerMessage(EventId = 3209, Level = LogLevel.Warning, Message = "Socket Mode frame is not a JSON object; ignored")]
        public static partial void BadFrame(ILogger logger);

        [LoggerMessage(EventId = 3210, Level = LogLevel.Debug, Message = "Socket Mode frame of type {Type} ignored")]
        public static partial void UnknownFrame(ILogger logger, string type);
    }
}
