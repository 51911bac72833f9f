using System.Diagnostics;
using AgNewsLsp.Data;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Features;
using AgNewsLsp.Model;
using AgNewsLsp.Native;
using AgNewsLsp.Training;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Engine;

// Training a head: one run at a time, its features and states, the trainer, the atomic save and the swap.
public sealed partial class LabelingEngine
{
    public async Task<TrainResult> TrainAsync(TrainRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _training, 1, 0) != 0)
            throw new EngineBusyException("training already running");
        try
        {
            var run = Task.Run(() => Train(request, progress, cancellationToken), cancellationToken);
            _trainingRun = run;
            return await run;
        }
        finally
        {
            Volatile.Write(ref _training, 0);
        }
    }

    private TrainResult Train(TrainRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var pooling = request.Pooling ?? Poolings.Default;
        var kind = request.HeadKind ?? HeadKinds.Default;
        TrainingSettings.Check(kind, request.MaxEpochs, request.MaxPasses, request.ValidationFraction, request.Limit);
        progress?.Report(new WorkProgress("reading", 0, 1, string.Join(", ", request.DataPaths)));
        var data = LabeledDataReader.ReadSplit(request.DataPaths, "train",
            new DataReadOptions(request.SkipBadRows, request.Limit) { Cancellation = cancellationToken });
        if (data.Count == 0) throw new InvalidDataException($"{data.Path} holds no rows to train on.");
        // The head learns the classes the data names, whatever they are; it cannot learn to tell one class from nothing.
        // Counted on the rows, not on the names: AG News numbers or a classes.txt name classes the rows may never use,
        // and a head trained on one of them would answer it for every text.
        var labelNames = data.LabelNames;
        var present = data.ClassCounts().Select((count, label) => (count, label)).Where(c => c.count > 0)
            .Select(c => labelNames[c.label]).ToArray();
        if (present.Length < HeadLimits.MinClasses)
            throw new InvalidDataException($"{data.Path} has one class only ({present[0]}); a head needs at least two.");
        HeadLimits.CheckClassCount(labelNames.Count, data.Path);

        var defaults = new HeadTrainingOptions();
        var options = defaults with
        {
            Kind = kind,
            // Epochs are a linear or mlp head's AdamW epochs, or a hybrid+layers head's layers' epochs (Check refused
            // them for a hybrid head); passes are the hybrid kinds' solver's.
            MaxEpochs = request.MaxEpochs ?? defaults.MaxEpochs,
            TopLayerEpochs = request.MaxEpochs ?? defaults.TopLayerEpochs,
            MaxPasses = request.MaxPasses ?? defaults.MaxPasses,
            Seed = request.Seed ?? defaults.Seed,
            ValidationFraction = request.ValidationFraction ?? defaults.ValidationFraction,
        };
        // Shares of the progress bar, by what each step costs: for most kinds features take nearly all of a cold run
        // (early stopping may end before 100%); a hybrid+layers head's epochs take most of its run, warm or cold.
        double featuresEnd = kind == HeadKind.HybridLayers ? 35.0 : 90.0;
        // Checked before minutes of features: a model with fewer layers than the kind trains is refused at once.
        var topShape = kind == HeadKind.HybridLayers
            ? TopLayersShape.OnTopOf(_encoder.Model.Config, TrainingSettings.DefaultTopLayerCount)
            : null;

        var featureClock = Stopwatch.StartNew();
        var texts = data.Rows.Select(r => r.Text).ToArray();
        var featureProgress = WorkProgress.Scaled(progress, 0, featuresEnd);
        float[][] features;
        TopLayerInput? top = null;
        if (topShape is null) features = _features.Extract(texts, [pooling], featureProgress, cancellationToken)[pooling];
        else
        {
            // The states are not cached on disk: held in memory (bf16) for this run only (README, How it works, has the size
            // per text). A text the feature cache lacks gets its states from the same pass as its features.
            var (byPooling, states) = _features.ExtractWithStates(texts, [pooling], topShape.From, featureProgress, cancellationToken);
            features = byPooling[pooling];
            top = new TopLayerInput(topShape, states, _encoder.Model);
        }
        featureClock.Stop();

        var trainClock = Stopwatch.StartNew();
        var trained = HeadTrainer.Train(features, texts, data.Rows.Select(r => r.Label).ToArray(), labelNames, options,
            WorkProgress.Scaled(progress, featuresEnd, 100), cancellationToken, top);
        trainClock.Stop();
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            var target = TrainingTarget(request);
            var (file, temperature) = TorchThread.Shared.Run(() => (HeadFile.FromHead(trained.Head, new HeadFile
            {
                ModelName = _encoder.ModelName,
                ModelFingerprint = _encoder.Fingerprint,
                Pooling = pooling,
                MaxTokens = _encoder.MaxTokens,
                Precision = _encoder.Precision,
                LabelNames = labelNames.ToArray(),
                Validation = trained.Validation,
                ValidationUncalibrated = trained.UncalibratedValidation,
                History = trained.History.ToArray(),
                TrainedOn = data.Path,
                TrainCount = trained.TrainCount,
                Seed = options.Seed,
                CreatedUtc = DateTime.UtcNow,
            }), trained.Head.Temperature), TorchPriority.Background);
            // After the file took its weights: from here the head answers and is not trained again.
            TorchThread.Shared.Run(() => trained.Head.PrepareForServing(_encoder.Precision), TorchPriority.Background);
            progress?.Report(new WorkProgress("saving", 0, 1, target));
            file.Save(target);
            SwapHead(new LoadedHead(file, trained.Head, target));
            return new TrainResult(target, trained.Validation, trained.History, trained.TrainCount, trained.ValidationCount,
                data.SkippedRows, featureClock.Elapsed, trainClock.Elapsed)
            {
                HeadKind = options.Kind,
                DuplicateRows = data.DuplicateRows,
                Files = data.Files,
                Temperature = temperature,
            };
        }
        catch
        {
            TorchThread.Shared.Run(trained.Head.Dispose, TorchPriority.Background);
            throw;
        }
    }
}
