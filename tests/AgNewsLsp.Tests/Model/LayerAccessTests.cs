using AgNewsLsp.Tests.Native;
using TorchSharp;
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
        OnTorchThread.Run(() =>
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
        });
    }
}

/// <summary>A last layer that computes [CLS] only gives the [CLS] rows, the pooler and the [CLS] poolings of the full pass.</summary>
public class ClsOnlyLastLayerTests
{
    [Theory]
    [InlineData(ScalarType.Float32, 1e-5)]
    [InlineData(ScalarType.BFloat16, 2e-2)]
    public void The_cls_only_last_layer_gives_the_full_passes_cls_rows_with_padding_in_the_batch(ScalarType type, double tolerance)
    {
        OnTorchThread.Run(() =>
        {
            var config = TestConfigs.Tiny;
            TorchRuntime.EnsureInitialized();
            manual_seed(13);
            using var model = new BertModel(config);
            model.eval();
            model.to(type);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // The second text is padded: [CLS] must attend to its real tokens only, as in the full pass.
            var ids = tensor(new long[] { 2, 5, 9, 11, 3, 2, 7, 3, 0, 0 }, [2, 5]);
            var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, 5]);

            using var full = model.Forward(ids, mask, clsLayers: 2, keepStatesAfter: 1);
            using var clsOnly = model.Forward(ids, mask, clsLayers: 2, keepStatesAfter: 1, clsOnly: true);
            Assert.Equal([2L, 1, config.HiddenSize], clsOnly.LastHiddenState.shape);
            Assert.Equal([2L, 5, config.HiddenSize], full.LastHiddenState.shape);
            void Close(Tensor expected, Tensor actual, string what)
            {
                var largest = (expected.to(ScalarType.Float32) - actual.to(ScalarType.Float32)).abs().max().item<float>();
                Assert.True(largest <= tolerance, $"{what}: off by {largest}");
            }
            Close(full.LastHiddenState.narrow(1, 0, 1), clsOnly.LastHiddenState, "last layer's [CLS]");
            Close(full.PoolerOutput, clsOnly.PoolerOutput, "pooler");
            for (int k = 0; k < 2; k++) Close(full.LayerCls[k], clsOnly.LayerCls[k], $"[CLS] of layer {k}");
            Close(full.KeptStates!, clsOnly.KeptStates!, "kept states");
            Assert.False(full.LayerCls[1].to(ScalarType.Float32)
                .allclose(full.LayerCls[0].to(ScalarType.Float32))); // layers differ: not constants

            Assert.True(AgNewsLsp.Features.PoolingLayer.ClsOnly([Settings.Pooling.ClsLast4, Settings.Pooling.Pooler]));
            Assert.False(AgNewsLsp.Features.PoolingLayer.ClsOnly([Settings.Pooling.ClsLast4, Settings.Pooling.Mean]));
            Assert.False(AgNewsLsp.Features.PoolingLayer.ClsOnly([Settings.Pooling.MeanCls]));
            Assert.Throws<ArgumentException>(() => model.Forward(ids, mask, 0, keepStatesAfter: config.NumHiddenLayers, clsOnly: true));
            // A token mean over a [CLS]-only pass would silently be the [CLS] row: refused instead.
            Assert.Throws<ArgumentException>(() => AgNewsLsp.Features.PoolingLayer.Apply(Settings.Pooling.Mean, clsOnly, mask));
            Assert.Throws<ArgumentException>(() => AgNewsLsp.Features.PoolingLayer.Apply(Settings.Pooling.MeanCls, clsOnly, mask));
            using var cls = AgNewsLsp.Features.PoolingLayer.Apply(Settings.Pooling.ClsLast2, clsOnly, mask);
            Assert.Equal([2L, 2 * config.HiddenSize], cls.shape);
        });
    }
}
