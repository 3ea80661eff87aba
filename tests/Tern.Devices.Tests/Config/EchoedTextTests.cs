using Tern.Devices.Config;

namespace Tern.Devices.Tests.Config;

/// <summary>Issue 15: error messages quoted 10 KB inputs whole; every echoed value goes through one clip.</summary>
public sealed class EchoedTextTests
{
    [Fact]
    public void A_short_value_is_echoed_whole() => Assert.Equal("/tmp/disk.img", EchoedText.Clip("/tmp/disk.img"));

    [Fact]
    public void A_long_value_keeps_its_head_and_its_tail_within_the_limit()
    {
        string path = "/srv/" + new string('d', 10_000) + "/disk-7.img";
        string clipped = EchoedText.Clip(path);

        Assert.Equal(EchoedText.MaxLength, clipped.Length);
        Assert.StartsWith("/srv/ddd", clipped);
        Assert.Contains("...", clipped);
        Assert.EndsWith("dd/disk-7.img", clipped);
    }

    [Fact]
    public void A_surrogate_pair_is_never_cut_in_half()
    {
        foreach (int shift in Enumerable.Range(0, 4))
        {
            string clipped = EchoedText.Clip(new string('a', shift) + string.Concat(Enumerable.Repeat("😀", 100)));
            for (int i = 0; i < clipped.Length; i++)
                if (char.IsSurrogate(clipped[i])) Assert.True(char.IsSurrogatePair(clipped, char.IsHighSurrogate(clipped[i]) ? i : i - 1), $"shift {shift}: {clipped}");
        }
    }
}
