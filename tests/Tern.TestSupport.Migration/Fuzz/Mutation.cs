namespace Tern.TestSupport.Migration.Fuzz;

/// <summary>How a mutated stream may end.</summary>
public enum MutationClass
{
    /// <summary>
    /// Bytes damaged as a bad link would (flips, overwrites, insertions, deletions, truncation):
    /// checksums no longer match what they cover. It must be refused, unless the damage fell where
    /// it cannot matter (a page sent again later, bytes after the commit), in which case the
    /// guest must arrive exactly as from the undamaged stream.
    /// </summary>
    Damage,

    /// <summary>
    /// Fields rewritten and their checksums recomputed, or whole sections dropped, repeated,
    /// reordered or invented, as a buggy or hostile source could send them. It may be accepted when
    /// what it says is valid; otherwise it must be refused like damage.
    /// </summary>
    Reseal,
}

/// <summary>A mutated copy of a recorded stream and what was done to it, for the failure message.</summary>
public sealed record Mutation(byte[] Bytes, string What, MutationClass Class);
