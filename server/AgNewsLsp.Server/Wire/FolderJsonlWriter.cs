using System.Text.Encodings.Web;
using System.Text.Json;
using AgNewsLsp.Engine;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Server.Wire;

/// <summary>
/// A folder's rows as JSON Lines: where the row is (file, unit, startLine, endLine), then the row's prediction with
/// the fields of the wire's <see cref="PredictionDto"/> (label, labelIndex, probabilities, truncated, tokenCount),
/// serialized by the same options, so the names are written once.
/// </summary>
public sealed class FolderJsonlWriter(TextWriter output) : IFolderRowWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly MemoryStream buffer = new();

    public void WriteHeader(IReadOnlyList<string> labelNames) { } // each line names its labels

    public void WriteRow(FolderRow row)
    {
        buffer.SetLength(0);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("file", row.File);
            json.WriteString("unit", SettingNames.Name(row.Unit));
            json.WriteNumber("startLine", row.StartLine);
            json.WriteNumber("endLine", row.EndLine);
            foreach (var property in WireJson.ToElement(PredictionDto.From(row.Prediction)).EnumerateObject()) property.WriteTo(json);
            json.WriteEndObject();
        }
        output.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        output.Write('\n');
    }

    public void Flush() => output.Flush();
}

/// <summary>The writer for a format: the one choice that the command line and the server share.</summary>
public static class FolderRowWriters
{
    public static IFolderRowWriter For(FolderOutputFormat format, TextWriter output) => format switch
    {
        FolderOutputFormat.Csv => new FolderCsvWriter(output),
        FolderOutputFormat.Jsonl => new FolderJsonlWriter(output),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
