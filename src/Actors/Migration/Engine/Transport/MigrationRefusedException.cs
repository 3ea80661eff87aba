namespace Tern.Actors.Migration.Engine.Transport;

/// <summary>A migration that cannot start (bad URI, nothing listening, a configuration that cannot migrate).</summary>
public sealed class MigrationRefusedException(string message) : Exception(message);
