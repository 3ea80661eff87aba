namespace Tern.Devices.Board;

/// <summary>One guest write to drive <paramref name="DriveId"/>: <paramref name="Data"/> (a multiple of 512 bytes) at byte <paramref name="Offset"/>.</summary>
public sealed record DiskWrite(string DriveId, long Offset, byte[] Data);
