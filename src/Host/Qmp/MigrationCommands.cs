using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Tern.Actors.Migration;
using Tern.Host.CommandLine;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Host.Qmp;

/// <summary>
/// migrate, migrate_cancel, query-migrate and the parameter/capability commands: arguments are
/// checked here, the work is a message to the VmActor (which runs the migration in a child actor).
/// </summary>
public static class MigrationCommands
{
    public static void ImplementIn(QmpCommandTable table, IActorRef vm)
    {
        table.Implement(MigrationCommandNames.Migrate, (args, _) => Migrate(vm, args.GetString("uri")!));
        table.Implement(MigrationCommandNames.MigrateIncoming, (args, _) => Migrate(vm, args.GetString("uri")!, incoming: true));
        table.Implement(MigrationCommandNames.MigrateCancel, (_, _) =>
            VmAsk.Run<IMigrationMessage>(vm, new MigrateCancel(), "migrate_cancel", r => r switch
            {
                CancelRefused c => QmpReply.Generic(c.Reason),
                _ => QmpReply.Empty,
            }));
        table.Implement(MigrationCommandNames.QueryMigrate, (_, _) =>
            VmAsk.Run<MigrationInfo>(vm, new QueryMigrate(), "query-migrate", info => new QmpReply.Return(MigrationJson.Info(info))));
        table.Implement(MigrationCommandNames.QueryParameters, (_, _) =>
            VmAsk.Run<ParametersReply>(vm, new QueryParameters(), "query-migrate-parameters", p => new QmpReply.Return(MigrationJson.Parameters(p.Parameters))));
        table.Implement(MigrationCommandNames.QueryCapabilities, (_, _) =>
            VmAsk.Run<ParametersReply>(vm, new QueryParameters(), "query-migrate-capabilities", p => new QmpReply.Return(MigrationJson.Capabilities(p.Parameters))));
        table.Implement(MigrationCommandNames.SetParameters, (args, _) => SetParameters(vm, args),
            QmpArgument.Optional("downtime-limit", QmpArgType.Int),
            QmpArgument.Optional("max-bandwidth", QmpArgType.Int),
            QmpArgument.Optional("multifd-channels", QmpArgType.Int),
            QmpArgument.Optional("x-completion-timeout", QmpArgType.Int),
            QmpArgument.Optional("cpu-throttle-initial", QmpArgType.Int),
            QmpArgument.Optional("cpu-throttle-increment", QmpArgType.Int),
            QmpArgument.Optional("max-cpu-throttle", QmpArgType.Int),
            QmpArgument.Optional("tls-creds", QmpArgType.String),
            QmpArgument.Optional("tls-hostname", QmpArgType.String));
        table.Implement(MigrationCommandNames.SetCapabilities, (args, _) => SetCapabilities(vm, args.Get("capabilities")!.Value));
    }

    /// <summary>migrate, or with <paramref name="incoming"/> migrate-incoming (the destination's side, after -incoming defer).</summary>
    private static Task<QmpReply> Migrate(IActorRef vm, string uri, bool incoming = false)
    {
        string command = incoming ? MigrationCommandNames.MigrateIncoming : MigrationCommandNames.Migrate;
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
            Percent(args, "max-cpu-throttle"), args.GetString("tls-creds"), args.GetString("tls-hostname")), "migrate-set-parameters", Answer);

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
        return VmAsk.Run<IMigrationMessage>(vm, new SetCapabilities(capabilities), "migrate-set-capabilities", Answer);
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
        if (info.ErrorDesc is { } e) o["error-desc"] = e;
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
    };

    public static JsonArray Capabilities(MigrationParameters p) =>
    [
        new JsonObject { ["capability"] = "auto-converge", ["state"] = p.AutoConverge },
        new JsonObject { ["capability"] = "multifd", ["state"] = p.Multifd },
        new JsonObject { ["capability"] = "events", ["state"] = p.Events },
    ];
}
