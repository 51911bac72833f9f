using AgNewsLsp.Native;

namespace AgNewsLsp.Tests.Native;

/// <summary>Alone, not beside other tests: they share the torch thread, and these count its queue.</summary>
[CollectionDefinition(nameof(TorchThreadTests), DisableParallelization = true)]
public sealed class TorchThreadCollection;

[Collection(nameof(TorchThreadTests))]
public class TorchThreadTests
{
    [Fact]
    public void Work_runs_on_one_thread_and_nested_work_runs_inline()
    {
        var t = TorchThread.Shared;
        var id = t.Run(() => Environment.CurrentManagedThreadId, TorchPriority.Interactive);
        Assert.NotEqual(Environment.CurrentManagedThreadId, id);
        Assert.Equal(id, t.Run(() => Environment.CurrentManagedThreadId, TorchPriority.Background));
        // From the torch thread itself, work runs at once (no deadlock waiting on its own queue).
        Assert.Equal(id, t.Run(() => t.Run(() => Environment.CurrentManagedThreadId, TorchPriority.Background), TorchPriority.Interactive));
    }

    [Fact]
    public void Single_threaded_work_sees_one_libtorch_thread_and_the_count_comes_back_after_it()
    {
        TorchRuntime.EnsureInitialized();
        var t = TorchThread.Shared;
        var (afterThrow, inside, after) = t.Run(() =>
        {
            var configured = TorchSharp.torch.get_num_threads();
            TorchSharp.torch.set_num_threads(2); // as on a two-core machine, whatever this one has
            try
            {
                var seen = 0;
                Assert.Throws<InvalidDataException>(() => t.SingleThreaded<int>(() => throw new InvalidDataException("bad")));
                var restoredAfterThrow = TorchSharp.torch.get_num_threads();
                t.SingleThreaded(() => seen = TorchSharp.torch.get_num_threads());
                return (restoredAfterThrow, seen, TorchSharp.torch.get_num_threads());
            }
            finally
            {
                TorchSharp.torch.set_num_threads(configured);
            }
        }, TorchPriority.Interactive);
        Assert.Equal(2, afterThrow);
        Assert.Equal(1, inside);
        Assert.Equal(2, after);
        Assert.Throws<InvalidOperationException>(() => t.SingleThreaded(() => 0)); // not from another thread
    }

    [Fact]
    public void The_torch_facing_types_refuse_work_off_the_torch_thread()
    {
        TorchRuntime.EnsureInitialized();
        using var model = new AgNewsLsp.Model.BertModel(AgNewsLsp.Tests.Model.TestConfigs.Tiny);
        using var ids = TorchSharp.torch.tensor(new long[] { 2, 5, 3 }, [1, 3]);
        using var mask = TorchSharp.torch.ones_like(ids);
        var e = Assert.Throws<InvalidOperationException>(() => model.Forward(ids, mask, 0));
        Assert.Contains("torch thread", e.Message);
        Assert.Throws<InvalidOperationException>(() => model.HiddenStates(ids, mask, 1));
        using var output = OnTorchThread.Run(() => model.Forward(ids, mask, 0)); // where it belongs, it runs
        Assert.Equal(3, output.LastHiddenState.shape[1]);
    }

    [Fact]
    public void Exceptions_reach_the_caller_as_they_were()
    {
        var e = Assert.Throws<InvalidDataException>(() => TorchThread.Shared.Run<int>(() => throw new InvalidDataException("bad"), TorchPriority.Interactive));
        Assert.Equal("bad", e.Message);
        Assert.Equal(3, TorchThread.Shared.Run(() => 3, TorchPriority.Interactive)); // still serving
    }

    [Fact]
    public async Task Interactive_work_overtakes_queued_background_work()
    {
        var t = TorchThread.Shared;
        using var gate = new ManualResetEventSlim();
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var running = new ManualResetEventSlim();
        var blocker = Task.Run(() => t.Run(() => { running.Set(); gate.Wait(TimeSpan.FromSeconds(30)); }, TorchPriority.Background));
        Assert.True(running.Wait(TimeSpan.FromSeconds(30))); // the torch thread is now busy with the blocker
        var background = Enumerable.Range(0, 3).Select(i => Task.Run(() => t.Run(() => order.Enqueue($"b{i}"), TorchPriority.Background))).ToArray();
        await WaitUntil(() => t.Queued == 3);
        var interactive = Task.Run(() => t.Run(() => order.Enqueue("hover"), TorchPriority.Interactive));
        await WaitUntil(() => t.Queued == 4);
        gate.Set();
        await Task.WhenAll(background.Append(interactive).Append(blocker));
        Assert.Equal("hover", order.First());
    }

    [Fact]
    public async Task Nested_interactive_work_runs_at_a_yield_point_inside_background_work_and_plain_interactive_work_waits()
    {
        var t = TorchThread.Shared;
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var atStep = new ManualResetEventSlim();
        using var queued = new ManualResetEventSlim();
        var background = Task.Run(() => t.Run(() =>
        {
            order.Enqueue("step 1");
            atStep.Set();
            queued.Wait(TimeSpan.FromSeconds(30));
            t.YieldToInteractive(); // a background batch between two layers
            order.Enqueue("step 2");
        }, TorchPriority.Background));
        Assert.True(atStep.Wait(TimeSpan.FromSeconds(30)));
        var hover = Task.Run(() => t.Run(() => { order.Enqueue("hover"); t.YieldToInteractive(); }, TorchPriority.InteractiveNested));
        await WaitUntil(() => t.Queued == 1);
        var plain = Task.Run(() => t.Run(() => order.Enqueue("plain"), TorchPriority.Interactive));
        await WaitUntil(() => t.Queued == 2);
        queued.Set();
        await Task.WhenAll(background, hover, plain);
        // the nested item ran inside the background item; the plain interactive one (it may leave tensors behind) after it
        Assert.Equal(["step 1", "hover", "step 2", "plain"], order.ToArray());
        t.YieldToInteractive(); // off the torch thread: nothing happens
    }

    [Fact]
    public void Cancelled_work_that_has_not_started_does_not_run()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        bool ran = false;
        Assert.ThrowsAny<OperationCanceledException>(() => TorchThread.Shared.Run(() => ran = true, TorchPriority.Background, cts.Token));
        Assert.False(ran);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Stopping_waits_for_the_item_in_flight_and_starts_no_other()
    {
        var t = new TorchThread(stopAtProcessExit: false);
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        bool firstFinished = false, secondRan = false;
        var first = Task.Run(() => t.Run(() => { started.Set(); release.Wait(TimeSpan.FromSeconds(30)); firstFinished = true; }, TorchPriority.Background));
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        var second = Task.Run(() => t.Run(() => { secondRan = true; }, TorchPriority.Interactive));
        await WaitUntil(() => t.Queued == 1); // the second item waits behind the first
        var stop = Task.Run(() => t.Stop(TimeSpan.FromSeconds(30)));
        await WaitUntil(() => t.Stopping);
        Assert.False(stop.IsCompleted); // Stop is waiting for the item in flight
        release.Set();
        Assert.True(await stop);
        Assert.True(firstFinished); // Stop returned only after the running item ended
        await first;
        Assert.False(secondRan);
        Assert.Equal(1, t.Queued); // never started: the loop ended before taking it
        Assert.False(second.IsCompleted);
    }
}
