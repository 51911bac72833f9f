namespace AgNewsLsp.Evaluation;

/// <summary>Per-class precision, recall and F1 on one labelled set.</summary>
public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>
/// What evaluation on a labelled set says. ConfusionMatrix[gold][predicted] counts rows.
/// ExpectedCalibrationError: how far the top-class probability is from the accuracy it claims (see <see cref="Calibration"/>).
/// </summary>
public sealed record EvaluationReport(
    int Count,
    double Accuracy,
    double MacroF1,
    double LogLoss,
    double ExpectedCalibrationError,
    IReadOnlyList<string> LabelNames,
    IReadOnlyList<ClassMetrics> PerClass,
    int[][] ConfusionMatrix);
