using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AgNewsLsp.Model;

/// <summary>How a module's Linear weights lie in memory: a serving-time choice that changes no value.</summary>
public static class LinearWeights
{
    /// <summary>
    /// Re-lays every Linear weight of <paramref name="module"/> out column-major: the same [out, in] parameter with the
    /// same values, only with transposed strides, so F.linear hands MKL a plain row-major [in, out] matrix instead of a
    /// transposed one. With few rows per matmul (a single text) that is faster in fp32 (README, Benchmarks has the
    /// measurement); outputs agree to float rounding (about 1e-6: another kernel sums in another order), and parameter
    /// names, shapes and values do not change. The weights stop requiring gradients: for serving, not for training.
    /// </summary>
    public static void UseColumnMajor(Module module)
    {
        using var noGrad = no_grad();
        foreach (var (_, child) in module.named_modules())
            if (child is Linear linear && linear.weight is { } weight && weight.is_contiguous())
            {
                // Every handle made here is disposed, and the old weight too: a handle left to the GC keeps its
                // storage (the whole matrix) alive until a finalizer runs.
                using var transposed = weight.t();
                using var packed = transposed.contiguous();
                linear.weight = new Parameter(packed.t(), requires_grad: false);
                weight.Dispose();
            }
    }
}
