namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// The migration stream (or its back channel) broke its format, failed a checksum, ended early or
/// could not be read; the message says what and with which value. The migration cannot go on.
/// </summary>
public sealed class MigrationStreamException(string message, Exception? inner = null) : Exception(message, inner);
