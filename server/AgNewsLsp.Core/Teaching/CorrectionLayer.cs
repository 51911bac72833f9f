using System.Numerics;

namespace AgNewsLsp.Teaching;

/// <summary>
/// How the correction layer is fitted: the pull towards the head, the start of a class the head lacks, and how much the
/// texts the head labelled weigh.
/// </summary>
public sealed record LayerSettings
{
    /// <param name="pull">L2 weight on the layer (towards zero, i.e. towards the head's own predictions); 0 turns the layer off.</param>
    /// <param name="newClassPrior">The probability a class the head lacks starts from, before the layer's evidence.</param>
    /// <param name="backgroundWeight">The weight of each text the head labelled (kept as it labelled it) against a correction's 1.</param>
    public LayerSettings(float pull, float newClassPrior, float backgroundWeight)
    {
        if (!(pull >= 0) || float.IsInfinity(pull))
            throw new ArgumentOutOfRangeException(nameof(pull), "The pull is zero (off) or positive.");
        if (!(newClassPrior is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(newClassPrior), "A prior is between 0 and 1.");
        if (!(backgroundWeight is >= 0 and <= 100))
            throw new ArgumentOutOfRangeException(nameof(backgroundWeight), "The weight is from 0 to 100.");
        (Pull, NewClassPrior, BackgroundWeight) = (pull, newClassPrior, backgroundWeight);
    }

    public static LayerSettings Default { get; } = new(TeachingSettings.LayerPull, TeachingSettings.NewClassPrior,
        TeachingSettings.BackgroundWeight);

    /// <inheritdoc cref="TeachingSettings.LayerPull"/>
    public float Pull { get; }
    /// <inheritdoc cref="TeachingSettings.NewClassPrior"/>
    public float NewClassPrior { get; }
    /// <inheritdoc cref="TeachingSettings.BackgroundWeight"/>
    public float BackgroundWeight { get; }
    public bool Off => Pull == 0;

    public override string ToString() => Off ? "no layer"
        : FormattableString.Invariant(
            $"pull {Pull:0.###}, new-class prior {NewClassPrior:0.####}, background weight {BackgroundWeight:0.###}");
}

/// <summary>
/// One text the layer is fitted to: its unit sentence vector, its offsets (<see cref="CorrectionLayer.Offsets"/>), its
/// <paramref name="Label"/> (a correction), or <see cref="Background"/> for a text the head labelled, which says only
/// that the text belongs to none of the classes the head lacks; weighted by <paramref name="Weight"/>.
/// </summary>
public sealed record LayerExample(float[] Unit, float[] Offsets, int Label, float Weight)
{
    public const int Background = -1;
}

/// <summary>
/// A linear layer over sentence vectors that corrects the head where the user's corrections disagree with it. A text's
/// logits are the head's log-probabilities (a class the head lacks starts at log <see cref="LayerSettings.NewClassPrior"/>)
/// plus W·x + b, x its unit sentence vector. W and b are fitted to the corrections (cross-entropy summed over them) with
/// an L2 pull of <see cref="LayerSettings.Pull"/> towards zero (<see cref="TeachingSettings.LayerBiasPull"/> times that on
/// b, which would shift a class everywhere), zero being the head unchanged: few corrections move it a
/// little, and a text the head is sure of needs more evidence than one it hesitates on. Once a correction names a class
/// the head lacks, texts the head labelled (the background) weigh in too, each saying it is of no new class: corrections
/// that all name one new class would otherwise pull every text into it; and a new class's examples move only the new
/// classes' rows, so that the head's classes keep what they mean to each other. Without new classes the problem is
/// convex (a multinomial logistic regression with fixed offsets), and so is each block of rows with the other fixed.
/// Solved by accelerated gradient descent from the previous fit (zero, the head, at first). Immutable once fitted.
/// </summary>
public sealed class CorrectionLayer
{
    /// <summary>Rows of <see cref="Dimension"/> weights then the bias, one per class.</summary>
    private readonly float[][] _rows;

