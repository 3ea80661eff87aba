namespace Tern.Devices.Board;

/// <summary>One component's saved state as it travels in a migration stream: id, format version, bytes.</summary>
public sealed record ComponentState(string Id, uint Version, byte[] Data);
