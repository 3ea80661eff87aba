using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Registry;
using Tern.Host.Api.Auth;

namespace Tern.Host.Tests.Api;

public sealed class ApiTokenTests
{
    [Fact]
    public void A_new_token_names_its_id_and_only_it_matches_its_stored_hash()
    {
        var (token, entry) = ApiToken.Create(ApiRole.Viewer);
        Assert.Matches("^tern_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$", token);
        Assert.Equal(entry.Id, ApiToken.IdOf(token));
        Assert.Equal(ApiRole.Viewer, entry.Role);
        Assert.DoesNotContain(token[18..], entry.Hash);
        Assert.True(ApiToken.Matches(token, entry));
        Assert.False(ApiToken.Matches(token[..^1] + (token[^1] == 'A' ? 'B' : 'A'), entry));
        Assert.NotEqual(token, ApiToken.Create(ApiRole.Viewer).Token);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Bearer")]
    [InlineData("tern_0123456789ab")]
    [InlineData("tern_0123456789AB_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("tern_0123456789ab-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("tern_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void A_malformed_token_names_no_id(string token) => Assert.Null(ApiToken.IdOf(token));
}
