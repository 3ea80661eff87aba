using System.Globalization;
using Tern.Actors.Cluster.Protocol;
using Tern.Kvm.Net;

namespace Tern.Actors.Cluster.Host;

/// <summary>
/// The TAPs of one node's VM instances: <c>t</c>, six hex digits of the node's tag (a digest of
/// its VM process directory, as its abstract sockets carry), the NIC's index and the incarnation
/// in base 36 — at most 15 characters, so every NIC of every instance on the host has its own,
/// two nodes on one machine never share one, and an instance moving into a new process here (an
/// upgrade, a new incarnation) gets new ones beside the old. The node makes them before the VM's
/// process starts (<see cref="PersistentTap"/>: persistent, owned by the user the process
/// becomes, up, a port of the NIC's bridge), removes them when the instance ends, and at start
/// removes those of its own names that no running VM process holds (as it does cgroups).
/// </summary>
internal sealed class VmTaps(string nodeTag)
{
    private const string Digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    /// <summary>Base-36 digits the incarnation may take: 15 - "t" - tag - index.</summary>
    private const int IncarnationDigits = 7;
    private static readonly long IncarnationSpan = (long)Math.Pow(36, IncarnationDigits);

    private readonly string _prefix = "t" + nodeTag[..6];

    /// <summary>The TAP of NIC <paramref name="nic"/> of instance <paramref name="incarnation"/>.</summary>
    public string Name(long incarnation, int nic)
    {
        // Beyond 36^7 (7.8e10) incarnations the names wrap: two instances 36^7 apart never share a host's lifetime.
        long n = incarnation % IncarnationSpan;
        var digits = new Stack<char>();
        do
        {
            digits.Push(Digits[(int)(n % 36)]);
            n /= 36;
        } while (n > 0);
        return $"{_prefix}{nic.ToString(CultureInfo.InvariantCulture)}{new string([.. digits])}";
    }

    public IReadOnlyList<string> For(VmDefinition vm, long incarnation) =>
        (vm.Nics ?? []).Select((_, i) => Name(incarnation, i)).ToArray();

    /// <summary>The incarnation a TAP of this node is for; null for any other name.</summary>
    public long? IncarnationOf(string name)
    {
        if (name.Length <= _prefix.Length + 1 || name.Length > _prefix.Length + 1 + IncarnationDigits
            || !name.StartsWith(_prefix, StringComparison.Ordinal) || name[_prefix.Length] is < '0' or >= (char)('0' + VmDefinitionMachine.MaxNics))
            return null;
        long n = 0;
        foreach (char c in name[(_prefix.Length + 1)..])
        {
            int d = Digits.IndexOf(c);
            if (d < 0) return null;
            n = n * 36 + d;
        }
        return n;
    }

    /// <summary>
    /// Makes the TAPs of instance <paramref name="incarnation"/> of <paramref name="vm"/>, owned by
    /// <paramref name="owner"/>; null when done, else why not (and none is left). A bridge this host
    /// lacks is named as such, with the host.
    /// </summary>
    public string? Create(VmDefinition vm, long incarnation, uint? owner, string host)
    {
        var nics = vm.Nics ?? [];
        var missing = nics.Select(n => n.Bridge).Distinct().FirstOrDefault(b => !PersistentTap.Exists(b));
        if (missing is not null) return $"bridge {missing} does not exist on host {host}";
        try
        {
            for (int i = 0; i < nics.Count; i++) PersistentTap.Create(Name(incarnation, i), nics[i].Bridge, owner);
            return null;
        }
        catch (TapException e)
        {
            Delete(incarnation);
            return $"nic on host {host}: {e.Message}";
        }
    }

    /// <summary>
    /// Sets the TAPs of instance <paramref name="incarnation"/> up or down; null when done, else why
    /// not. A standby's are down: frames its paused guest cannot take would wait in them and reach it,
    /// stale, when it takes over (the primary had answered them already).
    /// </summary>
    public string? SetLinks(VmDefinition vm, long incarnation, bool up)
    {
        try
        {
            for (int i = 0; i < (vm.Nics ?? []).Count; i++) PersistentTap.SetLink(Name(incarnation, i), up);
            return null;
        }
        catch (TapException e)
        {
            return e.Message;
        }
    }

    /// <summary>Removes every TAP instance <paramref name="incarnation"/> may have; the names of those that would not go, with why.</summary>
    public IReadOnlyList<string> Delete(long incarnation)
    {
        var failed = new List<string>();
        for (int i = 0; i < VmDefinitionMachine.MaxNics; i++)
        {
            try
            {
                PersistentTap.Delete(Name(incarnation, i));
            }
            catch (TapException e)
            {
                failed.Add(e.Message);
            }
        }
        return failed;
    }

    /// <summary>Removes this node's TAPs of incarnations not in <paramref name="keep"/>; returns what it removed and what would not go.</summary>
    public (IReadOnlyList<string> Removed, IReadOnlyList<string> Failed) Sweep(IReadOnlySet<long> keep)
    {
        var (removed, failed) = (new List<string>(), new List<string>());
        foreach (string name in PersistentTap.Interfaces())
        {
            if (IncarnationOf(name) is not { } incarnation || keep.Contains(incarnation)) continue;
            try
            {
                if (PersistentTap.Delete(name)) removed.Add(name);
            }
            catch (TapException e)
            {
                failed.Add(e.Message);
            }
        }
        return (removed, failed);
    }
}
