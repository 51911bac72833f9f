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

// Which head an engine loads at start, how a head file becomes the module that answers, and using another one.
public sealed partial class LabelingEngine
{
    /// <summary>
    /// The head file start-up will most likely load, read on a pool thread while libtorch loads the model (reading and
    /// decoding it is managed work, and for the shipped head a large part of a cold start: README, Benchmarks). Which
    /// file is used is still decided after the model loads, by the same rules; a read that turns out not to be the one is dropped.
    /// </summary>
    private sealed record PrefetchedHead(string Path, Task<HeadFile> Read)
    {
        /// <summary>
        /// The configured head, else the shipped one for the embedded default unless the cache holds trained heads (one
        /// of them may be this model's). Only a speed-up: a folder it cannot list means no prefetch, not an error.
        /// </summary>
        public static PrefetchedHead? Start(string? configured, string headsFolder, ResolvedModel model)
        {
            string? path;
            try
            {
                path = configured ?? (model.Source != ModelSource.Embedded || model.Name != EmbeddedEncoder.MiniLm.ModelName ||
                    Directory.Exists(headsFolder) && Directory.EnumerateFiles(headsFolder, "*.head.json").Any() ? null : ShippedHeadPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
            if (path is null || !File.Exists(path)) return null;
            var read = Task.Run(() => HeadFile.Load(path));
            // A failed read throws where the file is used, as a read there would; never an unobserved fault if it is not.
            read.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return new PrefetchedHead(path, read);
        }

        /// <summary>The head file at <paramref name="path"/>: the prefetched read when it is that file's, else read now.</summary>
        public static HeadFile Load(PrefetchedHead? prefetched, string path) =>
            prefetched is not null && prefetched.Path == path ? prefetched.Read.GetAwaiter().GetResult() : HeadFile.Load(path);
    }

    /// <summary>Where training saves: the configured head path, else the per-model head in the cache.</summary>
    private string TrainingTarget(TrainRequest request) => request.OutputHeadPath ?? _options.HeadPath ?? DefaultUserHeadPath;

    private void LoadInitialHead(IProgress<string>? log, PrefetchedHead? prefetched)
    {
        if (_options.HeadPath is { } configured)
        {
            // A configured head that does not exist yet is where training will save; refuse only bad files.
            if (File.Exists(configured)) _head = LoadHead(configured, PrefetchedHead.Load(prefetched, configured));
            else log?.Report($"Head {configured} does not exist yet; train one to create it.");
            return;
        }
        foreach (var candidate in new[] { DefaultUserHeadPath, ShippedHeadPath })
        {
            if (!File.Exists(candidate)) continue;
            HeadFile file;
            try
            {
                file = PrefetchedHead.Load(prefetched, candidate);
            }
            catch (InvalidDataException e)
            {
                // A damaged cached head must not lock the user out: fall back, and training will replace it.
                log?.Report($"Ignoring {candidate}: {e.Message}");
                continue;
            }
            if (file.ModelFingerprint != _encoder.Fingerprint) continue; // the shipped head belongs to the embedded default only
            _head = LoadHead(candidate, file);
            return;
        }
        log?.Report($"No head for model {_encoder.ModelName} yet: classifying needs one trained for it.");
    }

    private LoadedHead LoadHead(string path, HeadFile? alreadyRead = null)
    {
        var file = alreadyRead ?? HeadFile.Load(path);
        file.EnsureFits(path, _encoder.ModelName, _encoder.Fingerprint, PoolingLayer.Dimension(file.Pooling, _encoder.Model.Config),
            _encoder.Model.Config);
        return new LoadedHead(file, TorchThread.Shared.Run(() => Serving(file.CreateHead()), TorchPriority.Interactive), path);
    }

    /// <summary>The head, made ready to answer; on the torch thread.</summary>
    private ClassifierHead Serving(ClassifierHead head)
    {
        try
        {
            head.PrepareForServing(_encoder.Precision);
            return head;
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    /// <summary>Loads another head file (e.g. a user's choice), refusing one made for another model.</summary>
    public void UseHead(string path) => SwapHead(LoadHead(path));
}
