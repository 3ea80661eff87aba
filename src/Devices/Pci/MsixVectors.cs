using System.Buffers.Binary;
using Tern.Devices.Interrupts;

namespace Tern.Devices.Pci;

/// <summary>
/// MSI-X for one function: the capability's enable and function-mask bits, the vector table
/// (address, data, per-vector mask) and the pending-bit array, both of which live in a BAR.
/// A vector raised while masked sets its pending bit and is sent when it is unmasked.
/// Thread-safe: vectors are raised from I/O threads while vCPUs program the table.
/// </summary>
public sealed class MsixVectors
{
    public const int EntrySize = 16;
    private const int MessageControl = 2;     // offset inside the capability
    private const ushort ControlEnable = 0x8000;
    private const ushort ControlFunctionMask = 0x4000;
    private const uint VectorMasked = 1;

    private readonly byte[] _table;
    private readonly ulong[] _pending;
    private readonly IMsiSink _sink;
    private readonly Lock _lock = new();
    private bool _enabled;
    private bool _functionMasked;

    public MsixVectors(int count, IMsiSink sink)
    {
        if (count is < 1 or > 2048) throw new ArgumentOutOfRangeException(nameof(count), "MSI-X supports 1..2048 vectors");
        Count = count;
        _sink = sink;
        _table = new byte[count * EntrySize];
        _pending = new ulong[(count + 63) / 64];
        for (int v = 0; v < count; v++) SetControl(v, VectorMasked); // vectors start masked
    }

    public int Count { get; }

    /// <summary>The capability's offset in configuration space (set by <see cref="AddCapability"/>).</summary>
    public int CapabilityOffset { get; private set; }

    public int TableSize => Count * EntrySize;
    public int PbaSize => _pending.Length * 8;

    public bool Enabled { get { lock (_lock) return _enabled; } }

    /// <summary>Adds the MSI-X capability pointing at the table and PBA inside BAR <paramref name="bar"/>.</summary>
    public void AddCapability(PciConfigSpace config, int bar, uint tableOffset, uint pbaOffset)
    {
        Span<byte> body = stackalloc byte[10];
        BinaryPrimitives.WriteUInt16LittleEndian(body, (ushort)(Count - 1));
        BinaryPrimitives.WriteUInt32LittleEndian(body[2..], tableOffset | (uint)bar);
        BinaryPrimitives.WriteUInt32LittleEndian(body[6..], pbaOffset | (uint)bar);
        Span<byte> mask = stackalloc byte[10];
        BinaryPrimitives.WriteUInt16LittleEndian(mask, ControlEnable | ControlFunctionMask);
        CapabilityOffset = config.AddCapability(PciRegisters.CapabilityIdMsix, body, mask);
    }

    /// <summary>Re-reads the enable and function-mask bits after a configuration write.</summary>
    public void ConfigWritten(PciConfigSpace config, int offset, int length)
    {
        int control = CapabilityOffset + MessageControl;
        if (CapabilityOffset == 0 || offset + length <= control || offset >= control + 2) return;
        ushort value = config.ReadU16(control);
        lock (_lock)
        {
            _enabled = (value & ControlEnable) != 0;
            _functionMasked = (value & ControlFunctionMask) != 0;
            DeliverPending();
        }
    }

    /// <summary>Raises <paramref name="vector"/>: sends it now, or marks it pending while masked.</summary>
    public void Notify(int vector)
    {
        if ((uint)vector >= (uint)Count) return;
        lock (_lock)
        {
            if (!_enabled) return;
            if (_functionMasked || (Control(vector) & VectorMasked) != 0) SetPending(vector, true);
            else Send(vector);
        }
    }

    public bool IsPending(int vector)
    {
        lock (_lock) return (uint)vector < (uint)Count && (_pending[vector / 64] & (1UL << (vector % 64))) != 0;
    }

    public void ReadTable(ulong offset, Span<byte> data)
    {
        data.Clear();
        lock (_lock)
            if (offset < (ulong)_table.Length)
                _table.AsSpan((int)offset, Math.Min(data.Length, _table.Length - (int)offset)).CopyTo(data);
    }

    public void WriteTable(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset >= (ulong)_table.Length) return;
        lock (_lock)
        {
            int n = Math.Min(data.Length, _table.Length - (int)offset);
            data[..n].CopyTo(_table.AsSpan((int)offset));
            int first = (int)offset / EntrySize, last = ((int)offset + n - 1) / EntrySize;
            for (int v = first; v <= last; v++) DeliverIfReady(v);
        }
    }

    /// <summary>The pending-bit array is read-only to the guest.</summary>
    public void ReadPba(ulong offset, Span<byte> data)
    {
        data.Clear();
        lock (_lock)
        {
            Span<byte> bytes = stackalloc byte[PbaSize];
            for (int i = 0; i < _pending.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(bytes[(i * 8)..], _pending[i]);
            if (offset < (ulong)bytes.Length) bytes[(int)offset..][..Math.Min(data.Length, bytes.Length - (int)offset)].CopyTo(data);
        }
    }

    public MsixState Save()
    {
        lock (_lock) return new MsixState(MsixState.CurrentVersion, (byte[])_table.Clone(), (ulong[])_pending.Clone(), _enabled, _functionMasked);
    }

    /// <summary>Restores a saved table; rejects one whose size does not match this function.</summary>
    public void Restore(MsixState state)
    {
        if (state.Version != MsixState.CurrentVersion) throw new DeviceStateException($"MSI-X state version {state.Version} is not supported");
        if (state.Table.Length != _table.Length || state.Pending.Length != _pending.Length)
            throw new DeviceStateException($"MSI-X state has {state.Table.Length / EntrySize} vectors, this function has {Count}");
        lock (_lock)
        {
            state.Table.CopyTo(_table, 0);
            state.Pending.CopyTo(_pending, 0);
            _enabled = state.Enabled;
            _functionMasked = state.FunctionMasked;
        }
    }

    private uint Control(int v) => BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan(v * EntrySize + 12));

    private void SetControl(int v, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_table.AsSpan(v * EntrySize + 12), value);

    private void SetPending(int v, bool on)
    {
        if (on) _pending[v / 64] |= 1UL << (v % 64);
        else _pending[v / 64] &= ~(1UL << (v % 64));
    }

    private void DeliverPending()
    {
        for (int v = 0; v < Count; v++) DeliverIfReady(v);
    }

    private void DeliverIfReady(int v)
    {
        bool pending = (_pending[v / 64] & (1UL << (v % 64))) != 0;
        if (!pending || !_enabled || _functionMasked || (Control(v) & VectorMasked) != 0) return;
        SetPending(v, false);
        Send(v);
    }

    private void Send(int v)
    {
        var entry = _table.AsSpan(v * EntrySize, EntrySize);
        ulong address = BinaryPrimitives.ReadUInt64LittleEndian(entry);
        uint data = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
        _sink.Send(address, data);
    }
}

/// <summary>Saved MSI-X state: the raw table, pending bits and capability control bits.</summary>
public sealed record MsixState(int Version, byte[] Table, ulong[] Pending, bool Enabled, bool FunctionMasked)
{
    public const int CurrentVersion = 1;
}
