using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Server.Protocol.Transport;

/// <summary>
/// The request ids that are open on one connection, in both directions. StreamJsonRpc ends the connection on
/// a response it cannot match to a request of its own, and fails on a request id that is already in flight;
/// the <see cref="FrameGate"/> asks here first, so such messages are answered or dropped instead.
/// </summary>
public sealed class InFlightIds
{
    private readonly object gate = new();
    // Client requests that have not been answered yet, with how many answers are still due for each id
    // (a duplicate's rejection is one more answer with the same id).
    private readonly Dictionary<RequestId, int> inbound = new();
    // Our requests to the client that still wait for their response.
    private readonly HashSet<RequestId> outbound = new();

    /// <summary>Counts a client request with this id; false when one with the same id is still being served.</summary>
    public bool BeginInbound(RequestId id)
    {
        lock (gate)
        {
            inbound.TryGetValue(id, out var open);
            inbound[id] = open + 1;
            return open == 0;
        }
    }

    /// <summary>True when a client request with this id is still being served.</summary>
    public bool IsInboundOpen(RequestId id)
    {
        lock (gate) return inbound.ContainsKey(id);
    }

    /// <summary>One answer with this id went out.</summary>
    public void EndInbound(RequestId id)
    {
        lock (gate)
        {
            if (!inbound.TryGetValue(id, out var open)) return;
            if (open <= 1) inbound.Remove(id);
            else inbound[id] = open - 1;
        }
    }

    /// <summary>We sent a request with this id and wait for the client's response.</summary>
    public void BeginOutbound(RequestId id)
    {
        lock (gate) outbound.Add(id);
    }

    /// <summary>True (once) when a response with this id answers one of our requests; false for a stray or repeated one.</summary>
    public bool TryEndOutbound(RequestId id)
    {
        lock (gate) return outbound.Remove(id);
    }

    /// <summary>Writes frames like its base and records the ids of what goes out.</summary>
    public sealed class TrackingHandler(InFlightIds ids, System.IO.Pipelines.PipeWriter writer, System.IO.Pipelines.PipeReader reader,
        IJsonRpcMessageFormatter formatter)
        : HeaderDelimitedMessageHandler(writer, reader, formatter)
    {
        protected override void Write(JsonRpcMessage content, CancellationToken cancellationToken)
        {
            switch (content)
            {
                case JsonRpcRequest { RequestId: { IsEmpty: false } id }:
                    ids.BeginOutbound(id);
                    break;
                case JsonRpcResult { RequestId: var id }:
                    ids.EndInbound(id);
                    break;
                case JsonRpcError { RequestId: var id }:
                    ids.EndInbound(id);
                    break;
            }
            base.Write(content, cancellationToken);
            Runtime.IdleMemoryReclaimer.Shared.Busy();
        }
    }
}
