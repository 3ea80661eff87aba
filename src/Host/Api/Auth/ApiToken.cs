using System.Security.Cryptography;
using System.Text;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Registry;

namespace Tern.Host.Api.Auth;

/// <summary>
/// A control API bearer token: <c>tern_ID_SECRET</c>, ID the 12 hex digits that name it (listing,
/// revoking), SECRET 32 random bytes in base64url. Only the SHA-256 of the whole token is stored:
/// the token carries 256 random bits, so a fast hash is enough (no password stretching needed).
/// </summary>
public static class ApiToken
{
    private const string Prefix = "tern_";
    private const int SecretBytes = 32;

    /// <summary>A new token and the entry that stores it.</summary>
    public static (string Token, ApiTokenEntry Entry) Create(ApiRole role)
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(ApiTokenIds.Length / 2));
        string token = $"{Prefix}{id}_{Base64Url(RandomNumberGenerator.GetBytes(SecretBytes))}";
        return (token, new ApiTokenEntry(id, role, Hash(token), DateTime.UtcNow));
    }

    /// <summary>The id a well-formed token names, or null for anything else.</summary>
    public static string? IdOf(string token)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length != Prefix.Length + ApiTokenIds.Length + 1 + 43) return null;
        string id = token.Substring(Prefix.Length, ApiTokenIds.Length);
        return ApiTokenIds.IsValid(id) && token[Prefix.Length + ApiTokenIds.Length] == '_' ? id : null;
    }

    /// <summary>True when <paramref name="token"/> is the one <paramref name="entry"/> stores (compared in constant time).</summary>
    public static bool Matches(string token, ApiTokenEntry entry) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(token)), Encoding.ASCII.GetBytes(entry.Hash));

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
