using System.Security.Cryptography;
using AgNewsLsp.Model;
using static TorchSharp.torch;

namespace AgNewsLsp.Features;

/// <summary>
/// A content fingerprint of a loaded model: SHA-256 over its config and every parameter's fp32 values,
/// in name order. The same weights give the same fingerprint from safetensors, pytorch_model.bin or ONNX,
/// so features and heads stay valid across formats and are refused across models.
/// </summary>
public static class ModelIdentity
{
    public static string Fingerprint(BertModel model)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(model.Config)));
        foreach (var (name, parameter) in model.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            var asFloat = parameter.dtype == ScalarType.Float32 ? parameter : parameter.to(ScalarType.Float32);
            var values = asFloat.contiguous();
            try
            {
                sha.AppendData(values.bytes); // the tensor's own memory: no managed copy of the weights
            }
            finally
            {
                // Only the handles made here. One left to the GC pins its storage: once the model re-lays a weight
                // out (UseColumnMajorLinearWeights), it would keep the old copy alive.
                if (!ReferenceEquals(values, parameter)) values.Dispose();
                if (!ReferenceEquals(asFloat, parameter) && !ReferenceEquals(asFloat, values)) asFloat.Dispose();
            }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
    }
}