    private CorrectionLayer(float[][] rows, int dimension)
    {
        _rows = rows;
        Dimension = dimension;
    }

    public int Classes => _rows.Length;
    public int Dimension { get; }
    /// <summary>Gradient steps the fit took (tests and the bench).</summary>
    public int Steps { get; private init; }

    /// <summary>
    /// The log-probabilities a text starts from: the head's, then <paramref name="newClassPrior"/>'s for each class it
    /// lacks.
    /// </summary>
    public static float[] Offsets(ReadOnlySpan<float> head, int classes, float newClassPrior)
    {
        var offsets = new float[classes];
        for (int c = 0; c < classes; c++) offsets[c] = MathF.Log(Math.Max(c < head.Length ? head[c] : newClassPrior, 1e-7f));
        return offsets;
    }

    /// <summary>
    /// Fits the layer to <paramref name="examples"/>: each a unit sentence vector, its <see cref="Offsets"/>, its label and
    /// its weight in the sum. A correction's loss is the cross-entropy of its label; a background text's is -log of the
    /// probability that it belongs to none of the classes from <paramref name="headClasses"/> on (the head lacks them):
    /// it holds texts out of new classes without holding corrections of the head's own classes back, and weighs
    /// nothing while no class is new. The rows of the head's classes learn from corrections that name one of them only;
    /// a new class's examples and the background move the new classes' rows alone (with those rows fixed, their loss is
    /// convex). <paramref name="start"/>: a previous fit to start from (its classes are a prefix of these).
    /// </summary>
    public static CorrectionLayer Fit(IReadOnlyList<LayerExample> examples, int classes, int headClasses, float pull,
        CorrectionLayer? start = null, int maxSteps = 1000, float tolerance = 1e-2f)
    {
        if (classes <= headClasses) examples = examples.Where(e => e.Label != LayerExample.Background).ToArray();
        if (examples.Count == 0) throw new ArgumentException("Nothing to fit.", nameof(examples));
        if (!(pull > 0)) throw new ArgumentOutOfRangeException(nameof(pull), "Fitting needs a positive pull.");
        int d = examples[0].Unit.Length;
        // The biases shift a class everywhere at once: a few corrections must not do that, so they are pulled far harder
        // (LayerBiasPull times). Solved for b' = b / scale, whose input is scale instead of 1 and whose pull is the
        // weights': the same optimum, with every coordinate pulled alike, so that the step is not set by the biases' pull.
        float scale = 1 / MathF.Sqrt(TeachingSettings.LayerBiasPull);
        var theta = NewRows(classes, d);
        if (start is not null && start.Dimension == d && start.Classes <= classes)
            for (int c = 0; c < start.Classes; c++)
            {
                start._rows[c].CopyTo(theta[c], 0);
                theta[c][d] /= scale;
            }
        // The gradient's Lipschitz constant: in the logits, cross-entropy's curvature is at most 1/2 and the background's
        // at most 3/2; each input [x; scale] has squared norm |x|^2 + scale^2.
        float lipschitz = pull;
        foreach (var e in examples)
            lipschitz += (e.Label == LayerExample.Background ? 1.5f : 0.5f) * e.Weight * (Dot(e.Unit, e.Unit) + scale * scale);
        float step = 1 / lipschitz;
        float sqrtKappa = MathF.Sqrt(lipschitz / pull), momentum = (sqrtKappa - 1) / (sqrtKappa + 1);

        var previous = Clone(theta);
        var ahead = NewRows(classes, d);
        var gradient = NewRows(classes, d);
        var logits = new float[classes];
        int steps = 0;
        while (steps < maxSteps)
        {
            steps++;
            for (int c = 0; c < classes; c++)
                for (int j = 0; j <= d; j++) ahead[c][j] = theta[c][j] + momentum * (theta[c][j] - previous[c][j]);
            // gradient = sum_i w_i (softmax(o_i + ahead [x_i; scale]) - e_label) [x_i; scale] + pull * ahead, by block (below)
            for (int c = 0; c < classes; c++)
                for (int j = 0; j <= d; j++) gradient[c][j] = pull * ahead[c][j];
            foreach (var e in examples)
            {
                var x = e.Unit;
                for (int c = 0; c < classes; c++) logits[c] = e.Offsets[c] + Dot(ahead[c].AsSpan(0, d), x) + scale * ahead[c][d];
                Softmax(logits);
                // d(-log(1 - S))/dz_n for a background text, S the new classes' mass, is p_n for each new class n.
                if (e.Label != LayerExample.Background) logits[e.Label] -= 1;
                // A text of a new class, or a background text, moves only the new classes' rows: what the head's own
                // classes mean to each other is changed by corrections that name them, never by a new class.
                bool onlyNew = e.Label == LayerExample.Background || e.Label >= headClasses;
                for (int c = onlyNew ? headClasses : 0; c < classes; c++)
                {
                    float g = e.Weight * logits[c];
                    if (g == 0) continue;
                    AddScaled(gradient[c].AsSpan(0, d), x, g);
                    gradient[c][d] += scale * g;
                }
            }
            float norm = 0;
            for (int c = 0; c < classes; c++) norm += Dot(gradient[c], gradient[c]);
            (previous, theta) = (theta, previous);
            for (int c = 0; c < classes; c++)
                for (int j = 0; j <= d; j++) theta[c][j] = ahead[c][j] - step * gradient[c][j];
            // Strong convexity (modulus: the pull) bounds the distance to the optimum by |gradient| / pull: stop when that
            // is under the tolerance, which bounds the change of any logit (its input has norm about 1) by about as much.
            if (MathF.Sqrt(norm) < tolerance * pull) break;
        }
        foreach (var row in theta) row[d] *= scale;
        return new CorrectionLayer(theta, d) { Steps = steps };
    }

