using System.Security.Cryptography;
using Tern.Actors.Migration.Engine;
using Tern.Devices.Board;
using Tern.Kvm.Memory;

namespace Tern.Actors.Tests.Migration.Fuzz;

/// <summary>What the undamaged stream leaves on the destination: the guest's fate, its RAM (hashed) and the restored states.</summary>
public sealed record FuzzReference(GuestAfterMigration Guest, byte[] MemoryHash, IReadOnlyList<ComponentState> States)
{
    public static byte[] HashMemory(GuestMemory memory)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var r in memory.Regions) sha.AppendData(memory.ReadSpan(r.Start, (int)r.Size));
        return sha.GetHashAndReset();
    }

    /// <summary>Null when the destination holds exactly this; otherwise what differs.</summary>
    public string? Difference(GuestAfterMigration guest, GuestMemory memory, IReadOnlyList<ComponentState>? states)
    {
        if (guest != Guest) return $"the guest {guest} instead of {Guest}";
        if (!HashMemory(memory).AsSpan().SequenceEqual(MemoryHash)) return "guest memory differs";
        if (states is null || states.Count != States.Count) return $"{states?.Count} states restored instead of {States.Count}";
        for (int i = 0; i < states.Count; i++)
            if (states[i].Id != States[i].Id || states[i].Version != States[i].Version || !states[i].Data.AsSpan().SequenceEqual(States[i].Data))
                return $"state '{states[i].Id}' differs";
        return null;
    }
}
