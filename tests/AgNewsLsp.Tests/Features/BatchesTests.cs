using AgNewsLsp.Features;
using AgNewsLsp.Text;

namespace AgNewsLsp.Tests.Features;

public class BatchesTests
{
    [Fact]
    public void Batches_cover_every_text_once_longest_first_within_the_token_budget()
    {
        var random = new Random(3);
        var encoded = Enumerable.Range(0, 500).Select(_ => new EncodedText(new int[random.Next(3, 130)], false, 0)).ToArray();
        var batches = TextEncoder.Batches(encoded, tokenBudget: 2048, maxBatchSize: 64).ToArray();

        Assert.Equal(Enumerable.Range(0, encoded.Length), batches.SelectMany(b => b).Order());
        var widths = batches.SelectMany(b => b.Select(i => encoded[i].Length)).ToArray();
        Assert.Equal(widths.OrderDescending(), widths); // longest first, so a batch's first text sets its padded width
        foreach (var batch in batches)
        {
            Assert.InRange(batch.Length, 1, 64);
            Assert.True(batch.Length == 1 || batch.Length * encoded[batch[0]].Length <= 2048);
        }
    }

    [Fact]
    public void A_text_longer_than_the_budget_gets_a_batch_of_its_own()
    {
        var encoded = new[] { new EncodedText(new int[10], false, 0), new EncodedText(new int[5000], false, 0) };
        Assert.Equal([[1], [0]], TextEncoder.Batches(encoded, tokenBudget: 2048, maxBatchSize: 64).ToArray());
    }

    [Fact]
    public void Fixed_shape_batches_hold_one_width_each_in_the_rows_that_width_gets_filled_with_copies()
    {
        var random = new Random(5);
        var encoded = Enumerable.Range(0, 700).Select(_ => new EncodedText(new int[random.Next(3, 130)], false, 0)).ToArray();
        var batches = TextEncoder.FixedShapeBatches(encoded, tokenBudget: 2048, maxBatchSize: 64).ToArray();

        Assert.Equal(Enumerable.Range(0, encoded.Length), batches.SelectMany(b => b).Distinct().Order());
        foreach (var batch in batches)
        {
            var width = TextEncoder.FixedWidth(encoded[batch[0]].Length);
            Assert.All(batch, i => Assert.Equal(width, TextEncoder.FixedWidth(encoded[i].Length)));
            Assert.Equal(Math.Clamp(2048 / width, 1, 64), batch.Length); // the shape is the width's alone
            var copies = batch.Length - batch.Distinct().Count();
            if (copies > 0) Assert.Equal(Enumerable.Repeat(batch[^(copies + 1)], copies + 1), batch[^(copies + 1)..]); // the last text, repeated
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(16, 16)]
    [InlineData(17, 18)]
    [InlineData(31, 32)]
    [InlineData(32, 32)]
    [InlineData(33, 36)]
    [InlineData(65, 72)]
    [InlineData(100, 104)]
    [InlineData(128, 128)]
    [InlineData(129, 144)]
    [InlineData(512, 512)]
    public void A_fixed_width_pads_a_text_by_less_than_an_eighth(int length, int width)
    {
        Assert.Equal(width, TextEncoder.FixedWidth(length));
        Assert.True(width - length < Math.Max(1, length / 8.0));
    }
}
