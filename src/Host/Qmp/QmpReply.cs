using System.Text.Json.Nodes;

namespace Tern.Host.Qmp;

/// <summary>The error classes QMP clients match on (QEMU's names).</summary>
public enum QmpErrorClass { GenericError, CommandNotFound }

/// <summary>What a command handler answers: a return value or an error.</summary>
public abstract record QmpReply
{
    /// <summary><c>{"return": Value}</c>; a null value is written as <c>{}</c>, QEMU's "nothing to say".</summary>
    public sealed record Return(JsonNode? Value) : QmpReply;

    /// <summary><c>{"error":{"class":Class,"desc":Description}}</c>.</summary>
    public sealed record Error(QmpErrorClass Class, string Description) : QmpReply;

    public static QmpReply Empty { get; } = new Return(null);

    public static QmpReply Generic(string description) => new Error(QmpErrorClass.GenericError, description);
}
