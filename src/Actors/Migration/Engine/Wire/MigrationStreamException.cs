namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// The migration stream (or its back channel) broke its format, failed a checksum, ended early or
/// could not be read; the message says what and with which value. The migration cannot go on.
/// <see cref="LinkLost"/> tells the connection failing or closing (the peer or the link died) from
/// bytes that arrived wrong: a standby takes over after the first, never after the second.
/// </summary>
public sealed class MigrationStreamException(string message, Exception? inner = null, bool linkLost = false) : Exception(message, inner)
{
    public bool LinkLost { get; } = linkLost;
}
