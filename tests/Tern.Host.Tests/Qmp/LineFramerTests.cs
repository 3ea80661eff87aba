using System.Text;
using Tern.Host.Qmp;

namespace Tern.Host.Tests.Qmp;

public sealed class LineFramerTests
{
    private static List<QmpFrame> Push(LineFramer framer, string text)
    {
        var frames = new List<QmpFrame>();
        framer.Push(Encoding.UTF8.GetBytes(text), frames);
        return frames;
    }

    private static string Text(QmpFrame frame) => Encoding.UTF8.GetString(Assert.IsType<QmpFrame.Line>(frame).Bytes);

    [Fact]
    public void Lines_end_at_newline_and_a_carriage_return_before_it_is_dropped()
    {
        var frames = Push(new LineFramer(), "{\"a\":1}\n{\"b\":2}\r\n");

        Assert.Equal(["{\"a\":1}", "{\"b\":2}"], frames.Select(Text));
    }

    [Fact]
    public void A_line_split_over_several_reads_comes_out_whole()
    {
        var framer = new LineFramer();
        Assert.Empty(Push(framer, "{\"exe"));
        Assert.True(framer.HasPartialLine);
        Assert.Empty(Push(framer, "cute\":\"stop\"}\r"));

        var frames = Push(framer, "\n{");

        Assert.Equal(["{\"execute\":\"stop\"}"], frames.Select(Text));
        Assert.True(framer.HasPartialLine);
    }

    [Fact]
    public void A_line_of_exactly_the_limit_passes_with_either_ending()
    {
        var framer = new LineFramer(maxLineBytes: 8);

        var frames = Push(framer, "12345678\n12345678\r\n");

        Assert.Equal(["12345678", "12345678"], frames.Select(Text));
    }

    [Fact]
    public void A_line_over_the_limit_is_reported_where_it_ends_and_the_next_line_is_read()
    {
        var framer = new LineFramer(maxLineBytes: 8);

        var frames = Push(framer, "123456789\nok\n");

        Assert.Equal(2, frames.Count);
        Assert.Equal(9, Assert.IsType<QmpFrame.TooLong>(frames[0]).Length);
        Assert.Equal("ok", Text(frames[1]));
        Assert.False(framer.HasPartialLine);
    }

    [Fact]
    public void An_over_long_line_arriving_in_pieces_is_counted_not_buffered()
    {
        var framer = new LineFramer(maxLineBytes: 1024);
        var chunk = new string('x', 1000);
        for (int i = 0; i < 50; i++) Assert.Empty(Push(framer, chunk));

        var frames = Push(framer, "\n{}\n");

        Assert.Equal(50_000, Assert.IsType<QmpFrame.TooLong>(frames[0]).Length);
        Assert.Equal("{}", Text(frames[1]));
    }

    [Fact]
    public void The_default_limit_is_one_mebibyte()
    {
        var framer = new LineFramer();
        var frames = new List<QmpFrame>();

        framer.Push(new byte[1 << 20], frames);
        framer.Push("\n"u8, frames);
        framer.Push(new byte[(1 << 20) + 1], frames);
        framer.Push("\n"u8, frames);

        Assert.Equal(1 << 20, Assert.IsType<QmpFrame.Line>(frames[0]).Bytes.Length);
        Assert.IsType<QmpFrame.TooLong>(frames[1]);
    }

    [Fact]
    public void Empty_lines_are_lines()
    {
        var frames = Push(new LineFramer(), "\n\r\n");

        Assert.Equal(["", ""], frames.Select(Text));
    }
}
