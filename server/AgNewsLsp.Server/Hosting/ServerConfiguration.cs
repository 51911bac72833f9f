using System.Text.Json;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Protocol.Documents;
using Microsoft.Extensions.Configuration;

namespace AgNewsLsp.Server.Hosting;

/// <summary>Turns configuration (environment AGNEWS_*, command line) and initializationOptions into <see cref="ServerOptions"/>.</summary>
public static class ServerConfiguration
{
    /// <summary>Reads ServerOptions keys (case-insensitive) from configuration; unknown keys are ignored.</summary>
    public static ServerOptions FromConfiguration(IConfiguration configuration)
    {
        var o = new ServerOptions();
        // An explicit --stdio wins over a port from the environment (AGNEWS_PORT): the editor always asks for stdio.
        var stdioAsked = string.Equals(configuration["stdio"], "true", StringComparison.OrdinalIgnoreCase);
        var port = stdioAsked ? null : configuration["port"];
        return o with
        {
            Port = port is null ? null : ParseInt("port", port, max: 65535),
            Stdio = port is null,
            ModelPath = configuration["modelPath"] ?? o.ModelPath,
            HeadPath = configuration["headPath"] ?? o.HeadPath,
            DataFolder = configuration["dataFolder"] ?? o.DataFolder,
            Pooling = configuration["pooling"] ?? o.Pooling,
            MaxTokens = configuration["maxTokens"] is { } mt ? ParseMaxTokens(mt) : o.MaxTokens,
            CacheFolder = configuration["cacheFolder"] ?? o.CacheFolder,
            HoverUnit = configuration["hoverUnit"] is { } hu ? ParseUnit(hu) : o.HoverUnit,
            MaxTextBytes = configuration["maxTextBytes"] is { } mb ? ParseInt("maxTextBytes", mb, min: 1) : o.MaxTextBytes,
            MaxDocumentChars = configuration["maxDocumentChars"] is { } md ? ParseInt("maxDocumentChars", md, min: 1) : o.MaxDocumentChars,
            MaxOpenDocuments = configuration["maxOpenDocuments"] is { } mo ? ParseInt("maxOpenDocuments", mo, min: 1) : o.MaxOpenDocuments,
            TokenFile = configuration["tokenFile"] ?? o.TokenFile,
            ProgressThrottleMs = configuration["progressThrottleMs"] is { } pt ? ParseInt("progressThrottleMs", pt) : o.ProgressThrottleMs,
            PublishDiagnostics = configuration["publishDiagnostics"] is { } pd ? ParseBool("publishDiagnostics", pd) : o.PublishDiagnostics,
            LogLevel = configuration["logLevel"] ?? o.LogLevel,
        };
    }

    /// <summary>
    /// initialize.initializationOptions override host options: { modelPath, headPath, dataFolder, pooling,
    /// maxTokens, hoverUnit, cacheFolder, maxTextBytes, progressThrottleMs, publishDiagnostics }.
    /// Values of the wrong type are InvalidParams.
    /// </summary>
    public static ServerOptions WithInitializationOptions(ServerOptions options, JsonElement? initializationOptions)
    {
        if (initializationOptions is not { ValueKind: JsonValueKind.Object } init) return options;
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in init.EnumerateObject())
        {
            if (!KnownInitializationOptions.Contains(property.Name)) continue; // clients may send more; not ours
            values[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Null => null,
                _ => throw ProtocolErrors.InvalidParams($"initializationOptions.{property.Name} must be a string, number or boolean"),
            };
        }
        try
        {
            return options with
            {
                ModelPath = Pick(values, "modelPath") ?? options.ModelPath,
                HeadPath = Pick(values, "headPath") ?? options.HeadPath,
                DataFolder = Pick(values, "dataFolder") ?? options.DataFolder,
                Pooling = Pick(values, "pooling") ?? options.Pooling,
                MaxTokens = Pick(values, "maxTokens") is { } mt ? ParseMaxTokens(mt) : options.MaxTokens,
                CacheFolder = Pick(values, "cacheFolder") ?? options.CacheFolder,
                HoverUnit = Pick(values, "hoverUnit") is { } hu ? ParseUnit(hu) : options.HoverUnit,
                MaxTextBytes = Pick(values, "maxTextBytes") is { } mb ? ParseInt("maxTextBytes", mb, min: 1) : options.MaxTextBytes,
                ProgressThrottleMs = Pick(values, "progressThrottleMs") is { } pt ? ParseInt("progressThrottleMs", pt) : options.ProgressThrottleMs,
                PublishDiagnostics = Pick(values, "publishDiagnostics") is { } pd ? ParseBool("publishDiagnostics", pd) : options.PublishDiagnostics,
            };
        }
        catch (ArgumentException ex)
        {
            throw ProtocolErrors.InvalidParams("initializationOptions: " + ex.Message);
        }
    }

    private static readonly HashSet<string> KnownInitializationOptions = new(StringComparer.OrdinalIgnoreCase)
    {
        "modelPath", "headPath", "dataFolder", "pooling", "maxTokens", "cacheFolder", "hoverUnit",
        "maxTextBytes", "progressThrottleMs", "publishDiagnostics",
    };

    private static string? Pick(Dictionary<string, string?> values, string key) => values.TryGetValue(key, out var v) ? v : null;

    private static int ParseInt(string key, string value, int min = 0, int max = int.MaxValue) =>
        int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n : throw new ArgumentException($"{key} must be an integer from {min} to {max}, not '{value}'");

    /// <summary>0 means the engine's default; anything else must pass the encoder's own rule.</summary>
    private static int ParseMaxTokens(string value)
    {
        var n = ParseInt("maxTokens", value);
        if (n != 0) AgNewsLsp.Features.TextEncoder.ValidateMaxTokens(n);
        return n;
    }

    private static bool ParseBool(string key, string value) =>
        bool.TryParse(value, out var b) ? b : throw new ArgumentException($"{key} must be true or false, not '{value}'");

    private static HoverUnit ParseUnit(string value) => value.ToLowerInvariant() switch
    {
        "paragraph" => HoverUnit.Paragraph,
        "line" => HoverUnit.Line,
        _ => throw new ArgumentException($"hoverUnit must be \"paragraph\" or \"line\", not '{value}'"),
    };
}
