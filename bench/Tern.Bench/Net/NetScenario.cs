namespace Tern.Bench.Net;

public enum NetDirection { GuestToTap, TapToGuest }

/// <summary>One traffic pattern: which way, how many frames, how long each (Ethernet header included).</summary>
public sealed record NetScenario(NetDirection Direction, int FrameBytes, int Frames)
{
    public string Name => $"{(Direction == NetDirection.GuestToTap ? "guest → TAP" : "TAP → guest")}, {FrameBytes} B";

    /// <summary>The test kernel's command line (tests/guest/README.md, mode=net).</summary>
    public string Append => Direction == NetDirection.GuestToTap
        ? $"mode=net net=tx frames={Frames} size={FrameBytes} then=halt"
        : $"mode=net net=rx frames={Frames} then=halt";

    public static IReadOnlyList<NetScenario> All { get; } =
    [
        new(NetDirection.GuestToTap, 60, 200_000),
        new(NetDirection.GuestToTap, 1514, 100_000),
        new(NetDirection.TapToGuest, 60, 200_000),
        new(NetDirection.TapToGuest, 1514, 100_000),
    ];
}

/// <summary>
/// One measured run. <see cref="Pps"/> is frames per second as the guest timed them (TSC, first to last);
/// <see cref="Delivered"/> the share of the frames sent that arrived at the other end.
/// <see cref="HostSendPps"/> (TAP → guest only) is how fast the host's sender put them on the TAP.
/// </summary>
public sealed record NetSample(string Contender, NetScenario Scenario, int Round, double Pps, double Delivered, double HostSendPps, string? Failure)
{
    public bool Succeeded => Failure is null;
    public double MegabytesPerSecond => Pps * Scenario.FrameBytes / 1e6;
}
