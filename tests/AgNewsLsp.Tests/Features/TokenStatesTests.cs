using AgNewsLsp.Features;
using AgNewsLsp.Native;
using static TorchSharp.torch;

namespace AgNewsLsp.Tests.Features;

public class TokenStatesTests
{
    [Fact]
    public void Bf16_storage_is_exact_for_bf16_values_and_rounds_others_to_nearest_even()
    {
        foreach (var v in new[] { 0f, 1f, -2.5f, 0.15625f, MathF.ScaleB(1f, -70), 65280f })
            Assert.Equal(v, TokenStates.FromBf16(TokenStates.ToBf16(v)));
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
        Assert.Equal(1f, TokenStates.FromBf16(TokenStates.ToBf16(1f + 1f / 256)));
        // Just above halfway rounds up.
        Assert.Equal(1f + 1f / 128, TokenStates.FromBf16(TokenStates.ToBf16(1f + 1f / 256 + 1f / 65536)));
        Assert.True(float.IsNaN(TokenStates.FromBf16(TokenStates.ToBf16(float.NaN))));
    }

    [Fact]
    public void States_rounded_at_prediction_time_equal_the_stored_ones_bit_for_bit()
    {
        TorchRuntime.EnsureInitialized();
        var random = new Random(3);
        var values = Enumerable.Range(0, 4096)
            .Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 6)))).ToArray();
        var rounded = TorchThread.Shared.Run(() =>
        {
            using var input = tensor(values);
            using var output = TokenStates.RoundLikeStored(input);
            return output.data<float>().ToArray();
        }, TorchPriority.Background);
        var stored = values.Select(v => TokenStates.FromBf16(TokenStates.ToBf16(v))).ToArray();
        Assert.Equal(stored, rounded);
        Assert.NotEqual(values, rounded); // the values were not already bf16, so rounding happened
    }
}
