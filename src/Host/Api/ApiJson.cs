using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Host.Api;

/// <summary>The control API's JSON shape, shared by the node (writing) and <c>tern ctl</c> (reading): camelCase names, enums as lower-case words.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        // One converter per enum the API carries: the non-generic one needs code generated at run time.
        Converters =
        {
            new JsonStringEnumConverter<HostState>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<VmState>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<ProtectionState>(JsonNamingPolicy.KebabCaseLower),
            new VmDiskJson(),
        },
        WriteIndented = true,
        // Messages quote names with ' and "; keep them readable (the API serves JSON, never HTML).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        TypeInfoResolver = Resolver(),
    };

    /// <summary>
    /// The native executable (ctl, token) has no reflection-based JSON: its types come from
    /// <see cref="ApiJsonContext"/>. Where reflection is on (the node's build) anything else the
    /// API answers with is still serialized by reflection, as before.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Reached only where reflection-based JSON is enabled, which the native build switches off.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Reached only where reflection-based JSON is enabled, which the native build switches off.")]
    private static IJsonTypeInfoResolver Resolver() => JsonSerializer.IsReflectionEnabledByDefault
        ? JsonTypeInfoResolver.Combine(ApiJsonContext.Default, new DefaultJsonTypeInfoResolver())
        : ApiJsonContext.Default;

    /// <summary>The metadata <see cref="Options"/> has for <typeparamref name="T"/>: what trim-safe (de)serialization calls take.</summary>
    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
}

/// <summary>
/// POST /v1/vms. <see cref="Memory"/> is a size as <c>-m</c> takes it ("512M", a bare number is MiB);
/// each of <see cref="Disks"/> a path (read-only) or <c>{"path","writable"}</c>; each of
/// <see cref="Nics"/> <c>{"bridge","mac"}</c>, the MAC optional (the cluster then gives one);
/// <see cref="Protect"/>, when given, <c>{"standby","epochMs"}</c> as for POST /v1/vms/NAME/protect.
/// </summary>
public sealed record CreateVmRequest(
    string? Name,
    string? Kernel,
    string? Initrd,
    string? Append,
    string? Memory,
    int? Smp,
    IReadOnlyList<VmDisk>? Disks,
    string? AntiAffinityGroup,
    IReadOnlyList<VmNic>? Nics = null,
    ProtectionRequest? Protect = null);

/// <summary>POST /v1/vms/NAME/migrate.</summary>
public sealed record MigrateRequest(string? To);

/// <summary>The answer to an accepted command.</summary>
public sealed record MessageResponse(string Message);

/// <summary>Every error: what kind (not-found, conflict, no-room, invalid, unavailable) and a one-line message.</summary>
public sealed record ErrorResponse(ErrorBody Error);

public sealed record ErrorBody(string Kind, string Message);

/// <summary>
/// GET /v1/vms/NAME/console: the serial output of the VM's instance <see cref="Incarnation"/> from
/// byte offset <see cref="From"/> to <see cref="Next"/>. A new incarnation (restarted, failed over)
/// has offsets of its own, starting at 0, unless it <see cref="Continues"/>: one that arrived by live
/// migration goes on at the offsets where the guest's output on its previous host stopped.
/// </summary>
public sealed record ConsoleResponse(string Name, string Host, long Incarnation, long From, long Next, bool Truncated, bool Continues, string Text);

/// <summary>POST /v1/tokens: a new token with role "viewer" or "operator".</summary>
public sealed record CreateTokenRequest(string? Role);

/// <summary>The answer to POST /v1/tokens: the token itself appears here only, once.</summary>
public sealed record TokenCreatedResponse(string Id, string Role, string Token);

/// <summary>GET /v1/tokens: the cluster's tokens (never the tokens themselves, nor their hashes).</summary>
public sealed record TokenView(string Id, string Role, DateTime Created);
