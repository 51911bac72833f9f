using System.Diagnostics;
using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Features;
using AgNewsLsp.Native;
using AgNewsLsp.Training;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Bench;

/// <summary>
/// The accuracy sections: head candidates on every training row, the learning curve, the attention-pooling
/// head and cold/warm training of the default head. Choices are made by validation accuracy (each head's own
/// held-out slice of train); test numbers are reported beside them, never used to pick.
/// </summary>
public sealed partial class BenchRun
{
    /// <summary>Texts and gold labels of one split, in file order.</summary>
    private sealed record Split(string[] Texts, int[] Labels)
    {
        public Split Take(int[] rows) => new(rows.Select(r => Texts[r]).ToArray(), rows.Select(r => Labels[r]).ToArray());
    }

    /// <summary>What one trained head scored: validation (its own held-out rows) and the test split.</summary>
    private sealed record CandidateResult(string Name, double ValidationAccuracy, EvaluationReport Test, int Epochs, double TrainSeconds, int TrainRows);

    private Split? _train, _test;
    private LabelingEngine? _miniLm, _arctic;
    private readonly Dictionary<string, CandidateResult> _candidates = new();
    private readonly List<object> _candidateDetails = new();
    private readonly Dictionary<string, (float[][] Train, float[][] Test)> _featureSets = new();

    private Split TrainSplit => _train ??= ReadSplit("train", Quick ? 2000 : null);
    private Split TestSplit => _test ??= ReadSplit("test", Quick ? 800 : null);

    private Split ReadSplit(string split, int? limit)
    {
        // The data folder: every train* file (cross-file duplicates dropped), or every test* file.
        var data = LabeledDataReader.ReadSplit([_dataDir], split, new DataReadOptions(false, limit));
        return new Split(data.Rows.Select(r => r.Text).ToArray(), data.Rows.Select(r => r.Label).ToArray());
    }

    private const string ArcticModel = "arctic-xs";

    /// <summary>An engine (default precision) used only for its cached features; its head path is never written.</summary>
    private async Task<LabelingEngine> FeatureEngineAsync(string? model)
    {
        if (model is null && _miniLm is not null) return _miniLm;
        if (model is not null && _arctic is not null) return _arctic;
        Stage($"{model ?? "MiniLM"} engine (cache {options.CacheRoot})");
        var engine = await LabelingEngine.CreateAsync(new EngineSettings
        {
            CacheRoot = options.CacheRoot,
            Model = model,
            HeadPath = Path.Combine(_headsDir, $"{model ?? "minilm"}-features-only.head.json"),
            Threads = options.Threads,
            Precision = options.FeaturePrecision,
        });
        if (model is null) _miniLm = engine; else _arctic = engine;
        return engine;
    }

    private void DisposeFeatureEngines()
    {
        _miniLm?.Dispose();
        _arctic?.Dispose();
        _miniLm = _arctic = null;
    }

    /// <summary>Train and test features of one encoder and pooling, through the engine's cache (computed where missing).</summary>
    private async Task<(float[][] Train, float[][] Test)> FeaturesAsync(string? model, Pooling pooling)
    {
        var key = $"{model ?? "minilm"}/{pooling.Name()}";
        if (_featureSets.TryGetValue(key, out var cached)) return cached;
        var engine = await FeatureEngineAsync(model);
        Stage($"features {key}: {TrainSplit.Texts.Length} train + {TestSplit.Texts.Length} test texts");
        var clock = Stopwatch.StartNew();
        var train = engine.ExtractFeatures(TrainSplit.Texts, [pooling])[pooling];
        var test = engine.ExtractFeatures(TestSplit.Texts, [pooling])[pooling];
        clock.Stop();
        report.Add("1 accuracy", "features of train + test (from the cache where present)", $"{(model ?? "MiniLM")}, {pooling.Name()}, {engine.Encoder.Precision.Name()}",
            clock.Elapsed.TotalSeconds, "s", note: $"{TrainSplit.Texts.Length + TestSplit.Texts.Length} texts");
        return _featureSets[key] = (train, test);
    }

