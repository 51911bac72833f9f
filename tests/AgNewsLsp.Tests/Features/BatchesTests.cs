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
}
