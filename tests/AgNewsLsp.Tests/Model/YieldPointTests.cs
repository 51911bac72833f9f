using AgNewsLsp.Tests.Native;
using AgNewsLsp.Model;
using AgNewsLsp.Native;
using static TorchSharp.torch;

namespace AgNewsLsp.Tests.Model;

public class YieldPointTests
{
    [Fact]
    public void A_forward_pass_offers_three_yield_points_per_layer_and_its_output_does_not_depend_on_them()
    {
        OnTorchThread.Run(() =>
        {
            var config = TestConfigs.Tiny;
            TorchRuntime.EnsureInitialized();
            manual_seed(7);
            using var model = new BertModel(config);
            model.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var ids = tensor(new long[] { 2, 5, 9, 11, 3, 2, 7, 3, 0, 0 }, [2, 5]);
            var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, 5]);

            var yields = 0;
            using var yielded = model.Forward(ids, mask, 1, () => yields++);
            using var plain = model.Forward(ids, mask, 1);

            // Inside each layer: after attention and between the feed-forward projections; then between layers.
            Assert.Equal(3 * 2 + 2, yields);
            Assert.True(yielded.LastHiddenState.allclose(plain.LastHiddenState));
        });
    }
}
