using Tern.Actors.Migration.Engine.Wire;

namespace Tern.Actors.Tests.Migration;

public sealed class ChecksumAndZeroPageTests
{
    [Fact]
    public void Crc32C_matches_the_standard_check_values()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));            // the CRC-32C check value
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));            // RFC 3720 B.4: 32 bytes of zeros
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Crc32C_is_the_same_whole_or_in_pieces()
    {
        var data = new byte[1000];
        new Random(1).NextBytes(data);
        uint state = Crc32C.Append(Crc32C.Append(Crc32C.Start, data.AsSpan(0, 13)), data.AsSpan(13));
        Assert.Equal(Crc32C.Compute(data), Crc32C.Finish(state));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(9)]
    public void Page_checksums_equal_one_crc_per_page(int pages)
    {
        var data = new byte[pages * 4096];
        new Random(pages).NextBytes(data);
        var crcs = new uint[pages];
        Crc32C.Pages(data, crcs);
        for (int p = 0; p < pages; p++) Assert.Equal(Crc32C.Compute(data.AsSpan(p * 4096, 4096)), crcs[p]);
    }

    [Fact]
    public void A_page_is_zero_only_when_every_byte_is()
    {
        var page = new byte[4096];
        Assert.True(ZeroPage.IsZero(page));
        for (int i = 0; i < page.Length; i++)
        {
            page[i] = 1;
            Assert.False(ZeroPage.IsZero(page), $"a 1 at byte {i} was missed");
            page[i] = 0;
        }
        page[4095] = 0x80;
        Assert.False(ZeroPage.IsZero(page));
    }
}
