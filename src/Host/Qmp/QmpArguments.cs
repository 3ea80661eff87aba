using System.Text.Json;
using Tern.Devices.Config;

namespace Tern.Host.Qmp;

/// <summary>The JSON type an argument must have.</summary>
public enum QmpArgType { String, Int, Bool, Number, Object, Array, Any }

/// <summary>One entry of a command's argument schema.</summary>
public sealed record QmpArgument(string Name, QmpArgType Type, bool Required = false)
{
    public static QmpArgument Optional(string name, QmpArgType type) => new(name, type);

    public static QmpArgument Mandatory(string name, QmpArgType type) => new(name, type, Required: true);
}

/// <summary>
/// A request's "arguments" after they passed the command's schema: every member is known, has
/// the declared type, and every required one is present, so handlers read them without checks.
/// </summary>
public sealed class QmpArguments
{
    private readonly JsonElement? _object;

    private QmpArguments(JsonElement? obj) => _object = obj;

    public static QmpArguments None { get; } = new(null);

    public bool Has(string name) => Find(name) is not null;

    public string? GetString(string name) => Find(name)?.GetString();

    public long? GetInt(string name) => Find(name)?.GetInt64();

    public bool? GetBool(string name) => Find(name)?.GetBoolean();

    public double? GetNumber(string name) => Find(name)?.GetDouble();

    /// <summary>Any argument as its JSON element (objects, arrays, <see cref="QmpArgType.Any"/>).</summary>
    public JsonElement? Get(string name) => Find(name);

    private JsonElement? Find(string name) =>
        _object is { } o && o.TryGetProperty(name, out var value) ? value : null;

    /// <summary>
    /// Checks <paramref name="arguments"/> (an object, or null when the request had none) against
    /// <paramref name="schema"/>; returns the validated arguments or a one-line error naming the culprit.
    /// </summary>
    public static (QmpArguments? Arguments, string? Error) Validate(string command, JsonElement? arguments, IReadOnlyList<QmpArgument> schema)
    {
        if (arguments is { } args)
        {
            foreach (var member in args.EnumerateObject())
            {
                var spec = schema.FirstOrDefault(a => a.Name == member.Name);
                if (spec is null)
                    return (null, $"'{EchoedText.Clip(command)}' has no argument '{EchoedText.Clip(member.Name)}'");
                if (!Matches(member.Value, spec.Type))
                    return (null, $"argument '{spec.Name}' of '{command}' must be {Describe(spec.Type)}, not {QmpText.KindOf(member.Value)}");
            }
        }
        foreach (var spec in schema.Where(a => a.Required))
        {
            if (arguments is not { } present || !present.TryGetProperty(spec.Name, out _))
                return (null, $"'{command}' needs argument '{spec.Name}' ({Describe(spec.Type)})");
        }
        return (arguments is { } a ? new QmpArguments(a) : None, null);
    }

    private static bool Matches(JsonElement value, QmpArgType type) => type switch
    {
        QmpArgType.String => value.ValueKind == JsonValueKind.String,
        QmpArgType.Int => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        QmpArgType.Bool => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        QmpArgType.Number => value.ValueKind == JsonValueKind.Number,
        QmpArgType.Object => value.ValueKind == JsonValueKind.Object,
        QmpArgType.Array => value.ValueKind == JsonValueKind.Array,
        _ => true,
    };

    private static string Describe(QmpArgType type) => type switch
    {
        QmpArgType.String => "a string",
        QmpArgType.Int => "an integer",
        QmpArgType.Bool => "a boolean",
        QmpArgType.Number => "a number",
        QmpArgType.Object => "an object",
        QmpArgType.Array => "an array",
        _ => "a value",
    };
}
