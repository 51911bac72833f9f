using System.Collections.Concurrent;
using System.Text.Json;
using AgNewsLsp.Engine;
using Microsoft.Extensions.Logging;
using AgNewsLsp.Progress;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol;

/// <summary>
/// Work-done progress of one session: tokens in flight and their cancellation (window/workDoneProgress/cancel).
/// </summary>
public sealed class WorkDoneProgressRegistry(IClientChannel client, ILogger logger)
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> inFlight = new();
    private long next;

    /// <summary>Set from the client's capabilities at initialize.</summary>
    public bool ClientSupportsCreate { get; set; }
    public int ThrottleMs { get; set; } = 100;

    /// <summary>
    /// How long a run's progress waits for the client to answer window/workDoneProgress/create; without an answer by
    /// then (or before the run ends) the run reports nothing. Only the progress waits: the work starts at once, so a
    /// client that never answers cannot hold a run or its cancellation.
    /// </summary>
    public static readonly TimeSpan CreateAnswerWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Starts progress for one request: uses the client's token, or asks the client to create one when it supports
    /// that (progress then goes out once the client confirms it), or reports nothing. Never waits on the client. The
    /// returned reporter's Token is cancelled by $/cancelRequest (via <paramref name="requestCancelled"/>) and by
    /// window/workDoneProgress/cancel.
    /// </summary>
    public ProgressReporter Begin(string title, JsonElement? clientToken, CancellationToken requestCancelled)
    {
        JsonElement? token = clientToken is { ValueKind: JsonValueKind.String or JsonValueKind.Number } t ? t : null;
        var confirmed = Task.FromResult(true);
        if (token is null && ClientSupportsCreate)
        {
            var created = JsonSerializer.SerializeToElement($"agnews-{Environment.ProcessId}-{Interlocked.Increment(ref next)}");
            confirmed = CreateAsync(created, requestCancelled);
            token = created;
        }
        var cts = CancellationTokenSource.CreateLinkedTokenSource(requestCancelled);
        var key = token is { } k ? k.GetRawText() : null;
        if (key is not null && !inFlight.TryAdd(key, cts))
        {
            cts.Dispose();
            // Two pieces of work on one token: a cancel could not tell them apart.
            throw ProtocolErrors.InvalidParams($"workDoneToken {key} is already in use by running work");
        }
        var reporter = new ProgressReporter(client, token, confirmed, cts, ThrottleMs,
            () => { if (key is not null) inFlight.TryRemove(key, out _); });
        reporter.Begin(title);
        return reporter;
    }

    /// <summary>Asks the client to create <paramref name="token"/>; true once it has. Never throws.</summary>
    private async Task<bool> CreateAsync(JsonElement token, CancellationToken requestCancelled)
    {
        try
        {
            await client.RequestAsync("window/workDoneProgress/create", new WorkDoneProgressCreateParams(token), requestCancelled);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception ex)
        {
            logger.LogWarning("window/workDoneProgress/create failed, reporting no progress: {Message}", ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Runs long engine work under a progress token: begin, the engine's reports, then end with the
    /// message <paramref name="ended"/> gives (or "cancelled" / "failed: ..."). Cancellation by either route
    /// becomes the standard RequestCancelled error.
    /// </summary>
    public async Task<T> RunAsync<T>(string title, JsonElement? clientToken, CancellationToken requestCancelled,
        Func<IProgress<AgNewsLsp.Progress.WorkProgress>, CancellationToken, Task<T>> work, Func<T, string> ended)
    {
        await using var progress = Begin(title, clientToken, requestCancelled);
        try
        {
            var result = await Task.Run(() => work(progress, progress.Token), progress.Token);
            await progress.EndAsync(ended(result));
            return result;
        }
        catch (Exception ex)
        {
            await progress.EndAsync(ex is OperationCanceledException ? "cancelled" : "failed: " + ex.Message);
            if (ex is OperationCanceledException && progress.Token.IsCancellationRequested) throw ProtocolErrors.Cancelled();
            throw;
        }
    }

    /// <summary>window/workDoneProgress/cancel: cancels the work behind the token, if any.</summary>
    public bool Cancel(JsonElement token)
    {
        if (!inFlight.TryGetValue(token.GetRawText(), out var cts)) return false;
        try { cts.Cancel(); } catch (ObjectDisposedException) { }
        return true;
    }
}

/// <summary>
/// Maps the engine's <see cref="WorkProgress"/> onto $/progress begin/report/end, in order and throttled.
/// Reports may come from any thread; they are sent one after another on a chain.
/// </summary>
public sealed class ProgressReporter : IProgress<WorkProgress>, IAsyncDisposable
{
    private readonly IClientChannel client;
    private readonly JsonElement? token;
    /// <summary>
    /// True once the client has confirmed the token (within <see cref="WorkDoneProgressRegistry.CreateAnswerWait"/>);
    /// every notification waits for it, the work does not.
    /// </summary>
    private readonly Task<bool> usable;
    private readonly CancellationTokenSource cts;
    private readonly int throttleMs;
    private readonly Action onDone;
    private readonly object gate = new();
    private Task chain = Task.CompletedTask;
    private long lastSentTicks;
    private int lastPercent = -1;
    private string? lastMessage;
    private bool ended;

    internal ProgressReporter(IClientChannel client, JsonElement? token, Task<bool> confirmed, CancellationTokenSource cts, int throttleMs,
        Action onDone)
    {
        this.client = client;
        this.token = token;
        usable = token is null ? Task.FromResult(false) : UsableAsync(confirmed);
        this.cts = cts;
        this.throttleMs = throttleMs;
        this.onDone = onDone;
    }

    /// <summary>Cancelled by $/cancelRequest or window/workDoneProgress/cancel.</summary>
    public CancellationToken Token => cts.Token;
    public bool HasToken => token is not null;

    private async Task<bool> UsableAsync(Task<bool> confirmed)
    {
        if (confirmed.IsCompleted) return await confirmed;
        var first = await Task.WhenAny(confirmed, Task.Delay(WorkDoneProgressRegistry.CreateAnswerWait));
        return first == confirmed && await confirmed;
    }

    internal void Begin(string title) =>
        Enqueue(new WorkDoneProgressValue("begin", Title: title, Cancellable: true, Percentage: 0));

    public void Report(WorkProgress value)
    {
        if (token is null) return;
        var percent = (int)Math.Floor(value.OverallPercent ?? value.Percent);
        var message = value.Message ?? (value.Total > 0 ? $"{value.Stage} {value.Done}/{value.Total}" : value.Stage);
        lock (gate)
        {
            if (ended) return;
            var now = Environment.TickCount64;
            var final = value.Total > 0 && value.Done >= value.Total;
            if (!final && !value.IsSummary && now - lastSentTicks < throttleMs) return; // an epoch's summary always goes
            if (percent == lastPercent && message == lastMessage) return;
            lastSentTicks = now;
            lastPercent = percent;
            lastMessage = message;
            EnqueueLocked(new WorkDoneProgressValue("report", Message: message, Percentage: Math.Max(percent, 0)));
        }
    }

    /// <summary>
    /// Sends "end" after every report already queued, once. The returned task completes when it is sent, or at once
    /// while the client has not confirmed the token: the run's answer is never held for the client (its progress then
    /// goes out when the client confirms, or never).
    /// </summary>
    public Task EndAsync(string message)
    {
        lock (gate)
        {
            if (!ended)
            {
                ended = true;
                EnqueueLocked(new WorkDoneProgressValue("end", Message: message));
            }
            return usable.IsCompleted ? chain : Task.CompletedTask;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await EndAsync("done");
        onDone();
        cts.Dispose();
    }

    private void Enqueue(WorkDoneProgressValue value)
    {
        lock (gate) EnqueueLocked(value);
    }

    private void EnqueueLocked(WorkDoneProgressValue value)
    {
        if (token is not { } t) return;
        chain = chain.ContinueWith(
            async _ =>
            {
                if (!await usable) return;
                try { await client.NotifyAsync("$/progress", new ProgressParams(t, value)); }
                catch { /* the client went away; progress is best effort */ }
            },
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
    }
}
