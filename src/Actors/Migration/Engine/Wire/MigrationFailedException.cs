namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>The migration stopped for a reason the protocol or policy gave (not a broken connection).</summary>
public sealed class MigrationFailedException(string message) : Exception(message);
