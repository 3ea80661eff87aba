using System.Text.Json;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Registry;
using Tern.Host.Api;
using Tern.Host.Api.Auth;

namespace Tern.Host.Node;

/// <summary>
/// The node's own operator token, made at its first start and kept in <c>DATA/ctl.json</c> (mode
/// 0600, with the API's address) so that <c>tern ctl</c> run by the same user finds both, as
/// kubectl finds its config. The token is valid on this node's API only; tokens for the whole
/// cluster come from <c>tern token create</c>.
/// </summary>
public static class NodeCredentials
{
    public const string FileName = "ctl.json";

    /// <summary>What ctl.json holds: the API's URL, the token, and for an HTTPS API the CA certificate that signed it.</summary>
    public sealed record CtlFile(string Api, string Token, string? Ca = null);

    /// <summary>The node's token entry (created on first use), with ctl.json rewritten for <paramref name="api"/>.</summary>
    public static ApiTokenEntry Ensure(string dataDirectory, string api, string? ca)
    {
        string path = Path.Combine(dataDirectory, FileName);
        string? token = Read(dataDirectory)?.Token;
        if (token is null || ApiToken.IdOf(token) is null) token = ApiToken.Create(ApiRole.Operator).Token;
        Write(path, new CtlFile(api, token, ca));
        return new ApiTokenEntry(ApiToken.IdOf(token)!, ApiRole.Operator, ApiToken.Hash(token), File.GetCreationTimeUtc(path));
    }

    /// <summary>The ctl.json of the node whose data directory is <paramref name="dataDirectory"/>, or null when it is missing or unreadable.</summary>
    public static CtlFile? Read(string dataDirectory)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(dataDirectory, FileName)), ApiJson.Info<CtlFile>());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    private static void Write(string path, CtlFile file)
    {
        string temporary = path + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var stream = new FileStream(temporary, options)) JsonSerializer.Serialize(stream, file, ApiJson.Info<CtlFile>());
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite); // an old .new file kept its mode
        File.Move(temporary, path, overwrite: true);
    }
}
