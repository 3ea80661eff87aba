using System.Text;
using Tern.Host.Qmp;

namespace Tern.Host.Tests.Qmp;

public sealed class QmpRequestParserTests
{
    private static QmpParsed Parse(string line) => QmpRequestParser.Parse(Encoding.UTF8.GetBytes(line));

    private static QmpParsed.Invalid Invalid(string line, string fragment)
    {
        var invalid = Assert.IsType<QmpParsed.Invalid>(Parse(line));
        Assert.Contains(fragment, invalid.Description);
        return invalid;
    }

    [Fact]
    public void A_request_with_arguments_and_id_is_parsed()
    {
        var request = Assert.IsType<QmpParsed.Request>(Parse("""{"execute":"migrate","arguments":{"uri":"tcp:1.2.3.4:5"},"id":{"n":[1,2]}}"""));

        Assert.Equal("migrate", request.Command);
        Assert.Equal("tcp:1.2.3.4:5", request.Arguments!.Value.GetProperty("uri").GetString());
        Assert.Equal("""{"n":[1,2]}""", request.Id!.Value.GetRawText());
    }

    [Fact]
    public void A_bare_execute_is_a_request_without_arguments_or_id()
    {
        var request = Assert.IsType<QmpParsed.Request>(Parse("""  {"execute":"stop"}  """));

        Assert.Null(request.Arguments);
        Assert.Null(request.Id);
    }

    [Theory]
    [InlineData("{\"execute\":", "malformed JSON")]
    [InlineData("{'execute':'stop'}", "malformed JSON")]
    [InlineData("{\"execute\":\"stop\"} trailing", "malformed JSON")]
    [InlineData("{\"execute\":\"stop\",}", "malformed JSON")]
    public void Malformed_json_is_refused(string line, string fragment) => Assert.Null(Invalid(line, fragment).Id);

    [Theory]
    [InlineData("[1,2]", "not an array")]
    [InlineData("\"stop\"", "not a string")]
    [InlineData("42", "not a number")]
    [InlineData("null", "not null")]
    public void A_value_that_is_not_an_object_is_refused(string line, string fragment) => Invalid(line, fragment);

    [Fact]
    public void Nesting_deeper_than_64_levels_is_malformed()
    {
        Invalid(new string('[', 100) + new string(']', 100), "malformed JSON");
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_refused_before_parsing()
    {
        var invalid = Assert.IsType<QmpParsed.Invalid>(QmpRequestParser.Parse(new byte[] { (byte)'{', 0xff, 0xfe, (byte)'}' }));

        Assert.Contains("UTF-8", invalid.Description);
    }

    [Fact]
    public void A_missing_execute_is_refused_and_the_id_still_echoed()
    {
        var invalid = Invalid("""{"id":7,"arguments":{}}""", "no 'execute'");

        Assert.Equal("7", invalid.Id!.Value.GetRawText());
    }

    [Theory]
    [InlineData("""{"execute":5,"id":"a"}""", "'execute' must be a string, not a number")]
    [InlineData("""{"execute":"stop","arguments":[],"id":"a"}""", "'arguments' must be an object, not an array")]
    [InlineData("""{"execute":"stop","verbose":true,"id":"a"}""", "unknown request member 'verbose'")]
    public void Wrongly_shaped_members_are_refused_with_the_id(string line, string fragment)
    {
        Assert.Equal("\"a\"", Invalid(line, fragment).Id!.Value.GetRawText());
    }
}
