namespace Tern.Devices.Config;

/// <summary>A peer's migration fingerprint could not be read: too large, malformed JSON, or a missing or unknown field.</summary>
public sealed class MigrationFingerprintException(string message, Exception? inner = null) : Exception(message, inner);
