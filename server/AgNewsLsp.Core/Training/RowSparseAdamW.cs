using static TorchSharp.torch;

namespace AgNewsLsp.Training;

/// <summary>
/// AdamW for a large weight of which each step touches a few rows (a hybrid head's hashed n-gram table):
/// the moments, the decoupled weight decay and the update are applied to those rows only ("lazy" Adam, as
/// PyTorch's SparseAdam). A dense optimizer would read and write the whole table, and its zero gradient
/// rows, at every step: the cost of a step would follow the size of the hashed space instead of the batch.
/// </summary>
public sealed class RowSparseAdamW(Tensor weight, double learningRate, double weightDecay,
    double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) : IDisposable
{
    private readonly Tensor _m = zeros_like(weight);
    private readonly Tensor _v = zeros_like(weight);
    private int _step;

    /// <param name="rows">Distinct row indexes (int64) of the weight.</param>
    /// <param name="gradient">Their gradient, [rows, columns].</param>
    public void Step(Tensor rows, Tensor gradient)
    {
        _step++;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var m = _m.index_select(0, rows).mul_(beta1).add_(gradient, alpha: 1 - beta1);
        var v = _v.index_select(0, rows).mul_(beta2).addcmul_(gradient, gradient, value: 1 - beta2);
        double correction1 = 1 - Math.Pow(beta1, _step), correction2 = 1 - Math.Pow(beta2, _step);
        var update = (m / correction1).div_((v / correction2).sqrt_().add_(epsilon));
        var w = weight.index_select(0, rows).mul_(1 - learningRate * weightDecay).add_(update, alpha: -learningRate);
        weight.index_copy_(0, rows, w);
        _m.index_copy_(0, rows, m);
        _v.index_copy_(0, rows, v);
    }

    public void Dispose()
    {
        _m.Dispose();
        _v.Dispose();
    }
}
