namespace Tern.Host.Qmp;

/// <summary>Runs one command whose arguments already passed its schema.</summary>
public delegate Task<QmpReply> QmpHandler(QmpArguments arguments, CancellationToken cancel);

/// <summary>A command name, its argument schema, and its handler (null while the name is only reserved).</summary>
public sealed record QmpCommand(string Name, IReadOnlyList<QmpArgument> Arguments, QmpHandler? Handler)
{
    public bool Available => Handler is not null;
}

/// <summary>
/// The one place that maps QMP command names to handlers and argument schemas. A name can be
/// reserved with its schema before it has a handler: requests are validated against the schema
/// and then answered with a GenericError saying the command is reserved but not implemented, until
/// <see cref="Implement"/> gives it a handler. Build the table before the server starts; it is
/// read-only while clients are served.
/// </summary>
public sealed class QmpCommandTable
{
    private readonly Dictionary<string, QmpCommand> _commands = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Adds a command that works now.</summary>
    public QmpCommandTable Add(string name, QmpHandler handler, params QmpArgument[] arguments) =>
        Put(new QmpCommand(name, arguments, handler));

    /// <summary>Reserves a name and its schema for a command that comes later.</summary>
    public QmpCommandTable Reserve(string name, params QmpArgument[] arguments) =>
        Put(new QmpCommand(name, arguments, null));

    /// <summary>Gives a reserved command its handler, keeping its schema (or replacing it when <paramref name="arguments"/> is given).</summary>
    public QmpCommandTable Implement(string name, QmpHandler handler, params QmpArgument[]? arguments)
    {
        if (!_commands.TryGetValue(name, out var reserved))
            throw new ArgumentException($"QMP command '{name}' was never reserved", nameof(name));
        _commands[name] = reserved with
        {
            Handler = handler,
            Arguments = arguments is { Length: > 0 } ? arguments : reserved.Arguments,
        };
        return this;
    }

    public bool TryGet(string name, out QmpCommand command) => _commands.TryGetValue(name, out command!);

    /// <summary>The commands a client can run, in the order they were added (what query-commands lists).</summary>
    public IEnumerable<string> AvailableNames => _order.Where(n => _commands[n].Available);

    /// <summary>Every name, reserved ones too.</summary>
    public IReadOnlyList<string> AllNames => _order;

    private QmpCommandTable Put(QmpCommand command)
    {
        if (!_commands.TryAdd(command.Name, command))
            throw new ArgumentException($"QMP command '{command.Name}' is already in the table", nameof(command));
        _order.Add(command.Name);
        return this;
    }
}
