using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Tern.Actors.Migration.Engine;
using Tern.Host.CommandLine;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Host.Qmp;

/// <summary>
/// migrate, migrate_cancel, query-migrate, migrate-incoming, x-colo-lost-heartbeat and the parameter/capability commands,
/// with QEMU's names and argument schemas: arguments are checked here, the work is a message to the
/// VmActor (which runs the migration in a child actor).
/// </summary>
public static class MigrationCommands
{
    private const string MigrateName = "migrate";
    private const string MigrateCancelName = "migrate_cancel";
    private const string QueryMigrateName = "query-migrate";
    private const string SetParametersName = "migrate-set-parameters";
    private const string QueryParametersName = "query-migrate-parameters";
    private const string SetCapabilitiesName = "migrate-set-capabilities";
    private const string QueryCapabilitiesName = "query-migrate-capabilities";
    private const string MigrateIncomingName = "migrate-incoming";
    private const string LostHeartbeatName = "x-colo-lost-heartbeat";

    /// <summary>Adds the commands in the order query-commands lists them.</summary>
    public static void AddTo(QmpCommandTable table, IActorRef vm)
    {
        // blk, inc, detach and resume are QEMU's; they are accepted and have no effect.
        table.Add(MigrateName, (args, _) => Migrate(vm, args.GetString("uri")!),
            QmpArgument.Mandatory("uri", QmpArgType.String),
            QmpArgument.Optional("blk", QmpArgType.Bool),
            QmpArgument.Optional("inc", QmpArgType.Bool),
            QmpArgument.Optional("detach", QmpArgType.Bool),
            QmpArgument.Optional("resume", QmpArgType.Bool));
        table.Add(MigrateCancelName, (_, _) =>
            VmAsk.Run<IMigrationMessage>(vm, new MigrateCancel(), MigrateCancelName, r => r switch
            {
                CancelRefused c => QmpReply.Generic(c.Reason),
                _ => QmpReply.Empty,
            }));
        table.Add(QueryMigrateName, (_, _) =>
            VmAsk.Run<MigrationInfo>(vm, new QueryMigrate(), QueryMigrateName, info => new QmpReply.Return(MigrationJson.Info(info))));
        table.Add(SetParametersName, (args, _) => SetParameters(vm, args),
            QmpArgument.Optional("downtime-limit", QmpArgType.Int),
            QmpArgument.Optional("max-bandwidth", QmpArgType.Int),
            QmpArgument.Optional("multifd-channels", QmpArgType.Int),
            QmpArgument.Optional("x-completion-timeout", QmpArgType.Int),
            QmpArgument.Optional("cpu-throttle-initial", QmpArgType.Int),
            QmpArgument.Optional("cpu-throttle-increment", QmpArgType.Int),
            QmpArgument.Optional("max-cpu-throttle", QmpArgType.Int),
            QmpArgument.Optional("tls-creds", QmpArgType.String),
            QmpArgument.Optional("tls-hostname", QmpArgType.String),
            QmpArgument.Optional("x-checkpoint-delay", QmpArgType.Int));
        table.Add(QueryParametersName, (_, _) =>
            VmAsk.Run<ParametersReply>(vm, new QueryParameters(), QueryParametersName, p => new QmpReply.Return(MigrationJson.Parameters(p.Parameters))));
        table.Add(SetCapabilitiesName, (args, _) => SetCapabilities(vm, args.Get("capabilities")!.Value),
            QmpArgument.Mandatory("capabilities", QmpArgType.Array));
        table.Add(QueryCapabilitiesName, (_, _) =>
            VmAsk.Run<ParametersReply>(vm, new QueryParameters(), QueryCapabilitiesName, p => new QmpReply.Return(MigrationJson.Capabilities(p.Parameters))));
        table.Add(MigrateIncomingName, (args, _) => Migrate(vm, args.GetString("uri")!, incoming: true),
            QmpArgument.Mandatory("uri", QmpArgType.String));
        table.Add(LostHeartbeatName, (_, _) =>
            VmAsk.Run<IMigrationMessage>(vm, new LostHeartbeat(), LostHeartbeatName, r => r switch
            {
                FailoverRefused f => QmpReply.Generic(f.Reason),
                _ => QmpReply.Empty,
            }));
    }

    /// <summary>migrate, or with <paramref name="incoming"/> migrate-incoming (the destination's side, after -incoming defer).</summary>
    private static Task<QmpReply> Migrate(IActorRef vm, string uri, bool incoming = false)
    {
        string command = incoming ? MigrateIncomingName : MigrateName;
        Devices.Config.MigrationEndpoint endpoint;
        try
        {
            endpoint = MigrationUri.Parse(uri, command);
        }
        catch (CommandLineException e)
        {
            return Task.FromResult(QmpReply.Generic(e.Message));
        }
        IMigrationMessage request = incoming ? new MigrateIncoming(endpoint) : new Migrate(endpoint);
        return VmAsk.Run<IMigrationMessage>(vm, request, command, r => r switch
        {
            MigrateStarted => QmpReply.Empty,
            MigrateRefused f => QmpReply.Generic(f.Reason),
            _ => QmpReply.Generic($"unexpected answer {r.GetType().Name}"),
        });
    }

