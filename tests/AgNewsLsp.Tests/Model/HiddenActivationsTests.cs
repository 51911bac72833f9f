using AgNewsLsp.Model;
using AgNewsLsp.Native;
using static TorchSharp.torch;

namespace AgNewsLsp.Tests.Model;

public class HiddenActivationsTests
{
    private static BertConfig Tiny(string act) => new()
    {
        HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 16, VocabSize = 10, HiddenAct = act,
    };

    [Fact]
    public void Every_activation_a_config_may_name_is_one_the_model_computes()
    {
        TorchRuntime.EnsureInitialized();
        var outputs = new Dictionary<string, float[]>();
        TorchThread.Shared.Run(() =>
        {
            using var input = linspace(-3, 3, 8).reshape(1, 8);
            foreach (var name in HiddenActivations.Names)
            {
                Tiny(name).Validate("config.json");
                using var intermediate = new BertIntermediate(Tiny(name));
                using var output = intermediate.forward(input);
                outputs[name] = output.data<float>().ToArray();
            }
        }, TorchPriority.Interactive);
        Assert.Equal(["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"], outputs.Keys.Order());
    }

    [Fact]
    public void An_unknown_activation_is_refused_naming_every_supported_one()
    {
        var e = Assert.Throws<InvalidDataException>(() => Tiny("swish").Validate("config.json"));
        Assert.Contains("hidden_act 'swish'", e.Message);
        foreach (var name in HiddenActivations.Names) Assert.Contains(name, e.Message);
    }
}