    /// <summary>
    /// Trains one head with <see cref="HeadTrainer"/> (the trainer the engine uses, same defaults and seed) on
    /// features already in memory, so the time is the training alone; then scores it on the test rows.
    /// </summary>
    private CandidateResult Candidate(string section, string name, float[][] trainX, Split train, float[][] testX, Split test, HeadKind kind,
        bool addRow = true)
    {
        Stage($"train + evaluate {name} ({train.Texts.Length} rows)");
        var clock = Stopwatch.StartNew();
        var trained = HeadTrainer.Train(trainX, kind == HeadKind.Hybrid ? train.Texts : null, train.Labels, AgNewsLabels.Names,
            new HeadTrainingOptions { Kind = kind, Seed = 42 });
        clock.Stop();
        var head = trained.Head;
        EvaluationReport eval;
        double temperature;
        try
        {
            temperature = TorchThread.Shared.Run(() => (double)head.Temperature, TorchPriority.Background);
            var lexical = head.LexicalRows(test.Texts); // n-grams counted off the torch thread, as the engine does
            var probabilities = TorchThread.Shared.Run(() => head.PredictProbabilities(testX, lexical), TorchPriority.Background);
            eval = Metrics.Compute(test.Labels, probabilities, AgNewsLabels.Names);
        }
        finally
        {
            TorchThread.Shared.Run(head.Dispose, TorchPriority.Background);
        }
        var result = new CandidateResult(name, trained.Validation.Accuracy, eval, trained.History.Count, clock.Elapsed.TotalSeconds, train.Texts.Length);
        if (addRow) AddCandidateRow(section, result);
        _candidateDetails.Add(new
        {
            section, name, trainRows = train.Texts.Length, validationRows = trained.ValidationCount, testRows = test.Texts.Length,
            validationAccuracy = trained.Validation.Accuracy, validationLogLoss = trained.Validation.LogLoss,
            testAccuracy = eval.Accuracy, testMacroF1 = eval.MacroF1, testLogLoss = eval.LogLoss, testEce = eval.ExpectedCalibrationError,
            epochs = trained.History.Count, trainSeconds = clock.Elapsed.TotalSeconds, temperature,
            perClassF1 = eval.PerClass.ToDictionary(c => c.Label, c => c.F1),
        });
        report.Details["accuracy"] = _candidateDetails;
        return result;
    }

    private void AddCandidateRow(string section, CandidateResult r) =>
        report.Add(section, "validation / test accuracy", r.Name, r.Test.Accuracy, "%",
            shown: $"val {r.ValidationAccuracy * 100:F2} % / test {r.Test.Accuracy * 100:F2} %",
            note: $"test macro-F1 {r.Test.MacroF1 * 100:F2} %, log-loss {r.Test.LogLoss:F4}, ECE {r.Test.ExpectedCalibrationError:F4}; " +
                  $"{r.Epochs} epochs, warm training {r.TrainSeconds:F1} s");

    private void SectionTime(string section, Stopwatch clock, string? part = null) =>
        report.Add(section, "section runtime", (part is null ? "" : part + ", ") + (Quick ? "quick" : "full"), clock.Elapsed.TotalSeconds, "s");

    // ---------------------------------------------------------------- 1. head candidates on every training row
    private async Task AccuracyAsync()
    {
        const string section = "1 accuracy";
        var clock = Stopwatch.StartNew();
        var (train, test) = (TrainSplit, TestSplit);
        report.Details["accuracySplit"] = new
        {
            train = train.Texts.Length, test = test.Texts.Length, validationFraction = new HeadTrainingOptions().ValidationFraction, seed = 42,
            data = _dataDir, precision = "auto (the engine default)",
        };
        report.Notes.Add($"Accuracy: {train.Texts.Length} training rows (the data folder's train* files, cross-file duplicates dropped), " +
                         $"of which each head holds out a stratified 10% (seed 42) as its validation rows; test: {test.Texts.Length} rows. " +
                         "'val' is what a choice is made by; test is shown beside it, never used to choose.");

        var mini = await FeaturesAsync(null, Pooling.ClsLast4);
        report.Machine["featurePrecision"] = _miniLm!.Encoder.Precision;
        foreach (var kind in options.MiniLmHeads ?? [HeadKind.Linear, HeadKind.Mlp, HeadKind.Hybrid])
            _candidates[$"minilm/{kind}"] = Candidate(section, $"MiniLM cls-last4, {HeadKinds.Name(kind)}", mini.Train, train, mini.Test, test, kind);

        SectionTime(section, clock, "MiniLM candidates");
    }