    /// <summary>
    /// Adds W·x + b to <paramref name="logits"/> (its first <see cref="Classes"/> entries); x is a unit sentence
    /// vector.
    /// </summary>
    public void AddTo(Span<float> logits, ReadOnlySpan<float> unit)
    {
        for (int c = 0; c < Math.Min(Classes, logits.Length); c++)
            logits[c] += Dot(_rows[c].AsSpan(0, Dimension), unit) + _rows[c][Dimension];
    }

    /// <summary>The head's probabilities (over its classes; any class it lacks at the prior) corrected by the layer, in place.</summary>
    public void Apply(float[] probabilities, int headClasses, ReadOnlySpan<float> unit, float newClassPrior)
    {
        var logits = Offsets(probabilities.AsSpan(0, headClasses), probabilities.Length, newClassPrior);
        AddTo(logits, unit);
        Softmax(logits);
        logits.CopyTo(probabilities, 0);
    }

    internal static void Softmax(Span<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        float sum = 0;
        for (int c = 0; c < logits.Length; c++) sum += logits[c] = MathF.Exp(logits[c] - max);
        for (int c = 0; c < logits.Length; c++) logits[c] /= sum;
    }

    private static float[][] NewRows(int classes, int d) => Enumerable.Range(0, classes).Select(_ => new float[d + 1]).ToArray();

    private static float[][] Clone(float[][] rows) => rows.Select(r => (float[])r.Clone()).ToArray();

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        int width = Vector<float>.Count, i = 0;
        for (; i <= a.Length - width; i += width) sum += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        float total = Vector.Sum(sum);
        for (; i < a.Length; i++) total += a[i] * b[i];
        return total;
    }

    private static void AddScaled(Span<float> into, ReadOnlySpan<float> x, float scale)
    {
        int width = Vector<float>.Count, i = 0;
        for (; i <= into.Length - width; i += width)
            (new Vector<float>(into[i..]) + new Vector<float>(x[i..]) * scale).CopyTo(into[i..]);
        for (; i < into.Length; i++) into[i] += x[i] * scale;
    }
}
