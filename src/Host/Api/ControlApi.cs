using System.Text;
using System.Text.Json;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Host;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;
using Tern.Devices.Config;
using Tern.Host.Api.Auth;
using Tern.Host.CommandLine;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;

namespace Tern.Host.Api;

/// <summary>
/// The node's HTTP control API: JSON endpoints that turn into ClusterManager messages (through the
/// singleton proxy) and back. Bad input is refused here or by the manager with a JSON error and a
/// status code (400 malformed or invalid, 404 unknown, 409 conflict or no room, 503 manager
/// unreachable); a refused request changes nothing.
/// </summary>
public sealed class ControlApi(IActorRef manager, TimeSpan askTimeout, ApiTokenStore tokens, ImageDirectories images)
{
    /// <summary>The largest request body the API reads: a VM definition within its limits is a few tens of KiB.</summary>
    public const long MaxBodyBytes = 256 * 1024;

    public void Map(WebApplication app)
    {
        app.MapGet(ApiRoutes.Hosts, () => Query<HostList>(new GetHosts(), l => l.Hosts));
        app.MapGet(ApiRoutes.Vms, () => Query<VmList>(new GetVms(), l => l.Vms));
        app.MapGet(ApiRoutes.Events, (long? after) => Query<EventList>(new GetEvents(after ?? 0), l => l.Events));
        app.MapPost(ApiRoutes.Vms, CreateAsync);
        app.MapPost(ApiRoutes.Vms + "/{name}/start", (string name) => Command(new StartVm(name)));
        app.MapPost(ApiRoutes.Vms + "/{name}/stop", (string name) => Command(new StopVm(name)));
        app.MapDelete(ApiRoutes.Vms + "/{name}", (string name) => Command(new DeleteVm(name)));
        app.MapPost(ApiRoutes.Vms + "/{name}/migrate", MigrateAsync);
        app.MapGet(ApiRoutes.Vms + "/{name}/migration", (string name) => Query<MigrationReport>(new GetMigration(name), r => r));
        app.MapPost(ApiRoutes.Vms + "/{name}/migration/cancel", (string name) => Command(new CancelMigration(name)));
        app.MapPost(ApiRoutes.Vms + "/{name}/upgrade", (string name) => Command(new UpgradeVm(name)));
        app.MapPost(ApiRoutes.Vms + "/{name}/protect", ProtectAsync);
        app.MapPost(ApiRoutes.Vms + "/{name}/unprotect", (string name) => Command(new UnprotectVm(name)));
        app.MapPost(ApiRoutes.Hosts + "/{name}/drain", (string name) => Command(new DrainHost(name)));
        app.MapPost(ApiRoutes.Hosts + "/{name}/undrain", (string name) => Command(new UndrainHost(name)));
        app.MapGet(ApiRoutes.Vms + "/{name}/console", ConsoleAsync);
        app.MapGet(ApiRoutes.Tokens, () => Query<ApiTokenList>(new GetApiTokens(),
            l => l.Tokens.Select(t => new TokenView(t.Id, RoleName(t.Role), t.Created)).ToArray()));
        app.MapPost(ApiRoutes.Tokens, CreateTokenAsync);
        app.MapDelete(ApiRoutes.Tokens + "/{id}", RevokeTokenAsync);
        app.MapFallback(() => Error(StatusCodes.Status404NotFound, "not-found", "no such endpoint"));
    }

    private async Task<IResult> Query<TReply>(IManagerCommand query, Func<TReply, object> body)
    {
        var reply = await AskAsync(query);
        return reply is TReply r ? Results.Json(body(r), ApiJson.Options) : ReplyError(reply);
    }

    private async Task<IResult> Command(IManagerCommand command, int okStatus = StatusCodes.Status200OK)
    {
        var reply = await AskAsync(command);
        return reply is Done done ? Results.Json(new MessageResponse(done.Message), ApiJson.Options, statusCode: okStatus) : ReplyError(reply);
    }

    private async Task<IResult> CreateAsync(HttpRequest request)
    {
        var body = await ReadAsync<CreateVmRequest>(request);
        if (body.Error is { } error) return error;
        var r = body.Value!;
        ulong memory;
        try
        {
            memory = r.Memory is null ? VmConfig.DefaultMemoryBytes : MemoryOption.ParseSize(r.Memory);
        }
        catch (CommandLineException e)
        {
            return Error(StatusCodes.Status400BadRequest, "invalid", e.Message);
        }
        if (r.Protect?.Problem() is { } protection) return Error(StatusCodes.Status400BadRequest, "invalid", protection);
        var definition = new VmDefinition(r.Name ?? "", r.Kernel ?? "", r.Initrd, r.Append ?? "", memory, r.Smp ?? 1, r.Disks ?? [], r.AntiAffinityGroup, r.Nics);
        // Files must be allowed and exist where this node sees them (hosts share storage), so a typo
        // or a file outside the image directories fails now; each host checks again before it boots.
        if (definition.Problems().Count == 0 && images.Problems(definition) is { Count: > 0 } refused)
            return Error(StatusCodes.Status400BadRequest, "invalid", string.Join("; ", refused));
        return await Command(new CreateVm(definition, r.Protect), StatusCodes.Status201Created);
    }