    /// <summary>
    /// The ArcticXs and joined candidates: a run of their own, after the MiniLM-only sections, so a feature cache that
    /// another process is still filling has the longest time to finish.
    /// </summary>
    private async Task AccuracyArcticAsync()
    {
        const string section = "1 accuracy";
        var clock = Stopwatch.StartNew();
        var (train, test) = (TrainSplit, TestSplit);
        var mini = await FeaturesAsync(null, Pooling.ClsLast4);
        var arcticLast4 = await FeaturesAsync(ArcticModel, Pooling.ClsLast4);
        var arcticCls = await FeaturesAsync(ArcticModel, Pooling.Cls);
        // Both encoders' cls-last4 side by side, one vector per text; the mlp row is the nearest measurable kin of an
        // MLP over the hybrid's joined features (encoder features only: an MLP over the n-grams is not a head kind).
        var joinedTrain = Join(mini.Train, arcticLast4.Train);
        var joinedTest = Join(mini.Test, arcticLast4.Test);
        const string joined = "MiniLM + ArcticXs cls-last4 joined";
        // Cheap heads first, hybrids last: a run stopped early has measured the most candidates.
        var plan = new (string Name, (float[][] Train, float[][] Test) X, HeadKind Kind)[]
        {
            ($"ArcticXs {Pooling.ClsLast4.Name()}", arcticLast4, HeadKind.Linear),
            ($"ArcticXs {Pooling.Cls.Name()}", arcticCls, HeadKind.Linear),
            (joined, (joinedTrain, joinedTest), HeadKind.Linear),
            (joined, (joinedTrain, joinedTest), HeadKind.Mlp),
            ($"ArcticXs {Pooling.ClsLast4.Name()}", arcticLast4, HeadKind.Hybrid),
            (joined, (joinedTrain, joinedTest), HeadKind.Hybrid),
            ($"ArcticXs {Pooling.Cls.Name()}", arcticCls, HeadKind.Hybrid),
        };
        foreach (var (name, x, kind) in plan)
            Candidate(section, $"{name}, {HeadKinds.Name(kind)}", x.Train, train, x.Test, test, kind);
        report.Notes.Add("An MLP over the hybrid's joined features (encoder features + hashed n-gram tf-idf) is not a head kind and is not measured; " +
                         "the rows measured instead: MiniLM mlp vs hybrid, and mlp on both encoders' features joined.");
        _featureSets.Remove($"{ArcticModel}/{Pooling.Cls.Name()}");
        SectionTime(section, clock, "ArcticXs and joined candidates");
    }

    /// <summary>MiniLM's cls-last4 joined with the token mean (one encoder pass, two poolings) under the hybrid head.</summary>
    private async Task AccuracyJoinedPoolingsAsync()
    {
        const string section = "1 accuracy";
        var clock = Stopwatch.StartNew();
        var (train, test) = (TrainSplit, TestSplit);
        var last4 = await FeaturesAsync(null, Pooling.ClsLast4);
        var mean = await FeaturesAsync(null, Pooling.Mean);
        Candidate(section, "MiniLM cls-last4 + mean joined, hybrid", Join(last4.Train, mean.Train), train, Join(last4.Test, mean.Test), test, HeadKind.Hybrid);
        SectionTime(section, clock, "joined poolings");
    }

    private static float[][] Join(float[][] a, float[][] b) =>
        a.Select((row, i) => (float[])[.. row, .. b[i]]).ToArray();

