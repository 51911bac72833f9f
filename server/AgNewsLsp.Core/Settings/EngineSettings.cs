namespace AgNewsLsp.Settings;

/// <summary>
/// What an engine is built with, and every default and bound of those settings, written once. The fronts (command
/// line, language server) parse their own spellings into this; the engine and the trainer read it.
/// </summary>
public sealed record EngineSettings
{
    /// <summary>Tokens per text when none is asked for; longer texts are truncated.</summary>
    public const int DefaultMaxTokens = 128;

    /// <summary>The fewest tokens that still hold one word: [CLS] x [SEP].</summary>
    public const int MinMaxTokens = 3;

    /// <summary>A checkpoint folder, a hub name ("bert-base-uncased"), or null for the embedded default.</summary>
    public string? Model { get; init; }
    /// <summary>The head to load and to save training into; null: the last head trained for this model, else the shipped default.</summary>
    public string? HeadPath { get; init; }
    public int MaxTokens { get; init; } = DefaultMaxTokens;
    /// <summary>Null: the hardware's best (<see cref="Precisions.Default"/>).</summary>
    public Precision? Precision { get; init; }
    public string? CacheRoot { get; init; }
    /// <summary>libtorch threads; null: libtorch's own choice.</summary>
    public int? Threads { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the rule when <paramref name="maxTokens"/> breaks it.</summary>
    public static int CheckMaxTokens(int maxTokens) => maxTokens >= MinMaxTokens
        ? maxTokens
        : throw new ArgumentException($"maxTokens must be at least {MinMaxTokens} ([CLS] x [SEP]), not {maxTokens}.");
}

/// <summary>The defaults and bounds of a training run, written once for the engine, the trainer and the fronts.</summary>
public static class TrainingSettings
{
    /// <summary>Epochs of a linear or mlp head when none is asked for (early stopping usually ends sooner).</summary>
    public const int DefaultMaxEpochs = 100;
    /// <summary>Passes of a hybrid head's linear solver when none is asked for (it usually converges sooner).</summary>
    public const int DefaultMaxPasses = 100;
    public const int DefaultSeed = 42;
    public const double DefaultValidationFraction = 0.1;
    /// <summary>
    /// Epochs of a hybrid+layers head's top layers when none is asked for: each is a pass over every training text
    /// through two encoder layers, forward and back (README, Accuracy, has the per-epoch validation losses).
    /// </summary>
    public const int DefaultTopLayerEpochs = 4;
    /// <summary>The encoder layers a hybrid+layers head trains copies of: the last two (README, Accuracy, compares one).</summary>
    public const int DefaultTopLayerCount = 2;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first value out of its range (null: the default), or a count
    /// the kind does not train by: epochs (maxEpochs) and solver passes (maxPasses) are different things.
    /// </summary>
    public static void Check(HeadKind kind, int? maxEpochs, int? maxPasses, double? validationFraction, int? limit)
    {
        if (maxEpochs is < 1) throw new ArgumentException($"maxEpochs must be at least 1, not {maxEpochs}.");
        if (maxPasses is < 1) throw new ArgumentException($"maxPasses must be at least 1, not {maxPasses}.");
        if (maxEpochs is not null && !kind.TrainsByEpochs())
            throw new ArgumentException($"maxEpochs is for heads trained by epochs (linear, mlp, hybrid+layers); a {kind.Name()} head's " +
                                        "solver runs passes: maxPasses.");
        if (maxPasses is not null && !kind.TrainsBySolverPasses())
            throw new ArgumentException($"maxPasses is for the hybrid kinds' solver; a {kind.Name()} head trains by epochs: maxEpochs.");
        if (validationFraction is { } f && !(f > 0 && f < 1))
            throw new ArgumentException($"validationFraction must be between 0 and 1 (exclusive), not {f}.");
        CheckLimit(limit);
    }

    /// <summary>Throws <see cref="ArgumentException"/> when a row limit is given and below 1.</summary>
    public static void CheckLimit(int? limit)
    {
        if (limit is < 1) throw new ArgumentException($"limit must be at least 1, not {limit}.");
    }
}
