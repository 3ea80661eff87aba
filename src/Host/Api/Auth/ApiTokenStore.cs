using Akka.Actor;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;

namespace Tern.Host.Api.Auth;

/// <summary>
/// The tokens this node's API accepts: the node's own operator token (from its data directory,
/// valid on this node only) and the cluster's tokens, which the manager keeps and this store copies.
/// The copy is refreshed every <see cref="RefreshEvery"/>, and at once (at most once a second) when
/// a token it does not know comes in, so a token created through another node works here within
/// a second and a revoked one stops working within <see cref="RefreshEvery"/> (at once on the node
/// that revoked it).
/// </summary>
public sealed class ApiTokenStore(IActorRef manager, ApiTokenEntry local)
{
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MissRefreshGap = TimeSpan.FromSeconds(1);
    /// <summary>A request with an unknown token waits at most this long for the manager's list.</summary>
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    private volatile IReadOnlyDictionary<string, ApiTokenEntry> _cluster = new Dictionary<string, ApiTokenEntry>();
    private DateTime _refreshedAt = DateTime.MinValue;
    private readonly SemaphoreSlim _refreshing = new(1, 1);

    /// <summary>The role <paramref name="token"/> carries, or null when no node-known token matches it.</summary>
    public async Task<ApiRole?> RoleOfAsync(string token)
    {
        if (ApiToken.IdOf(token) is not { } id) return null;
        if (id == local.Id) return ApiToken.Matches(token, local) ? local.Role : null;
        if (!_cluster.ContainsKey(id)) await RefreshAsync(MissRefreshGap);
        else if (DateTime.UtcNow - _refreshedAt > RefreshEvery) _ = RefreshAsync(RefreshEvery); // answer from the copy meanwhile
        return _cluster.TryGetValue(id, out var entry) && ApiToken.Matches(token, entry) ? entry.Role : null;
    }

    /// <summary>Copies the manager's token list now (after this node issued or revoked one), unless a copy is younger than <paramref name="onlyIfOlderThan"/>.</summary>
    public async Task RefreshAsync(TimeSpan? onlyIfOlderThan = null)
    {
        await _refreshing.WaitAsync();
        try
        {
            if (onlyIfOlderThan is { } age && DateTime.UtcNow - _refreshedAt < age) return;
            // Unreachable manager: keep the last copy (the node's own token always works).
            if (await AskAsync() is ApiTokenList list)
            {
                _cluster = list.Tokens.ToDictionary(t => t.Id, StringComparer.Ordinal);
                _refreshedAt = DateTime.UtcNow;
            }
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private async Task<object?> AskAsync()
    {
        try
        {
            return await manager.Ask<object>(new GetApiTokens(), AskTimeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}