    /// <summary>POST /v1/vms/NAME/protect, its body <c>{"standby","epochMs"}</c> (each optional; no body at all asks for the defaults).</summary>
    private async Task<IResult> ProtectAsync(string name, HttpRequest request)
    {
        var body = await ReadAsync(request, whenEmpty: new ProtectionRequest());
        if (body.Error is { } error) return error;
        var r = body.Value!;
        if (r.Problem() is { } problem) return Error(StatusCodes.Status400BadRequest, "invalid", problem);
        return await Command(new ProtectVm(name, r.Standby, r.EpochMs));
    }

    private async Task<IResult> MigrateAsync(string name, HttpRequest request)
    {
        var body = await ReadAsync<MigrateRequest>(request);
        if (body.Error is { } error) return error;
        if (string.IsNullOrEmpty(body.Value!.To)) return Error(StatusCodes.Status400BadRequest, "invalid", "'to' (the target host) must be given");
        return await Command(new MigrateVm(name, body.Value.To));
    }

    private async Task<IResult> CreateTokenAsync(HttpRequest request)
    {
        var body = await ReadAsync<CreateTokenRequest>(request);
        if (body.Error is { } error) return error;
        ApiRole? parsed = body.Value!.Role switch { "viewer" => ApiRole.Viewer, "operator" => ApiRole.Operator, _ => null };
        if (parsed is not { } role)
            return Error(StatusCodes.Status400BadRequest, "invalid", $"'role' must be viewer or operator, not '{EchoedText.Clip(body.Value.Role ?? "")}'");
        var (token, entry) = ApiToken.Create(role);
        var reply = await AskAsync(new IssueApiToken(entry));
        if (reply is not Done) return ReplyError(reply);
        await tokens.RefreshAsync();
        return Results.Json(new TokenCreatedResponse(entry.Id, RoleName(role), token), ApiJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private async Task<IResult> RevokeTokenAsync(string id)
    {
        if (!ApiTokenIds.IsValid(id)) return Error(StatusCodes.Status400BadRequest, "invalid", $"'{EchoedText.Clip(id)}' is not a token id (12 hex digits)");
        var result = await Command(new RevokeApiToken(id));
        await tokens.RefreshAsync();
        return result;
    }

    private static string RoleName(ApiRole role) => role.ToString().ToLowerInvariant();

    private async Task<IResult> ConsoleAsync(string name, long? from)
    {
        var reply = await AskAsync(new GetConsole(name, Math.Max(0, from ?? 0)));
        if (reply is not ConsoleOutput o) return ReplyError(reply);
        string text = Encoding.UTF8.GetString(o.Data);
        return Results.Json(new ConsoleResponse(o.Name, o.Host, o.Incarnation, o.From, o.Next, o.Truncated, o.Continues, text), ApiJson.Options);
    }

    private async Task<object> AskAsync(IManagerCommand message)
    {
        try
        {
            return await manager.Ask<object>(message, askTimeout);
        }
        catch (AskTimeoutException)
        {
            return new Failed(FailureKind.Unavailable, $"the cluster manager did not answer within {askTimeout.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// Reads a JSON body; a malformed or mistyped one is a 400 naming the problem, and so is a
    /// missing one unless the endpoint takes <paramref name="whenEmpty"/> for it.
    /// </summary>
    private static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, T? whenEmpty = null) where T : class
    {
        if (whenEmpty is not null && !HasBody(request)) return (whenEmpty, null);
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, ApiJson.Options);
            return value is null ? (null, Error(StatusCodes.Status400BadRequest, "invalid", "the request body must be a JSON object")) : (value, null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Error(e.StatusCode, "invalid", $"the request body is larger than {MaxBodyBytes / 1024} KiB"));
        }
        catch (JsonException e)
        {
            // The exception's own text names .NET types; say where the body went wrong instead.
            string where = e.Path is { Length: > 1 } path ? $" at {EchoedText.Clip(path)}" : "";
            return (null, Error(StatusCodes.Status400BadRequest, "invalid", $"malformed JSON{where} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})"));
        }
    }

    /// <summary>False for a request that carries no body (Content-Length 0, or no length and no chunks); the server knows, the stream would only say so by being empty.</summary>
    private static bool HasBody(HttpRequest request) =>
        request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true;

    private static IResult ReplyError(object reply) => reply switch
    {
        Failed f => Error(StatusOf(f.Kind), KindName(f.Kind), f.Reason),
        _ => Error(StatusCodes.Status500InternalServerError, "internal", "the cluster manager gave an unexpected answer"),
    };

    private static int StatusOf(FailureKind kind) => kind switch
    {
        FailureKind.Invalid => StatusCodes.Status400BadRequest,
        FailureKind.NotFound => StatusCodes.Status404NotFound,
        FailureKind.Conflict or FailureKind.NoRoom => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status503ServiceUnavailable,
    };

    private static string KindName(FailureKind kind) => JsonNamingPolicy.KebabCaseLower.ConvertName(kind.ToString());

    private static IResult Error(int status, string kind, string message) =>
        Results.Json(new ErrorResponse(new ErrorBody(kind, message)), ApiJson.Options, statusCode: status);
}
