using AgNewsLsp.Engine;
using AgNewsLsp.Features;
using AgNewsLsp.Model;
using AgNewsLsp.Native;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;
using AgNewsLsp.Tests.Model;
using AgNewsLsp.Training;
using static TorchSharp.torch;

namespace AgNewsLsp.Tests.Training;

/// <summary>
/// The hybrid+layers kind on the tiny BERT fixture: top layers computed in the encoder's pass equal what training
/// computes on stored states; a head trains through the engine, saves, reloads and serves the same probabilities;
/// a cancelled run keeps the previous head; head files with wrong or hostile top layers are refused.
/// </summary>
public class HybridLayersHeadTests : IDisposable
{
    private static readonly string ModelFolder = TinyBertParityTests.Folder("legacy");
    private static readonly string[] Labels = ["World", "Sports", "Business", "Sci/Tech"];
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly string[] Texts =
    [
        "Stocks rose.",
        "The minister said the talks on the border would resume next week after the election.",
        "Federer beat Nadal in straight sets to win the title",
        "A new chip from Intel doubles the speed of laptops, the company said on Tuesday in a statement to investors.",
        "Oil",
    ];

    [Fact]
    public void Top_layers_in_the_encoders_pass_compute_what_training_computes_on_the_stored_states()
    {
        // Every libtorch call on the torch thread, as the engine makes them.
        TorchRuntime.EnsureInitialized();
        var encoder = TorchThread.Shared.Run(() => TextEncoder.Load(ModelFolder, "tiny", Precision.Fp32), TorchPriority.Background);
        var shape = TopLayersShape.OnTopOf(encoder.Model.Config, 2);
        Assert.Equal(encoder.Model.Config.NumHiddenLayers - 2, shape.From);
        var top = TorchThread.Shared.Run(() =>
        {
            random.manual_seed(7);
            var t = new TopLayers(shape, Labels.Length);
            t.CopyFrom(encoder.Model);
            t.eval();
            return t;
        }, TorchPriority.Background);

        var served = encoder.Encode(Texts, [Pooling.ClsLast4], top: top).TopLogits!;
        var states = TokenStates.Encode(encoder, Texts, shape.From);
        var trained = TorchThread.Shared.Run(() =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (x, mask) = states.Batch(Enumerable.Range(0, Texts.Length).ToArray());
            return top.forward(x, mask).data<float>().ToArray();
        }, TorchPriority.Background);