    // ---------------------------------------------------------------- 1c. learning curve
    /// <summary>
    /// Nested, seeded random subsets of the training rows (each smaller one inside the larger, rows kept in file
    /// order), encoder-only linear head vs hybrid head, MiniLM cls-last4; test on the same test rows throughout.
    /// </summary>
    private async Task LearningCurveAsync()
    {
        const string section = "1c learning curve (MiniLM cls-last4)";
        var clock = Stopwatch.StartNew();
        var (train, test) = (TrainSplit, TestSplit);
        var mini = await FeaturesAsync(null, Pooling.ClsLast4);
        int[] sizes = options.CurveRows ?? (Quick ? [250, 500, 1000] : [1000, 2500, 5000, 10000, 20000]);
        var permutation = SubsetOrder(train.Texts.Length);
        var points = new List<(int Rows, string Kind, double Validation, double Test)>();
        string plot = Quick ? Path.Combine("artifacts", "learning-curve-quick.svg")
            : Path.Combine(Machine.RepoRoot() ?? ".", "docs", "benchmarks", "learning-curve.svg");
        foreach (var size in sizes.Where(s => s < train.Texts.Length).Append(train.Texts.Length))
        {
            bool all = size == train.Texts.Length;
            var rows = permutation.Take(size).Order().ToArray();
            var subset = train.Take(rows);
            var x = rows.Select(r => mini.Train[r]).ToArray();
            var measured = new List<(int Rows, string Kind, double Validation, double Test)>();
            foreach (var kind in new[] { HeadKind.Linear, HeadKind.Hybrid })
            {
                // All rows: the accuracy section's head is the same training run (same rows, order and seed), measured
                // in this process or read from another run's JSON; else trained here and reported as a candidate too.
                CandidateResult? r = all && _candidates.TryGetValue($"minilm/{kind}", out var done) ? done : null;
                if (r is null && all && options.CurveAllFrom is { } file) r = await ReadCandidateAsync(file, $"MiniLM cls-last4, {HeadKinds.Name(kind)}", train.Texts.Length);
                if (r is null && all && options.CurveAllFrom is not null) continue;
                r ??= all
                    ? _candidates[$"minilm/{kind}"] = Candidate("1 accuracy", $"MiniLM cls-last4, {HeadKinds.Name(kind)}", x, subset, mini.Test, test, kind)
                    : Candidate(section, $"{HeadKinds.Name(kind)}, {size} rows", x, subset, mini.Test, test, kind, addRow: false);
                measured.Add((size, HeadKinds.Name(kind), r.ValidationAccuracy, r.Test.Accuracy));
            }
            if (measured.Count < 2)
            {
                report.Notes.Add($"Learning curve: the {size}-row point is missing ({options.CurveAllFrom} did not hold both heads in time).");
                continue;
            }
            points.AddRange(measured);
            var (lin, hyb) = (measured[0], measured[1]);
            report.Add(section, "test accuracy: linear / hybrid", $"{size} training rows", hyb.Test, "%",
                shown: $"{lin.Test * 100:F2} % / {hyb.Test * 100:F2} %",
                note: $"val {lin.Validation * 100:F2} % / {hyb.Validation * 100:F2} %");
            report.Details["learningCurve"] = new { subsets = "nested seeded random subsets (seed 7) of the training rows, in file order", points };
            // Written after every point, so a run stopped early still leaves a plot of what it measured.
            WriteCurve(plot, test.Texts.Length, points);
        }
        report.Notes.Add($"Learning curve plot: {Path.GetFullPath(plot)}");
        SectionTime(section, clock);
    }

