namespace Tern.Host.Qmp;

/// <summary>
/// The migration commands, reserved with their argument schemas (QEMU's names and types) until
/// the migration actors exist. A reserved command validates its arguments, then answers
/// GenericError "'NAME' is not available yet". To make one work, call
/// <c>table.Implement("migrate", handler)</c> (optionally with a new schema) before the server starts.
/// </summary>
public static class MigrationCommandNames
{
    public const string Migrate = "migrate";
    public const string MigrateCancel = "migrate_cancel";
    public const string QueryMigrate = "query-migrate";
    public const string SetParameters = "migrate-set-parameters";
    public const string QueryParameters = "query-migrate-parameters";
    public const string SetCapabilities = "migrate-set-capabilities";
    public const string QueryCapabilities = "query-migrate-capabilities";
    public const string MigrateIncoming = "migrate-incoming";

    public static void ReserveIn(QmpCommandTable table)
    {
        table.Reserve(Migrate,
            QmpArgument.Mandatory("uri", QmpArgType.String),
            QmpArgument.Optional("blk", QmpArgType.Bool),
            QmpArgument.Optional("inc", QmpArgType.Bool),
            QmpArgument.Optional("detach", QmpArgType.Bool),
            QmpArgument.Optional("resume", QmpArgType.Bool));
        table.Reserve(MigrateCancel);
        table.Reserve(QueryMigrate);
        table.Reserve(SetParameters,
            QmpArgument.Optional("downtime-limit", QmpArgType.Int),
            QmpArgument.Optional("max-bandwidth", QmpArgType.Int),
            QmpArgument.Optional("multifd-channels", QmpArgType.Int),
            QmpArgument.Optional("cpu-throttle-initial", QmpArgType.Int),
            QmpArgument.Optional("cpu-throttle-increment", QmpArgType.Int),
            QmpArgument.Optional("max-cpu-throttle", QmpArgType.Int),
            QmpArgument.Optional("tls-creds", QmpArgType.String),
            QmpArgument.Optional("tls-hostname", QmpArgType.String));
        table.Reserve(QueryParameters);
        table.Reserve(SetCapabilities, QmpArgument.Mandatory("capabilities", QmpArgType.Array));
        table.Reserve(QueryCapabilities);
        table.Reserve(MigrateIncoming, QmpArgument.Mandatory("uri", QmpArgType.String));
    }
}
