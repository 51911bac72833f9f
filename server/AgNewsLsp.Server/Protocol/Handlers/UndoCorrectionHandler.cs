using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>agnews/undoCorrection: takes back the last correction in the corrections file of a document's workspace folder.</summary>
public sealed class UndoCorrectionHandler : RequestHandler<UndoCorrectionParams, UndoCorrectionResult>
{
    public override string Method => "agnews/undoCorrection";

    protected override bool IsCommand => true;

    protected override bool ParamsOptional => true;

    public override async Task<UndoCorrectionResult> HandleAsync(UndoCorrectionParams request, RequestContext context,
        CancellationToken cancellationToken)
    {
        var dataset = context.DatasetFor(request.TextDocument?.Uri);
        var engine = await context.GetEngineAsync(cancellationToken);
        var undone = await Task.Run(() => engine.Teacher.Undo(dataset, cancellationToken), cancellationToken);
        if (undone is null)
            return new UndoCorrectionResult(false, null, null, dataset, engine.Teacher.Memory.Count,
                CorrectHandler.NewClassesOf(engine.Teacher.NewClasses()));
        CorrectHandler.LabelsChanged(context);
        return new UndoCorrectionResult(true, undone.Correction.Text, undone.Correction.Label, dataset, undone.Corrections,
            CorrectHandler.NewClassesOf(undone.NewClasses));
    }
}
