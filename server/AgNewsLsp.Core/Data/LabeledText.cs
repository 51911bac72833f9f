namespace AgNewsLsp.Data;

/// <summary>A text and its class index (0-based, in the order of its dataset's <see cref="LabeledDataset.LabelNames"/>).</summary>
public sealed record LabeledText(string Text, int Label);

public static class AgNewsLabels
{
    /// <summary>
    /// AG News classes in index order (canonical 1-4 are 0-3 here, as in Hugging Face's ag_news): what numeric labels
    /// mean when no classes file names others, and the classes of the shipped default head.
    /// </summary>
    public static readonly IReadOnlyList<string> Names = ["World", "Sports", "Business", "Sci/Tech"];
}
