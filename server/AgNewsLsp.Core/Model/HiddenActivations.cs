using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AgNewsLsp.Model;

/// <summary>
/// The feed-forward activations a BERT config may name in <c>hidden_act</c> (Hugging Face's ACT2FN names), each with
/// what computes it: one table for the config's check and the model's forward pass, so the two cannot disagree.
/// </summary>
public static class HiddenActivations
{
    private static readonly Dictionary<string, Func<Tensor, Tensor>> ByName = new(StringComparer.Ordinal)
    {
        ["gelu"] = x => F.gelu(x), // the exact erf form, as in Hugging Face
        ["gelu_new"] = x => F.gelu(x, GELU.Approximate.tanh, false),
        ["gelu_pytorch_tanh"] = x => F.gelu(x, GELU.Approximate.tanh, false),
        ["relu"] = x => F.relu(x),
    };

    public static IEnumerable<string> Names => ByName.Keys;

    public static bool IsSupported(string name) => ByName.ContainsKey(name);

    /// <summary>The function named <paramref name="name"/>; throws for a name <see cref="IsSupported"/> refuses.</summary>
    public static Func<Tensor, Tensor> Of(string name) => ByName.TryGetValue(name, out var activation)
        ? activation
        : throw new InvalidDataException($"hidden_act '{name}' is not supported ({string.Join(", ", Names)} are).");
}
