using System.Runtime.CompilerServices;

namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>One range of a Ram section's table: data pages or a zero range.</summary>
internal struct RamRange(ulong gpa, ulong length, bool zero)
{
    public ulong Gpa = gpa;
    public ulong Length = length;
    public bool Zero = zero;
    public readonly ulong End => Gpa + Length;
}

/// <summary>
/// The writer's Ram section under construction: pages are added one by one, in order, and join
/// the previous range when they continue it with the same kind (data or zero). Preallocated for
/// the format's limits, so filling and sending a batch allocates nothing.
/// </summary>
internal sealed class RamBatch
{
    public readonly RamRange[] Ranges = new RamRange[MigrationStreamFormat.MaxRamRanges];
    public readonly uint[] PageCrcs = new uint[MigrationStreamFormat.MaxRamDataPages];
    private bool _canExtend;

    public int Count { get; private set; }
    public int DataPages { get; private set; }
    public ulong ZeroPages { get; private set; }

    /// <summary>The next page does not continue the previous one (a new run or region starts).</summary>
    public void Break() => _canExtend = false;

    /// <summary>Adds one page; false when the batch is full and must be sent first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first page: no slow tier-0 code
    public bool TryAdd(ulong gpa, bool zero)
    {
        if (!zero && DataPages == MigrationStreamFormat.MaxRamDataPages) return false;
        if (_canExtend)
        {
            ref var last = ref Ranges[Count - 1];
            if (last.Zero == zero && last.End == gpa)
            {
                last.Length += MigrationStreamFormat.PageSize;
                Count1(zero);
                return true;
            }
        }
        if (Count == MigrationStreamFormat.MaxRamRanges) return false;
        Ranges[Count++] = new RamRange(gpa, MigrationStreamFormat.PageSize, zero);
        _canExtend = true;
        Count1(zero);
        return true;
    }

    private void Count1(bool zero)
    {
        if (zero) ZeroPages++;
        else DataPages++;
    }

    public void Clear()
    {
        Count = 0;
        DataPages = 0;
        ZeroPages = 0;
        _canExtend = false;
    }
}
