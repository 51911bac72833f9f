using AgNewsLsp.Server.Hosting;
using Xunit;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Tests.Hardening;

public class IdleMemoryReclaimerTests
{
    private long now = 1_000;
    private long allocated;
    private int collections;

    private IdleMemoryReclaimer Create() => new(() => now, () => allocated, () => collections++);

    private static readonly long Idle = (long)IdleMemoryReclaimer.IdleAfter.TotalMilliseconds;

    [Fact]
    public void Collects_once_idle_after_enough_allocation_and_not_again_until_more()
    {
        var reclaimer = Create();
        allocated = IdleMemoryReclaimer.AllocationThreshold;
        reclaimer.Busy();
        now += Idle;
        Assert.True(reclaimer.Check());
        Assert.Equal(1, collections);

        now += 10 * Idle; // still idle, nothing new allocated
        Assert.False(reclaimer.Check());
        allocated += IdleMemoryReclaimer.AllocationThreshold;
        Assert.True(reclaimer.Check());
        Assert.Equal(2, collections);
    }

    [Fact]
    public void Never_collects_while_messages_flow()
    {
        var reclaimer = Create();
        for (var i = 0; i < 100; i++)
        {
            allocated += IdleMemoryReclaimer.AllocationThreshold;
            now += Idle - 1;
            reclaimer.Busy();
            Assert.False(reclaimer.Check());
        }
        Assert.Equal(0, collections);
    }

    [Fact]
    public void Small_allocations_are_not_worth_a_collection()
    {
        var reclaimer = Create();
        allocated = IdleMemoryReclaimer.AllocationThreshold - 1;
        now += 100 * Idle;
        Assert.False(reclaimer.Check());
        Assert.Equal(0, collections);
    }
}
