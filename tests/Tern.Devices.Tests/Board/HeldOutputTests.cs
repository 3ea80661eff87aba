using System.Text;
using Tern.Devices.Board;

namespace Tern.Devices.Tests.Board;

/// <summary>Issue 18: output held by epoch until its checkpoint is acknowledged.</summary>
public sealed class HeldOutputTests
{
    private static HeldOutput<string> Held(long limit = 1000) => new(limit, s => Encoding.UTF8.GetByteCount(s));

    [Fact]
    public void Output_leaves_in_order_once_the_checkpoint_of_its_epoch_is_acknowledged()
    {
        var held = Held();
        Assert.True(held.Add(1, "a1"));
        Assert.True(held.Add(1, "b1"));
        Assert.True(held.Add(2, "c2"));
        Assert.Equal(6, held.HeldBytes);
        Assert.Empty(held.Release(0));
        Assert.Equal(["a1", "b1"], held.Release(1));
        Assert.Equal(["c2"], held.Release(3)); // cumulative
        Assert.Equal((0, 0L), (held.Count, held.HeldBytes));
    }

    [Fact]
    public void Past_its_limit_it_refuses_and_holds_nothing_of_the_refused_item()
    {
        var held = Held(limit: 5);
        Assert.True(held.Add(1, "abcd"));
        Assert.False(held.Add(1, "ef"));
        Assert.Equal(4, held.HeldBytes);
        Assert.Equal(["abcd"], held.Release(1));
        Assert.True(held.Add(2, "ef"));
    }

    [Fact]
    public void Discarded_output_is_never_released_and_epochs_only_go_forward()
    {
        var held = Held();
        held.Add(3, "x");
        held.Discard();
        Assert.Empty(held.Release(10));
        held.Add(5, "y");
        Assert.Throws<ArgumentException>(() => held.Add(4, "z"));
    }

    [Fact]
    public void After_a_replication_ends_the_next_numbers_its_epochs_from_the_start_again()
    {
        var held = Held();
        held.Add(40, "old");
        Assert.Equal(["old"], held.ReleaseAll());
        // A new standby: its checkpoints count from 0 again (a primary crashed on this before).
        Assert.True(held.Add(1, "new"));
        Assert.Equal(["new"], held.Release(1));
        held.Add(7, "gone");
        held.Discard();
        Assert.True(held.Add(1, "again"));
    }
}