        for (int r = 0; r < Texts.Length; r++)
            for (int c = 0; c < Labels.Length; c++)
                Assert.True(Math.Abs(served[r][c] - trained[r * Labels.Length + c]) < 1e-4,
                    $"text {r}, class {c}: served {served[r][c]}, trained {trained[r * Labels.Length + c]}");
        Assert.NotEqual(served[0], served[1]); // texts differ, so their logits do: the comparison is not of constants
        TorchThread.Shared.Run(() => { top.Dispose(); encoder.Dispose(); }, TorchPriority.Background);
    }

    [Fact]
    public void States_kept_in_the_feature_pass_equal_a_states_pass_of_their_own_cold_or_partly_cached()
    {
        TorchRuntime.EnsureInitialized();
        var encoder = TorchThread.Shared.Run(() => TextEncoder.Load(ModelFolder, "tiny", Precision.Fp32), TorchPriority.Background);
        var shape = TopLayersShape.OnTopOf(encoder.Model.Config, 2);
        var alone = TokenStates.Encode(encoder, Texts, shape.From);
        var extractor = new FeatureExtractor(encoder, _temp.Combine("features"));
        var stages = new List<string>();
        var progress = new InlineProgress<WorkProgress>(p => stages.Add(p.Stage));

        // Cold: every text is encoded once, its states taken from that pass; none run the lower layers again.
        var (features, cold) = extractor.ExtractWithStates(Texts, [Pooling.ClsLast4], shape.From, progress, default);
        Assert.DoesNotContain("states", stages);
        // Partly cached: two texts new, the rest from the cache, their states from a pass of the lower layers.
        string[] mixed = [.. Texts, "A quake struck the coast overnight.", "Shares of Apple fell."];
        stages.Clear();
        var (_, partly) = extractor.ExtractWithStates(mixed, [Pooling.ClsLast4], shape.From, progress, default);
        Assert.Contains("states", stages);
        var mixedAlone = TokenStates.Encode(encoder, mixed, shape.From);

        foreach (var (kept, reference) in new[] { (cold, alone), (partly, mixedAlone) })
        {
            Assert.Equal(reference.Lengths, kept.Lengths);
            Assert.Equal(reference.Hidden, kept.Hidden);
            for (int r = 0; r < reference.Count; r++)
                for (int k = 0; k < reference.States[r].Length; k++)
                {
                    // Other batches pad to other widths; the values agree to within one bf16 step.
                    float a = TokenStates.FromBf16(kept.States[r][k]), b = TokenStates.FromBf16(reference.States[r][k]);
                    Assert.True(Math.Abs(a - b) <= 1e-2f * Math.Max(1f, Math.Abs(b)), $"text {r}, value {k}: {a} vs {b}");
                }
        }
        Assert.Equal(Texts.Length, features[Pooling.ClsLast4].Length);
        TorchThread.Shared.Run(encoder.Dispose, TorchPriority.Background);
    }

    private string TrainFile(int rows = 240)
    {
        var path = _temp.Combine("train.csv");
        File.WriteAllLines(path, File.ReadLines(TestPaths.AgNewsTrain).Take(rows + 1));
        return path;
    }

    private Task<LabelingEngine> Engine(string headPath) =>
        LabelingEngine.CreateAsync(new EngineSettings
        {
            Model = ModelFolder, CacheRoot = _temp.Combine("cache"), Precision = Precision.Fp32, HeadPath = headPath
        });

    [Fact]
    public async Task A_hybrid_layers_head_trains_saves_and_serves_the_same_probabilities_after_a_reload()
    {
        var headPath = _temp.Combine("head.json");
        float[][] before;
        using (var engine = await Engine(headPath))
        {
            var result = await engine.TrainAsync(new TrainRequest([TrainFile()], HeadKind: HeadKind.HybridLayers, MaxEpochs: 2), null,
                CancellationToken.None);
            Assert.Equal(HeadKind.HybridLayers, result.HeadKind);
            Assert.Equal(2, result.History.Count); // the top layers' epochs
            Assert.Equal(HeadKind.HybridLayers, engine.HeadDescription!.Kind);
            before = engine.Classify(Texts).Select(p => p.Probabilities).ToArray();
            Assert.True(ServedColumnMajor(engine), "the trained head answers with its top layers laid out for serving");

            var file = HeadFile.Load(headPath);
            Assert.Equal(HeadKind.HybridLayers, file.Kind);
            var config = engine.Encoder.Model.Config;
            Assert.Equal(new { From = config.NumHiddenLayers - 2, Count = 2 }, new { file.TopLayers!.From, file.TopLayers.Count });
            // The copies were trained: their weights moved away from the frozen layer they started as.
            var frozenQuery = TorchThread.Shared.Run(() =>
            {
                using var frozen = engine.Encoder.Model.CopyOfLayer(config.NumHiddenLayers - 2);
                return frozen.named_parameters().Single(p => p.name == "attention.self.query.weight").parameter.data<float>().ToArray();
            }, TorchPriority.Background);
            var trainedQuery = file.Tensors["top.layers.0.attention.self.query.weight"].Values()!;
            Assert.Equal(frozenQuery.Length, trainedQuery.Length);
            Assert.True(frozenQuery.Zip(trainedQuery).Max(p => Math.Abs(p.First - p.Second)) > 1e-5, "the top layers did not train");
            var weight = TorchThread.Shared.Run(() =>
            {
                using var head = file.CreateHead();
                return head.HybridWeight;
            }, TorchPriority.Background);
            Assert.InRange(weight, 0f, 1f);
        }

        using (var reloaded = await Engine(headPath))
        {
            Assert.Equal(HeadKind.HybridLayers, reloaded.HeadDescription!.Kind);
            var after = reloaded.Classify(Texts).Select(p => p.Probabilities).ToArray();
            Assert.True(ServedColumnMajor(reloaded), "the loaded head answers with its top layers laid out for serving");
            for (int r = 0; r < Texts.Length; r++)
                for (int c = 0; c < Labels.Length; c++)
                    Assert.True(Math.Abs(before[r][c] - after[r][c]) < 1e-5,
                        $"text {r}, class {c}: {before[r][c]} before the reload, {after[r][c]} after");
            var report = await reloaded.EvaluateAsync(new EvaluateRequest([TestPaths.AgNewsTest], Limit: 100), null,
                CancellationToken.None);
            Assert.Equal(100, report.Count);
            Assert.True(report.ExpectedCalibrationError is >= 0 and <= 1);
        }
    }

    [Fact]
    public async Task Cancelling_a_hybrid_layers_run_in_its_epochs_keeps_the_previous_head()
    {
        var headPath = _temp.Combine("head.json");
        using var engine = await Engine(headPath);
        var data = TrainFile();
        await engine.TrainAsync(new TrainRequest([data]), null, CancellationToken.None);
        var saved = File.ReadAllBytes(headPath);
        var probabilities = engine.Classify(Texts)[1].Probabilities;

        using var cancel = new CancellationTokenSource();
        var epochsSeen = 0;
        var progress = new InlineProgress<WorkProgress>(p =>
        {
            if (p.Stage == "training" && p.Message?.StartsWith("epoch") == true && ++epochsSeen == 1) cancel.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            engine.TrainAsync(new TrainRequest([data], HeadKind: HeadKind.HybridLayers, MaxEpochs: 3), progress, cancel.Token));
        Assert.True(epochsSeen >= 1, "the run was cancelled before its epochs began");
        Assert.Equal(saved, File.ReadAllBytes(headPath));
        Assert.Equal(HeadKinds.Default, engine.HeadDescription!.Kind);
        Assert.Equal(probabilities, engine.Classify(Texts)[1].Probabilities);
    }

    /// <summary>
    /// Whether the engine's head has every top-layer Linear weight column-major (<see cref="TopLayers.PrepareForServing"/>).
    /// </summary>
    private static bool ServedColumnMajor(LabelingEngine engine) => TorchThread.Shared.Run(() =>
        engine.ServedHead!.Top!.named_parameters().Where(p => p.name.EndsWith(".weight") && p.parameter.dim() == 2)
            .All(p => !p.parameter.is_contiguous()), TorchPriority.Background);

    [Theory]
    [InlineData(Precision.Fp32, 1e-5)]
    [InlineData(Precision.Bf16, 3e-2)]
    public void Top_layers_made_ready_to_serve_compute_what_they_did_in_training(Precision precision, double tolerance)
    {
        TorchRuntime.EnsureInitialized();
        var config = TestConfigs.Tiny;
        TorchThread.Shared.Run(() =>
        {
            manual_seed(7);
            using var head = new ClassifierHead(HeadKind.HybridLayers, 8, Labels.Length,
                lexicalFeatures: new LexicalFeaturizer { Bits = 10 },
                topLayers: new TopLayers(TopLayersShape.OnTopOf(config, 2), Labels.Length));
            head.eval();
            var metadata = new HeadFile { LabelNames = Labels, ModelFingerprint = "f", Pooling = Pooling.ClsLast4 };
            var saved = HeadFile.FromHead(head, metadata);
            // States as the encoder hands them over: bf16-rounded, in float32.
            using var random = randn(3, 6, config.HiddenSize);
            using var states = TokenStates.RoundLikeStored(random);
            using var mask = ones(3, 6, dtype: ScalarType.Bool);
            using var logits = head.Top!.Forward(states, mask, null);
            var before = logits.data<float>().ToArray();

            head.PrepareForServing(precision);
            var query = head.Top.named_parameters().Single(p => p.name == "layers.0.attention.self.query.weight").parameter;
            if (precision == Precision.Bf16) Assert.Equal(ScalarType.BFloat16, query.dtype);
            else Assert.False(query.is_contiguous()); // column-major, as the fp32 encoder's weights
            using var served = head.Top.Forward(states, mask, null);
            Assert.Equal(ScalarType.Float32, served.dtype);
            var after = served.data<float>().ToArray();
            Assert.Equal(before.Length, after.Length);
            var largest = before.Zip(after).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(largest < tolerance, $"serving moved a logit by {largest}");
            Assert.NotEqual(before[0], before[Labels.Length]); // rows differ: not a comparison of constants
            if (precision == Precision.Fp32)
            {
                // Another layout, the same weights: saved again, the head writes what it was made from.
                var again = HeadFile.FromHead(head, metadata);
                foreach (var (name, tensor) in saved.Tensors) Assert.Equal(tensor.Values(), again.Tensors[name].Values());
            }
        }, TorchPriority.Background);
    }

    [Fact]
    public void Head_files_with_missing_wrong_or_oversized_top_layers_are_refused()
    {
        TorchRuntime.EnsureInitialized();
        var config = TestConfigs.Tiny;
        var shape = TopLayersShape.OnTopOf(config, 1);
        var path = _temp.Combine("head.json");
        TorchThread.Shared.Run(() =>
        {
            using var head = new ClassifierHead(HeadKind.HybridLayers, 8, Labels.Length,
                lexicalFeatures: new LexicalFeaturizer { Bits = 10 }, topLayers: new TopLayers(shape, Labels.Length));
            HeadFile.FromHead(head, new HeadFile { LabelNames = Labels, ModelFingerprint = "f", Pooling = Pooling.ClsLast4 }).Save(path);
        }, TorchPriority.Background);
        var file = HeadFile.Load(path);
        Assert.Equal(shape, file.TopLayers);
        TorchThread.Shared.Run(() => file.CreateHead().Dispose(), TorchPriority.Background);

        // Layers far bigger than the weights in the file: refused before anything that size is allocated.
        // These fail before any libtorch call.
        var huge = file with
        {
            TopLayers = shape with
            {
                Count = 48, Config = config with { HiddenSize = 8192, NumAttentionHeads = 64, IntermediateSize = 32768 }
            }
        };
        Assert.Contains("need more weights", Assert.Throws<InvalidDataException>(() => huge.CreateHead()).Message);
        // Sizes whose product overflows a 64-bit integer are still too big, not small.
        var overflowing = file with
        {
            TopLayers = shape with
            {
                Count = int.MaxValue, Config = config with { HiddenSize = 1 << 30, NumAttentionHeads = 1, IntermediateSize = int.MaxValue }
            }
        };
        Assert.Contains("need more weights", Assert.Throws<InvalidDataException>(() => overflowing.CreateHead()).Message);
        var outOfRange = file with { Tensors = new(file.Tensors) { ["hybrid_weight"] = HeadFile.HeadTensor.From([1], [1.5f]) } };
        Assert.Contains("mixing weight", Assert.Throws<InvalidDataException>(() =>
            TorchThread.Shared.Run(() => outOfRange.CreateHead(), TorchPriority.Background)).Message);
        var nanEpsilon = file with { TopLayers = shape with { Config = config with { LayerNormEps = double.NaN } } };
        Assert.Contains("layer_norm_eps", Assert.Throws<InvalidDataException>(() => nanEpsilon.CreateHead()).Message);
        Assert.Contains("lacks top layers",
            Assert.Throws<InvalidDataException>(() => (file with { TopLayers = null }).CreateHead()).Message);
        Assert.Contains("must not have",
            Assert.Throws<InvalidDataException>(() => (file with { Kind = HeadKind.Hybrid }).CreateHead()).Message);
        // The model it is loaded with must have layers of the same shape, ending where the top layers end.
        file.EnsureFits(path, "m", "f", 8, encoder: config);
        Assert.Throws<InvalidDataException>(() => file.EnsureFits(path, "m", "f", 8, encoder: config with { NumHiddenLayers = 6 }));
        Assert.Throws<InvalidDataException>(() => file.EnsureFits(path, "m", "f", 8, encoder: config with { IntermediateSize = 128 }));
        Assert.Throws<InvalidDataException>(() => file.EnsureFits(path, "m", "f", 8, encoder: config with { LayerNormEps = 1e-5 }));
    }

    [Fact]
    public void The_command_line_trains_a_hybrid_layers_head_and_classifies_with_it()
    {
        var head = _temp.Combine("cli.head.json");
        string[] common = ["--model", ModelFolder, "--cache", _temp.Combine("cache"), "--precision", "fp32"];
        var (code, output, err) = Cli([.. common, "train", "--data", TrainFile(), "--head-kind", "hybrid+layers", "--max-epochs", "1",
            "--out", head, "--json"]);
        Assert.True(code == 0, err);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        Assert.Equal("hybrid+layers", doc.RootElement.GetProperty("headKind").GetString());
        Assert.Single(doc.RootElement.GetProperty("history").EnumerateArray());
        Assert.Equal(HeadKind.HybridLayers, HeadFile.Load(head).Kind);
        var (classified, labels, classifyErr) = Cli([.. common, "classify", "Federer won the final.", "--head", head, "--quiet"]);
        Assert.True(classified == 0, classifyErr);
        Assert.Contains(labels.Split('\t')[0], Labels);
    }

    [Fact]
    public void A_training_log_has_a_line_for_every_solver_pass_not_only_every_tenth_of_the_run()
    {
        // Progress to a redirected stderr (not --quiet): a log. A hybrid head's passes are k of 100, all in the first tenth.
        var (code, output, err) = Cli(["--model", ModelFolder, "--cache", _temp.Combine("cache"), "--precision", "fp32",
            "train", "--data", TrainFile(), "--head-kind", "hybrid", "--out", _temp.Combine("log.head.json"), "--json"]);
        Assert.True(code == 0, err);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        int passes = doc.RootElement.GetProperty("history").GetArrayLength();
        Assert.True(passes > 1, $"{passes} pass(es): too few to tell");
        var logged = err.Split('\n')
            .Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^training: .*pass \d+: .*validation loss"));
        Assert.Equal(passes, logged);
    }

    private static (int Code, string Out, string Err) Cli(params string[] args) => AgNewsLsp.Tests.Cli.CliRun.Run("", args);
}
