using Tern.Kvm;

namespace Tern.Devices.Tests.Virtio;

/// <summary>Sources registered with an armed predicate (a TAP): watched only while armed, read by their handler.</summary>
public sealed class IoThreadArmedSourceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_disarmed_source_is_not_watched_until_it_is_armed_again()
    {
        using var source = new EventFd(nonBlocking: true);
        using var thread = new IoThread("test-io");
        using var ran = new ManualResetEventSlim();
        bool armed = false;
        int runs = 0;
        thread.Register(source, () =>
        {
            Interlocked.Increment(ref runs);
            source.Consume(); // the handler reads the source itself
            ran.Set();
        }, () => Volatile.Read(ref armed));
        thread.Start();

        source.Signal();
        Assert.False(ran.Wait(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(0, runs);

        Volatile.Write(ref armed, true);
        thread.Wake();
        Assert.True(ran.Wait(Timeout));
        thread.Stop();
        Assert.Equal(1, runs);
    }
}
