using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol;

/// <summary>Error codes on the wire: JSON-RPC's, LSP's and ours (see docs/protocol.md).</summary>
public static class ErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;
    public const int RequestCancelled = -32800;

    /// <summary>Training is running; only one run at a time.</summary>
    public const int Busy = -32001;
    /// <summary>LSP ServerNotInitialized.</summary>
    public const int ServerNotInitialized = -32002;
    /// <summary>Missing file, malformed data, text too large, binary content.</summary>
    public const int BadInput = -32003;
    /// <summary>A TCP connection whose initialize lacks the server's token; the connection is closed after the reply.</summary>
    public const int Unauthorized = -32004;
}

/// <summary>Builds the exceptions StreamJsonRpc turns into error responses with our codes.</summary>
public static class ProtocolErrors
{
    public static LocalRpcException Create(int code, string message) =>
        new(message) { ErrorCode = code };

    public static LocalRpcException InvalidParams(string message) => Create(ErrorCodes.InvalidParams, message);
    public static LocalRpcException InvalidRequest(string message) => Create(ErrorCodes.InvalidRequest, message);
    public static LocalRpcException NotInitialized() =>
        Create(ErrorCodes.ServerNotInitialized, "server not initialized: send 'initialize' first");
    public static LocalRpcException ShutDown() =>
        Create(ErrorCodes.InvalidRequest, "server is shutting down: only 'exit' is accepted after 'shutdown'");
    public static LocalRpcException BadInput(string message) => Create(ErrorCodes.BadInput, message);
    public static LocalRpcException Busy(string message = "training already running") => Create(ErrorCodes.Busy, message);
    public static LocalRpcException Cancelled() => Create(ErrorCodes.RequestCancelled, "request cancelled");
    public static LocalRpcException Internal(string message) => Create(ErrorCodes.InternalError, message);
    public static LocalRpcException Unauthorized() => Create(ErrorCodes.Unauthorized,
        "unauthorized: over TCP, initialize needs initializationOptions.token, the content of the token file the server named at start");
}
