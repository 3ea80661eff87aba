using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tern.Host.Qmp;

namespace Tern.Host.Tests.Qmp;

public sealed class QmpDispatcherTests
{
    private readonly QmpDispatcher _dispatcher;

    public QmpDispatcherTests()
    {
        var table = new QmpCommandTable()
            .Add("echo", (args, _) => Task.FromResult<QmpReply>(new QmpReply.Return(new JsonObject { ["text"] = args.GetString("text") })),
                QmpArgument.Mandatory("text", QmpArgType.String))
            .Add("fail", (_, _) => Task.FromResult(QmpReply.Generic("it failed")))
            .Add("throw", (_, _) => throw new InvalidOperationException("bug"))
            .Reserve("later", QmpArgument.Mandatory("uri", QmpArgType.String));
        _dispatcher = new QmpDispatcher(table);
    }

    private string? Handle(string line)
    {
        var reply = _dispatcher.HandleLineAsync(Encoding.UTF8.GetBytes(line), CancellationToken.None).GetAwaiter().GetResult();
        if (reply is null) return null;
        string text = Encoding.UTF8.GetString(reply);
        Assert.EndsWith("\r\n", text);
        Assert.DoesNotContain('\n', text[..^2]);
        return text[..^2];
    }

    [Fact]
    public void A_command_returns_its_value_and_echoes_the_id()
    {
        Assert.Equal("""{"return":{"text":"hi"},"id":[1,"x"]}""", Handle("""{"execute":"echo","arguments":{"text":"hi"},"id":[1,"x"]}"""));
    }

    [Fact]
    public void Without_an_id_the_reply_has_none()
    {
        Assert.Equal("""{"error":{"class":"GenericError","desc":"it failed"}}""", Handle("""{"execute":"fail"}"""));
    }

    [Fact]
    public void An_unknown_command_is_CommandNotFound_with_its_id()
    {
        Assert.Equal("""{"error":{"class":"CommandNotFound","desc":"unknown command 'nope'"},"id":3}""", Handle("""{"execute":"nope","id":3}"""));
    }

    [Fact]
    public void A_reserved_command_checks_its_arguments_then_says_it_is_not_available()
    {
        Assert.Contains("needs argument 'uri'", Handle("""{"execute":"later"}"""));
        Assert.Equal("""{"error":{"class":"GenericError","desc":"'later' is reserved but not implemented"}}""",
            Handle("""{"execute":"later","arguments":{"uri":"tcp:1.1.1.1:1"}}"""));
    }

    [Fact]
    public void Argument_errors_are_GenericError_with_the_id()
    {
        var reply = JsonNode.Parse(Handle("""{"execute":"echo","arguments":{"text":1},"id":"a"}""")!)!;

        Assert.Equal("GenericError", (string?)reply["error"]!["class"]);
        Assert.Equal("a", (string?)reply["id"]);
    }

    [Fact]
    public void A_handler_that_throws_becomes_a_GenericError()
    {
        Assert.Contains("\"desc\":\"'throw' failed: bug\"", Handle("""{"execute":"throw"}"""));
    }

    [Fact]
    public void A_blank_line_gets_no_reply()
    {
        Assert.Null(Handle(""));
        Assert.Null(Handle(" \t\r"));
    }

    [Fact]
    public void A_huge_unknown_command_name_is_not_echoed_in_full()
    {
        string name = new('x', 100_000);

        Assert.True(Handle($$"""{"execute":"{{name}}"}""")!.Length < 200);
    }

    [Fact]
    public void Malformed_input_of_every_kind_is_answered_with_GenericError()
    {
        foreach (var line in new[] { "{", "[]", "{\"id\":1}", "{\"execute\":1}", "{\"execute\":\"echo\",\"x\":1}" })
        {
            using var reply = JsonDocument.Parse(Handle(line)!);
            Assert.Equal("GenericError", reply.RootElement.GetProperty("error").GetProperty("class").GetString());
        }
    }

    /// <summary>Issue 15: such a string threw out of the parser and the connection dropped without a reply.</summary>
    [Theory]
    [InlineData("""{"execute":"\ud800"}""")]
    [InlineData("""{"execute":"echo","id":"\udc00x"}""")]
    [InlineData("""{"execute":"echo","arguments":{"text":"a\ud800b"}}""")]
    [InlineData("""{"execute":"echo","arguments":{"\ud83d":1}}""")]
    [InlineData("""{"execute":"echo","arguments":{"text":"x","more":[{"deep":"\udfff"}]}}""")]
    public void A_lone_surrogate_escape_anywhere_is_a_GenericError_without_an_id(string line)
    {
        Assert.Equal("""{"error":{"class":"GenericError","desc":"the request has a \\u escape that is a lone UTF-16 surrogate"}}""", Handle(line));
    }

    [Fact]
    public void A_surrogate_pair_escape_is_text()
    {
        using var reply = JsonDocument.Parse(Handle("""{"execute":"echo","arguments":{"text":"\ud83d\ude00"}}""")!);
        Assert.Equal("😀", reply.RootElement.GetProperty("return").GetProperty("text").GetString());
    }

    [Fact]
    public void An_over_long_line_has_its_own_error()
    {
        string text = Encoding.UTF8.GetString(QmpDispatcher.TooLong(2_000_000, 1 << 20));

        Assert.Equal("""{"error":{"class":"GenericError","desc":"request line of 2000000 bytes exceeds the 1048576-byte limit"}}""" + "\r\n", text);
    }
}