    private static void WriteCurve(string plot, int testRows, List<(int Rows, string Kind, double Validation, double Test)> points)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(plot))!);
        File.WriteAllText(plot, Plot.LearningCurveSvg(
            $"AG News test accuracy vs training rows (MiniLM cls-last4, {testRows} test rows)",
            points.GroupBy(p => p.Kind).Select(g => (g.Key == "linear" ? "linear (encoder only)" : "hybrid (encoder + n-grams)",
                (IReadOnlyList<(double, double)>)g.Select(p => ((double)p.Rows, p.Test)).ToArray())).ToArray()));
    }

    /// <summary>
    /// A candidate measured by another bench run (its JSON, saved at every stage) on the same training rows: lets one
    /// run's learning curve end at the point another run measured, instead of training it twice. Waits up to 45 minutes
    /// for that run to get there.
    /// </summary>
    private async Task<CandidateResult?> ReadCandidateAsync(string file, string name, int trainRows)
    {
        var deadline = DateTime.UtcNow.AddMinutes(45);
        Stage($"waiting for '{name}' in {file}");
        while (true)
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(file));
                if (doc.RootElement.TryGetProperty("details", out var details) && details.TryGetProperty("accuracy", out var list))
                    foreach (var c in list.EnumerateArray())
                        if (c.GetProperty("name").GetString() == name && c.GetProperty("trainRows").GetInt32() == trainRows)
                        {
                            var test = new EvaluationReport(c.GetProperty("testRows").GetInt32(), c.GetProperty("testAccuracy").GetDouble(),
                                c.GetProperty("testMacroF1").GetDouble(), c.GetProperty("testLogLoss").GetDouble(), c.GetProperty("testEce").GetDouble(),
                                AgNewsLabels.Names.ToArray(), [], []);
                            report.Notes.Add($"Learning curve: the all-rows '{name}' point is read from {Path.GetFullPath(file)} (same rows, order and seed).");
                            return new CandidateResult(name, c.GetProperty("validationAccuracy").GetDouble(), test, c.GetProperty("epochs").GetInt32(),
                                c.GetProperty("trainSeconds").GetDouble(), trainRows);
                        }
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // being rewritten, or not there yet: try again
            }
            if (DateTime.UtcNow > deadline) return null;
            await Task.Delay(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>A seeded permutation of the row indexes: the first n of it is the n-row subset.</summary>
    private static int[] SubsetOrder(int count)
    {
        var random = new Random(7);
        return Enumerable.Range(0, count).OrderBy(_ => random.Next()).ToArray();
    }

    // ---------------------------------------------------------------- 1d. attention pooling over frozen token states
    private async Task AttentionAsync()
    {
        const string section = "1d attention pooling (MiniLM last layer)";
        var clock = Stopwatch.StartNew();
        var (train, test) = (TrainSplit, TestSplit);
        int rows = Math.Min(options.AttentionRows ?? (Quick ? 1000 : 10000), train.Texts.Length);
        var subsetRows = SubsetOrder(train.Texts.Length).Take(rows).Order().ToArray();
        var subset = train.Take(subsetRows);
        var engine = await FeatureEngineAsync(null);
        const int maxTokens = 64;

        Stage($"attention: token states of {rows} train + {test.Texts.Length} test texts ({maxTokens} tokens)");
        var encodeClock = Stopwatch.StartNew();
        var trainStates = TokenStates.Encode(engine.Encoder, subset.Texts, maxTokens: maxTokens);
        var testStates = TokenStates.Encode(engine.Encoder, test.Texts, maxTokens: maxTokens);
        encodeClock.Stop();
        report.Add(section, "token states (last layer, bf16-stored)", $"{rows} train + {test.Texts.Length} test texts, first {maxTokens} tokens",
            encodeClock.Elapsed.TotalSeconds, "s",
            note: $"{(trainStates.Bytes + testStates.Bytes) / (1024.0 * 1024):F0} MiB held; {(rows + test.Texts.Length) / encodeClock.Elapsed.TotalSeconds:F1} texts/s");

        Stage("attention: training");
        var trainClock = Stopwatch.StartNew();
        var result = AttentionHead.TrainAndEvaluate(trainStates, subset.Labels, testStates, test.Labels, AgNewsLabels.Names, seed: 42);
        trainClock.Stop();
        var r = new CandidateResult($"attention pooling (4 learned queries) + linear, {rows} rows", result.ValidationAccuracy, result.Test,
            result.Epochs, trainClock.Elapsed.TotalSeconds, rows);
        AddCandidateRow(section, r);
        _candidateDetails.Add(new
        {
            section, name = r.Name, trainRows = rows, testRows = test.Texts.Length, validationAccuracy = r.ValidationAccuracy,
            testAccuracy = r.Test.Accuracy, testMacroF1 = r.Test.MacroF1, testLogLoss = r.Test.LogLoss, testEce = r.Test.ExpectedCalibrationError,
            epochs = r.Epochs, trainSeconds = r.TrainSeconds, temperature = result.Temperature, maxTokens,
        });
        report.Details["accuracy"] = _candidateDetails;

        // The same rows with the cls-last4 heads, for a like-for-like comparison when the subset is not every row.
        if (rows < train.Texts.Length)
        {
            var mini = await FeaturesAsync(null, Pooling.ClsLast4);
            var x = subsetRows.Select(i => mini.Train[i]).ToArray();
            foreach (var kind in new[] { HeadKind.Linear, HeadKind.Hybrid })
            {
                Candidate(section, $"same {rows} rows: MiniLM cls-last4, {HeadKinds.Name(kind)}", x, subset, mini.Test, test, kind);
            }
        }
        SectionTime(section, clock);
    }

    // ---------------------------------------------------------------- 1e. cold and warm training of the default head
    private async Task TrainingTimeAsync()
    {
        const string section = "1e training the default head";
        var clock = Stopwatch.StartNew();
        // A cache root of its own, empty: cold means no feature of any training text is cached. The model is the
        // checkpoint already converted in the bench cache (same weights, so the same fingerprint), not converted again.
        var coldRoot = Path.Combine(Path.GetTempPath(), $"agnews-bench-cold-{Environment.ProcessId}");
        if (Directory.Exists(coldRoot)) Directory.Delete(coldRoot, recursive: true);
        try
        {
            var checkpoint = Model.Checkpoints.EmbeddedModel.EnsureConverted(options.CacheRoot);
            using var engine = await LabelingEngine.CreateAsync(new EngineSettings
            {
                CacheRoot = coldRoot, Model = checkpoint, HeadPath = Path.Combine(coldRoot, "default.head.json"), Threads = options.Threads,
            });
            int? limit = Quick ? 1000 : null;
            var request = new TrainRequest([_dataDir], Seed: 42, Limit: limit);
            Stage($"cold training ({HeadKinds.Name(HeadKinds.Default)}, {Poolings.Default.Name()}, empty feature cache)");
            var coldClock = Stopwatch.StartNew();
            var cold = await engine.TrainAsync(request, null, default);
            coldClock.Stop();
            int n = cold.TrainCount + cold.ValidationCount;
            string setting = $"{HeadKinds.Name(cold.HeadKind)}, {Poolings.Default.Name()}, {engine.Encoder.Precision}, {n} rows";
            report.Add(section, "cold: empty feature cache", setting, coldClock.Elapsed.TotalSeconds, "s",
                note: $"features {cold.FeatureTime.TotalSeconds:F1} s ({n / cold.FeatureTime.TotalSeconds:F1} texts/s) + training {cold.TrainTime.TotalSeconds:F1} s " +
                      $"({cold.History.Count} epochs); validation accuracy {cold.Validation.Accuracy * 100:F2} %");

            // Warm retraining three times: one run's time moves with what the machine did just before (the cold run's
            // garbage, other processes); the row reports the median and the note all three.
            var warmRuns = new List<(TimeSpan Elapsed, TrainResult Result)>();
            for (int run = 1; run <= 3; run++)
            {
                Stage($"warm retraining {run}/3 (same engine, cache full)");
                var runClock = Stopwatch.StartNew();
                var result = await engine.TrainAsync(request, null, default);
                warmRuns.Add((runClock.Elapsed, result));
            }
            var (warmElapsed, warm) = warmRuns.OrderBy(r => r.Elapsed).ElementAt(1);
            var warmClock = new { Elapsed = warmElapsed };
            report.Add(section, "warm: every feature cached", setting, warmClock.Elapsed.TotalSeconds, "s",
                note: $"median of 3 ({string.Join(" / ", warmRuns.Select(r => $"{r.Elapsed.TotalSeconds:F1}"))} s); " +
                      $"features from cache {warm.FeatureTime.TotalSeconds:F1} s + training {warm.TrainTime.TotalSeconds:F1} s ({warm.History.Count} epochs); " +
                      $"cold/warm {coldClock.Elapsed / warmClock.Elapsed:F1}x");
            report.Details["trainingTime"] = new
            {
                rows = n, kind = HeadKinds.Name(cold.HeadKind), pooling = Poolings.Default, precision = engine.Encoder.Precision,
                coldSeconds = coldClock.Elapsed.TotalSeconds, coldFeatureSeconds = cold.FeatureTime.TotalSeconds, coldTrainSeconds = cold.TrainTime.TotalSeconds,
                warmSeconds = warmClock.Elapsed.TotalSeconds, warmFeatureSeconds = warm.FeatureTime.TotalSeconds, warmTrainSeconds = warm.TrainTime.TotalSeconds,
                coldEpochs = cold.History.Count, warmEpochs = warm.History.Count,
            };
        }
        finally
        {
            if (Directory.Exists(coldRoot)) Directory.Delete(coldRoot, recursive: true);
        }
        SectionTime(section, clock);
    }
}
