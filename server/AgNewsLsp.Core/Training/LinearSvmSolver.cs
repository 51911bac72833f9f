namespace AgNewsLsp.Training;

/// <summary>
/// Rows for <see cref="LinearSvmSolver"/>: a dense part (row-major, already scaled) and a sparse part (a bag per
/// row), plus a constant feature of value 1 for the bias, as liblinear adds it.
/// </summary>
public sealed class SvmRows
{
    public required float[] Dense { get; init; }
    public required int DenseSize { get; init; }
    public required int[] SparseIndexes { get; init; }
    public required float[] SparseValues { get; init; }
    /// <summary>Row r's sparse entries are [SparseStarts[r], SparseStarts[r + 1]).</summary>
    public required int[] SparseStarts { get; init; }
    public required int SparseSize { get; init; }

    public int Count => SparseStarts.Length - 1;

    /// <summary>Rows from their dense parts and one bag holding every row's n-grams (<see cref="LexicalBag.Build"/>).</summary>
    public static SvmRows From(float[][] dense, LexicalBag bag, int sparseSize)
    {
        if (bag.Offsets.Length != dense.Length) throw new ArgumentException("The bag must hold one entry list per dense row.");
        int d = dense.Length == 0 ? 0 : dense[0].Length;
        var flat = new float[dense.Length * d];
        for (int r = 0; r < dense.Length; r++) dense[r].CopyTo(flat, r * d);
        var starts = new int[dense.Length + 1];
        for (int r = 0; r < dense.Length; r++) starts[r] = (int)bag.Offsets[r];
        starts[dense.Length] = bag.Indexes.Length; // an all-empty bag's placeholder entry has weight 0: it adds nothing
        return new SvmRows
        {
            Dense = flat, DenseSize = d, SparseIndexes = Array.ConvertAll(bag.Indexes, i => (int)i), SparseValues = bag.Weights,
            SparseStarts = starts, SparseSize = sparseSize,
        };
    }

    public double SquaredNorm(int r)
    {
        double s = 1; // the bias feature
        var dense = Dense.AsSpan(r * DenseSize, DenseSize);
        foreach (var v in dense) s += v * v;
        for (int k = SparseStarts[r]; k < SparseStarts[r + 1]; k++) s += SparseValues[k] * SparseValues[k];
        return s;
    }
}

/// <summary>One class's weights: dense part, sparse part and bias.</summary>
public sealed class SvmWeights(int denseSize, int sparseSize)
{
    public float[] Dense { get; } = new float[denseSize];
    public float[] Sparse { get; } = new float[sparseSize];
    public double Bias { get; set; }

    public double Score(SvmRows rows, int r)
    {
        double s = Bias;
        var x = rows.Dense.AsSpan(r * rows.DenseSize, rows.DenseSize);
        s += Dot(x, Dense);
        for (int k = rows.SparseStarts[r]; k < rows.SparseStarts[r + 1]; k++) s += rows.SparseValues[k] * Sparse[rows.SparseIndexes[k]];
        return s;
    }

    public void Add(SvmRows rows, int r, double step)
    {
        Bias += step;
        var x = rows.Dense.AsSpan(r * rows.DenseSize, rows.DenseSize);
        AddScaled(x, (float)step, Dense);
        for (int k = rows.SparseStarts[r]; k < rows.SparseStarts[r + 1]; k++)
            Sparse[rows.SparseIndexes[k]] += (float)(step * rows.SparseValues[k]);
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = System.Numerics.Vector<float>.Zero;
        int width = System.Numerics.Vector<float>.Count, i = 0;
        for (; i <= a.Length - width; i += width)
            sum += new System.Numerics.Vector<float>(a[i..]) * new System.Numerics.Vector<float>(b[i..]);
        float s = System.Numerics.Vector.Sum(sum);
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static void AddScaled(ReadOnlySpan<float> x, float scale, Span<float> into)
    {
        int width = System.Numerics.Vector<float>.Count, i = 0;
        for (; i <= x.Length - width; i += width)
            (new System.Numerics.Vector<float>(into[i..]) + new System.Numerics.Vector<float>(x[i..]) * scale).CopyTo(into[i..]);
        for (; i < x.Length; i++) into[i] += x[i] * scale;
    }
}

/// <summary>
/// L2-regularised squared-hinge linear SVMs, one class against the rest, solved by dual coordinate descent
/// (Hsieh et al., ICML 2008; liblinear's solver for scikit-learn's LinearSVC). The problem is convex and the
/// solver needs no learning rate: each pass visits the rows in a seeded order and moves one dual variable to
/// its optimum, so a few passes reach the optimum on hashed n-grams that millions of weights would take an
/// SGD-style optimiser many tuned epochs to approach. Classes are independent problems and run in parallel.
/// Pure managed code: no libtorch, so training never holds the torch thread that hovers use.
/// </summary>
public static class LinearSvmSolver
{
    /// <param name="c">Cost of a margin violation against the L2 penalty (LinearSVC's C).</param>
    /// <param name="afterPass">Called after every pass with the pass number and the classes' weights; returns false to stop.</param>
    public static SvmWeights[] Solve(SvmRows rows, int[] labels, int classes, double c, int maxPasses, double tolerance, int seed,
        Func<int, SvmWeights[], bool>? afterPass = null, CancellationToken cancellationToken = default)
    {
        int n = rows.Count;
        double diagonal = 1 / (2 * c); // squared hinge: the loss adds alpha^2 / (4C) to the dual
        var qii = new double[n];
        for (int r = 0; r < n; r++) qii[r] = rows.SquaredNorm(r) + diagonal;
        var weights = Enumerable.Range(0, classes).Select(_ => new SvmWeights(rows.DenseSize, rows.SparseSize)).ToArray();
        var alphas = Enumerable.Range(0, classes).Select(_ => new double[n]).ToArray();
        var orders = Enumerable.Range(0, classes).Select(k => new Random(seed + k)).ToArray();
        var converged = new bool[classes];
        for (int pass = 1; pass <= maxPasses; pass++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Parallel.For(0, classes, new ParallelOptions { CancellationToken = cancellationToken }, k =>
            {
                cancellationToken.ThrowIfCancellationRequested(); // per class too: with many classes a pass is long
                if (converged[k]) return;
                var w = weights[k];
                var alpha = alphas[k];
                var order = Enumerable.Range(0, n).ToArray();
                orders[k].Shuffle(order);
                double maxPg = double.NegativeInfinity, minPg = double.PositiveInfinity;
                for (int step = 0; step < n; step++)
                {
                    if ((step & 4095) == 0) cancellationToken.ThrowIfCancellationRequested();
                    int r = order[step];
                    double y = labels[r] == k ? 1 : -1;
                    double g = y * w.Score(rows, r) - 1 + diagonal * alpha[r];
                    double pg = alpha[r] == 0 ? Math.Min(g, 0) : g;
                    maxPg = Math.Max(maxPg, pg);
                    minPg = Math.Min(minPg, pg);
                    if (Math.Abs(pg) < 1e-12) continue;
                    double old = alpha[r];
                    alpha[r] = Math.Max(old - g / qii[r], 0);
                    w.Add(rows, r, (alpha[r] - old) * y);
                }
                converged[k] = maxPg - minPg <= tolerance;
            });
            bool goOn = afterPass?.Invoke(pass, weights) ?? true;
            if (!goOn || converged.All(x => x)) break;
        }
        return weights;
    }
}
