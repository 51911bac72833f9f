using AgNewsLsp.Model;
using AgNewsLsp.Native;
using static TorchSharp.torch;

namespace AgNewsLsp.Tests.Model;

/// <summary>The hidden states below a layer and a trainable copy of that layer (the bench's trained-top-layer head).</summary>
public class LayerAccessTests
{
    [Fact]
    public void The_states_below_the_last_layer_through_a_copy_of_it_give_the_model_output_and_the_copy_trains_apart()
    {
        var config = TestConfigs.Tiny;
        TorchRuntime.EnsureInitialized();
        manual_seed(11);
        using var model = new BertModel(config);
        model.eval();
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 2, 5, 9, 11, 3, 2, 7, 3, 0, 0 }, [2, 5]);
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, 5]);
        var attend = mask.to(ScalarType.Bool).view(2, 1, 1, 5);

        using (no_grad())
        {
            var all = model.HiddenStates(ids, mask, config.NumHiddenLayers);
            Assert.True(all.allclose(model.forward(ids, mask), rtol: 1e-5, atol: 1e-6));
            var below = model.HiddenStates(ids, mask, config.NumHiddenLayers - 1);
            using var copy = model.CopyOfLayer(config.NumHiddenLayers - 1);
            copy.eval();
            Assert.True(copy.forward(below, attend).allclose(all, rtol: 1e-5, atol: 1e-6));
            Assert.Throws<ArgumentOutOfRangeException>(() => model.HiddenStates(ids, mask, config.NumHiddenLayers + 1));
        }

        // A step on the copy changes the copy only.
        var before = model.forward(ids, mask).detach().clone();
        using var trainable = model.CopyOfLayer(config.NumHiddenLayers - 1);
        Assert.All(trainable.parameters(), p => Assert.True(p.requires_grad));
        using var optimizer = optim.SGD(trainable.parameters(), 0.5);
        var states = model.HiddenStates(ids, mask, config.NumHiddenLayers - 1).detach();
        trainable.forward(states, attend).sum().backward();
        optimizer.step();
        Assert.True(model.forward(ids, mask).allclose(before));
        Assert.False(trainable.forward(states, attend).allclose(before, rtol: 1e-3, atol: 1e-4));
    }
}
