namespace AgNewsLsp.Progress;

/// <summary>Progress of long work. Stage is a short word ("features", "training", "evaluating").</summary>
public sealed record WorkProgress(string Stage, long Done, long Total, string? Message = null)
{
    /// <summary>How far this stage is.</summary>
    public double Percent => Total <= 0 ? 0 : Math.Clamp(100.0 * Done / Total, 0, 100);

    /// <summary>How far the whole job is, when it has several stages (training: features, then epochs).</summary>
    public double? OverallPercent { get; init; }

    /// <summary>The end of a step worth a line of its own in a log, whatever its percentage: an epoch or a solver pass.</summary>
    public bool IsSummary { get; init; }

    /// <summary>Reports through <paramref name="inner"/> with this stage mapped onto [from, to] percent of the job.</summary>
    public static IProgress<WorkProgress>? Scaled(IProgress<WorkProgress>? inner, double from, double to) =>
        inner is null
            ? null
            : new InlineProgress<WorkProgress>(p => inner.Report(p with { OverallPercent = from + (to - from) * p.Percent / 100 }));
}
