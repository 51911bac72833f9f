using System.Text.Json;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol;

/// <summary>Sends messages to the client; the session implements it over StreamJsonRpc.</summary>
public interface IClientChannel
{
    Task NotifyAsync(string method, object? args);
    Task<JsonElement> RequestAsync(string method, object? args, CancellationToken cancellationToken);
}