    private static Task<QmpReply> SetParameters(IActorRef vm, QmpArguments args) =>
        VmAsk.Run<IMigrationMessage>(vm, new SetParameters(
            args.GetInt("downtime-limit"), args.GetInt("max-bandwidth"), Percent(args, "multifd-channels"),
            args.GetInt("x-completion-timeout"), Percent(args, "cpu-throttle-initial"), Percent(args, "cpu-throttle-increment"),
            Percent(args, "max-cpu-throttle"), args.GetString("tls-creds"), args.GetString("tls-hostname"),
            CheckpointDelayMs: args.GetInt("x-checkpoint-delay")), SetParametersName, Answer);

    /// <summary>A small int argument; out-of-range values stay out of range (clamped, not wrapped) so validation names them.</summary>
    private static int? Percent(QmpArguments args, string name) => args.GetInt(name) is { } v ? (int)Math.Clamp(v, -1, 100_000) : null;

    private static Task<QmpReply> SetCapabilities(IActorRef vm, JsonElement list)
    {
        var capabilities = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("capability", out var name) || name.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("state", out var state) || state.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return Task.FromResult(QmpReply.Generic("each capability must be {\"capability\": NAME, \"state\": true|false}"));
            capabilities[name.GetString()!] = state.GetBoolean();
        }
        return VmAsk.Run<IMigrationMessage>(vm, new SetCapabilities(capabilities), SetCapabilitiesName, Answer);
    }

    private static QmpReply Answer(IMigrationMessage reply) => reply switch
    {
        ParametersRefused r => QmpReply.Generic(r.Reason),
        _ => QmpReply.Empty,
    };
}

/// <summary>QEMU's JSON shapes for MigrationInfo, MigrationParameters and the capability list.</summary>
public static class MigrationJson
{
    public static JsonObject Info(MigrationInfo info)
    {
        var o = new JsonObject { ["status"] = info.Status.QmpName() };
        if (info.Status == MigrationStatus.None) return o;
        o["total-time"] = info.TotalTimeMs;
        o["setup-time"] = info.SetupTimeMs;
        o["expected-downtime"] = info.ExpectedDowntimeMs;
        if (info.DowntimeMs is { } d) o["downtime"] = d;
        if (info.ThrottlePercent > 0) o["cpu-throttle-percentage"] = info.ThrottlePercent;
        if (info.Ram is { } ram)
            o["ram"] = new JsonObject
            {
                ["transferred"] = ram.Transferred,
                ["remaining"] = ram.Remaining,
                ["total"] = ram.Total,
                ["duplicate"] = ram.Duplicate,
                ["normal"] = ram.Normal,
                ["normal-bytes"] = ram.NormalBytes,
                ["dirty-pages-rate"] = (long)ram.DirtyPagesRate,
                ["mbps"] = Math.Round(ram.Mbps, 3),
                ["dirty-sync-count"] = ram.DirtySyncCount,
                ["page-size"] = ram.PageSize,
            };
        if (info.Checkpoints is { } c) o["x-checkpoints"] = Checkpoints(c);
        if (info.ErrorDesc is { } e) o["error-desc"] = e;
        return o;
    }

    /// <summary>Tern's replication figures (QEMU's COLO has none in query-migrate): pauses in ms, bytes of page data.</summary>
    private static JsonObject Checkpoints(CheckpointInfo c)
    {
        var o = new JsonObject
        {
            ["taken"] = c.Taken,
            ["committed"] = c.Committed,
            ["last-pause"] = Math.Round(c.LastPauseMs, 3),
            ["pause-p50"] = Math.Round(c.P50PauseMs, 3),
            ["pause-p99"] = Math.Round(c.P99PauseMs, 3),
            ["pause-max"] = Math.Round(c.MaxPauseMs, 3),
            ["last-bytes"] = c.LastBytes,
            ["total-bytes"] = c.TotalBytes,
            ["stretched"] = c.Stretched,
        };
        if (c.LastCommittedAt is { } at) o["committed-age"] = (long)(DateTimeOffset.UtcNow - at).TotalMilliseconds;
        if (c.Broken is { } b) o["broken"] = b;
        return o;
    }

    public static JsonObject Parameters(MigrationParameters p) => new()
    {
        ["downtime-limit"] = p.DowntimeLimitMs,
        ["max-bandwidth"] = p.MaxBandwidth,
        ["multifd-channels"] = p.MultifdChannels,
        ["x-completion-timeout"] = p.CompletionTimeoutMs,
        ["cpu-throttle-initial"] = p.ThrottleInitialPercent,
        ["cpu-throttle-increment"] = p.ThrottleIncrementPercent,
        ["max-cpu-throttle"] = p.ThrottleMaxPercent,
        ["tls-creds"] = p.TlsCreds,
        ["tls-hostname"] = p.TlsHostname,
        ["x-checkpoint-delay"] = p.CheckpointDelayMs,
    };

    public static JsonArray Capabilities(MigrationParameters p) =>
    [
        new JsonObject { ["capability"] = "auto-converge", ["state"] = p.AutoConverge },
        new JsonObject { ["capability"] = "multifd", ["state"] = p.Multifd },
        new JsonObject { ["capability"] = "events", ["state"] = p.Events },
        new JsonObject { ["capability"] = "x-ignore-shared", ["state"] = p.IgnoreShared },
        new JsonObject { ["capability"] = "x-colo", ["state"] = p.Colo },
        new JsonObject { ["capability"] = "x-colo-disk-copy", ["state"] = p.ColoDiskCopy },
    ];
}
