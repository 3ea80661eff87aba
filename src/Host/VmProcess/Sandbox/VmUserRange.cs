using System.Globalization;
using Akka.Configuration;

namespace Tern.Host.VmProcess.Sandbox;

/// <summary>
/// The users VM processes run as when the node runs as root: <see cref="Count"/> uids from
/// <see cref="Base"/>, the same number as gid. Incarnations are numbered cluster-wide, so two VM
/// processes share a user only if their incarnations lie a multiple of <see cref="Count"/> apart
/// and both still run; the range must be free of other users (a range the host's /etc/subuid
/// would hand out is the usual choice), and each cluster on a machine needs its own.
/// </summary>
public sealed record VmUserRange(uint Base, uint Count)
{
    /// <summary>
    /// The first uid of <c>vm-uid-base = auto</c>: inside the block systemd sets aside for the users
    /// of containers (524288-1879048191), far above what /etc/subuid hands out from 100000.
    /// </summary>
    public const uint AutoBase = 1_800_000_000;

    /// <summary>Chosen by <c>auto</c>, not by the operator: a node that is not root leaves it off without a word.</summary>
    public bool Automatic { get; init; }

    /// <summary>The uid (and gid) of the VM process of incarnation <paramref name="incarnation"/>.</summary>
    public uint For(long incarnation) => Base + (uint)(incarnation % Count);

    public static VmUserRange From(string baseText, string countText)
    {
        bool automatic = baseText == "auto";
        uint first = automatic ? AutoBase : Number("vm-uid-base", baseText);
        uint count = Number("vm-uid-count", countText);
        // Never root, never the overflow ids (65534, 4294967295 is (uid_t)-1, which setresuid reads as "unchanged").
        if (first == 0 || count == 0 || (ulong)first + count > uint.MaxValue || (first <= 65534 && 65534 < (ulong)first + count))
            throw new ConfigurationException($"tern.host.vm-uid-base {first} and vm-uid-count {count} must give uids in 1..4294967294 that leave out 65534 (nobody)");
        return new VmUserRange(first, count) { Automatic = automatic };
    }

    private static uint Number(string key, string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint v)
            ? v
            : throw new ConfigurationException($"tern.host.{key} must be {(key == "vm-uid-base" ? "'auto', 'off' or " : "")}a number, not '{text}'");
}
