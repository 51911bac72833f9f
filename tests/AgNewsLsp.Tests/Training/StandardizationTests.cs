using AgNewsLsp.Training;

namespace AgNewsLsp.Tests.Training;

public class StandardizationTests
{
    /// <summary>Rows whose dimension 0 is an ordinary feature and dimension 1 sits near 9.66 with a spread of 5e-5.</summary>
    private static float[][] Rows(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n)
            .Select(_ => new[] { (float)(random.NextDouble() * 2 - 1), 9.661f + (float)(random.NextDouble() - 0.5) * 1.7e-4f })
            .ToArray();
    }

    [Fact]
    public void A_dimension_with_a_large_mean_and_a_tiny_spread_standardises_to_values_near_zero()
    {
        var rows = Rows(5000, 1);
        var (mean, std) = HeadTrainer.Standardization(rows, Enumerable.Range(0, rows.Length).ToArray(), 2);
        // The ordinary dimension: mean near 0, spread near 1/sqrt(3).
        Assert.InRange(mean[0], -0.05f, 0.05f);
        Assert.InRange(std[0], 0.55f, 0.61f);
        // The near-constant one: one pass of E[x^2] - E[x]^2 cancelled to a spread of 0, floored at 1e-6, and so
        // standardised its float noise to values of about +-50.
        Assert.InRange(mean[1], 9.66f, 9.662f);
        foreach (var row in rows) Assert.InRange((row[1] - mean[1]) / std[1], -0.01f, 0.01f);
    }

    /// <summary>
    /// bf16 rounds to within 2^-8 of a value's magnitude; with spreads floored at 1% of the mean that is at most 0.4
    /// standard deviations (before the floor: hundreds for the near-constant dimension).
    /// </summary>
    [Fact]
    public void Rounding_the_features_to_bf16_moves_no_standardised_value_far()
    {
        var rows = Rows(2000, 2);
        var (mean, std) = HeadTrainer.Standardization(rows, Enumerable.Range(0, rows.Length).ToArray(), 2);
        foreach (var row in rows)
            for (int d = 0; d < 2; d++)
            {
                float bf16 = BitConverter.UInt32BitsToSingle((BitConverter.SingleToUInt32Bits(row[d]) + 0x8000) & 0xFFFF0000);
                Assert.InRange((bf16 - row[d]) / std[d], -0.4f, 0.4f);
            }
    }
}
