namespace AgNewsLsp.Training;

/// <summary>
/// How many classes a head may have, and the bound on a head file's size that follows from it: every head that
/// training writes must load, so the loader's limit (<see cref="MaxFileBytes"/>) is derived from the same budgets that
/// bound what training makes.
/// </summary>
/// <remarks>
/// The one part of a head that grows with buckets x classes is the hybrid kinds' n-gram matrix, [2^Bits buckets,
/// classes] of float32 stored as base64: at 2^18 buckets, 200 classes made a 283 MB head that the loader refused and
/// 2,000 classes more than 4 GB. So the hashed space is chosen from the class count (<see cref="NGramBitsFor"/>):
/// 2^18 buckets, the space the AG News heads were measured with, up to 64 classes; one bit fewer per doubling above,
/// so buckets x classes never exceeds <see cref="NGramWeightBudget"/>. With many classes each class has few rows and
/// few distinct n-grams, so fewer buckets cost little; at 1,000 classes the space is 2^14 buckets and the head tens of
/// MB (README and docs/security.md have the measured sizes). The bits are stored in the head file (lexical.bits).
/// </remarks>
public static class HeadLimits
{
    /// <summary>A head tells classes apart: the training rows must hold at least this many.</summary>
    public const int MinClasses = 2;

    /// <summary>Most classes a head may have; more is refused before any feature is computed.</summary>
    public const int MaxClasses = 1000;

    /// <summary>The widest hashed space: a head of up to 64 classes keeps it.</summary>
    public const int MaxNGramBits = 18;

    /// <summary>Most n-gram weights (buckets x classes) a trained head holds: 2^18 buckets x 64 classes, 64 MiB of float32.</summary>
    public const long NGramWeightBudget = (1L << MaxNGramBits) * 64;

    /// <summary>
    /// Most weights of a head's other parts: the encoder-side linear or MLP layers and the idf at <see cref="MaxClasses"/>,
    /// and a hybrid+layers head's copies of two encoder layers (about 25 M weights at a bert-large width of 1,024).
    /// </summary>
    public const long OtherWeightBudget = 1L << 25;

    /// <summary>Room for what a head file holds besides weights: the validation report (a confusion matrix of
    /// <see cref="MaxClasses"/> squared counts), the history, the label names.</summary>
    public const long MetadataBytes = 16L << 20;

    /// <summary>
    /// Largest head file read: both weight budgets as base64 float32 (4 bytes a weight, 4/3 for base64; 256 MiB) plus
    /// <see cref="MetadataBytes"/>. A head that would be larger is never written.
    /// </summary>
    public const long MaxFileBytes = (NGramWeightBudget + OtherWeightBudget) * 4 / 3 * 4 + MetadataBytes;

    /// <summary>The hashed space's bits for a head of <paramref name="classes"/> classes (see the remarks).</summary>
    public static int NGramBitsFor(int classes)
    {
        int bits = MaxNGramBits;
        while (bits > 1 && (1L << bits) * classes > NGramWeightBudget) bits--;
        return bits;
    }

    /// <summary>Throws <see cref="InvalidDataException"/> when <paramref name="classes"/> is above <see cref="MaxClasses"/>.</summary>
    public static void CheckClassCount(int classes, string source)
    {
        if (classes > MaxClasses)
            throw new InvalidDataException($"{source} names {classes} classes; a head has at most {MaxClasses}.");
    }
}
