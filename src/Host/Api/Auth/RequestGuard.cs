using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Registry;
using Tern.Devices.Config;

namespace Tern.Host.Api.Auth;

/// <summary>
/// Checks every control API request before an endpoint sees it, in this order:
/// 1. the Host header names this API (its address, or a name in tern.node.api-host-names): a page
///    on another site whose name was rebound to this address is refused (DNS rebinding);
/// 2. an Origin header, if sent, is this API's own origin: a browser's cross-site request is refused (CSRF);
/// 3. a bearer token this node accepts (<see cref="ApiTokenStore"/>) is present: 401 otherwise;
/// 4. its role allows the request: reads (GET) for a viewer, everything for an operator; 403 otherwise;
/// 5. every request but a GET carries a JSON body (Content-Type application/json): 415 otherwise,
///    so no HTML form or "simple" cross-site request can issue a command.
/// A refusal is a JSON error like every other and changes nothing.
/// </summary>
public sealed class RequestGuard(ApiTokenStore tokens, IReadOnlySet<string> hosts, string scheme)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        string host = request.Host.Value ?? "";
        if (!hosts.Contains(host.ToLowerInvariant()))
        {
            await Refuse(context, StatusCodes.Status421MisdirectedRequest, "invalid", $"Host '{EchoedText.Clip(host)}' is not this API's address");
            return;
        }
        if (request.Headers.Origin is { Count: > 0 } origin && !IsOwnOrigin(origin.ToString()))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, "forbidden", $"cross-site request from origin '{EchoedText.Clip(origin.ToString())}' refused");
            return;
        }
        if (Bearer(request) is not { } token)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Refuse(context, StatusCodes.Status401Unauthorized, "unauthorized",
                "a bearer token is required (tern ctl reads the node's own token from its data directory, else --token or TERN_TOKEN)");
            return;
        }
        if (await tokens.RoleOfAsync(token) is not { } role)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            await Refuse(context, StatusCodes.Status401Unauthorized, "unauthorized", "the token is not valid (unknown, revoked or malformed)");
            return;
        }
        bool read = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        if (!Allows(role, read, request.Path))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, "forbidden", $"a {role.ToString().ToLowerInvariant()} token may only read");
            return;
        }
        if (!read && !IsJson(request.ContentType))
        {
            await Refuse(context, StatusCodes.Status415UnsupportedMediaType, "invalid", "the request body must be JSON (Content-Type: application/json)");
            return;
        }
        await next(context);
    }

    /// <summary>Viewers read everything but the token list; operators do everything.</summary>
    private static bool Allows(ApiRole role, bool read, PathString path) =>
        role == ApiRole.Operator || (read && !path.StartsWithSegments(ApiRoutes.Tokens, StringComparison.Ordinal));

    // Uri.Host keeps an IPv6 address's brackets, and Port is explicit even where the scheme's default.
    private bool IsOwnOrigin(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme == scheme && hosts.Contains($"{uri.Host}:{uri.Port}".ToLowerInvariant());

    private static string? Bearer(HttpRequest request)
    {
        string? value = request.Headers.Authorization;
        const string prefix = "Bearer ";
        return value is not null && value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? value[prefix.Length..].Trim() : null;
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static Task Refuse(HttpContext context, int status, string kind, string message) =>
        Results.Json(new ErrorResponse(new ErrorBody(kind, message)), ApiJson.Options, statusCode: status).ExecuteAsync(context);
}
