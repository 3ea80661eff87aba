using System.Text.Json;
using Tern.Host.Qmp;

namespace Tern.Host.Tests.Qmp;

public sealed class QmpArgumentsTests
{
    private static readonly QmpArgument[] Schema =
    [
        QmpArgument.Mandatory("uri", QmpArgType.String),
        QmpArgument.Optional("limit", QmpArgType.Int),
        QmpArgument.Optional("fast", QmpArgType.Bool),
        QmpArgument.Optional("list", QmpArgType.Array),
    ];

    private static (QmpArguments? Arguments, string? Error) Validate(string? json) =>
        QmpArguments.Validate("cmd", json is null ? null : JsonDocument.Parse(json).RootElement, Schema);

    [Fact]
    public void Valid_arguments_are_read_by_name()
    {
        var (args, error) = Validate("""{"uri":"unix:/x","limit":300,"fast":true,"list":[]}""");

        Assert.Null(error);
        Assert.Equal("unix:/x", args!.GetString("uri"));
        Assert.Equal(300, args.GetInt("limit"));
        Assert.True(args.GetBool("fast"));
        Assert.False(args.Has("missing"));
    }

    [Theory]
    [InlineData(null, "'cmd' needs argument 'uri' (a string)")]
    [InlineData("""{"limit":1}""", "'cmd' needs argument 'uri' (a string)")]
    [InlineData("""{"uri":"x","speed":1}""", "'cmd' has no argument 'speed'")]
    [InlineData("""{"uri":5}""", "argument 'uri' of 'cmd' must be a string, not a number")]
    [InlineData("""{"uri":"x","limit":1.5}""", "argument 'limit' of 'cmd' must be an integer, not a number")]
    [InlineData("""{"uri":"x","limit":"1"}""", "argument 'limit' of 'cmd' must be an integer, not a string")]
    [InlineData("""{"uri":"x","fast":"yes"}""", "argument 'fast' of 'cmd' must be a boolean, not a string")]
    [InlineData("""{"uri":null}""", "argument 'uri' of 'cmd' must be a string, not null")]
    public void Bad_arguments_get_a_message_naming_the_culprit(string? json, string expected)
    {
        var (args, error) = Validate(json);

        Assert.Null(args);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void A_command_without_arguments_accepts_an_empty_object_or_none()
    {
        Assert.Null(QmpArguments.Validate("stop", null, []).Error);
        Assert.Null(QmpArguments.Validate("stop", JsonDocument.Parse("{}").RootElement, []).Error);
    }
}
