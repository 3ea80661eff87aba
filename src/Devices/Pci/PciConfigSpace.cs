using System.Buffers.Binary;

namespace Tern.Devices.Pci;

/// <summary>
/// One function's 4 KiB configuration space with per-bit write masks: a bit is read-only,
/// read-write (set in the write mask) or write-1-to-clear (set in the clear mask). The device
/// builds it with the <c>Set*</c> methods; the guest's writes go through <see cref="GuestWrite"/>.
/// Not thread-safe: the PCI root serialises configuration accesses.
/// </summary>
public sealed class PciConfigSpace
{
    public const int Size = 4096;

    private readonly byte[] _data = new byte[Size];
    private readonly byte[] _writeMask = new byte[Size];
    private readonly byte[] _clearMask = new byte[Size];
    private int _lastCapability; // offset of the last capability in the list, 0 when empty
    private int _nextCapability = PciRegisters.FirstCapability;

    /// <summary>Builds a type-0 header with the usual writable registers.</summary>
    public static PciConfigSpace CreateType0(ushort vendorId, ushort deviceId, uint classCode, byte revision,
        ushort subsystemVendorId, ushort subsystemId, byte interruptPin)
    {
        var c = new PciConfigSpace();
        c.SetU16(PciRegisters.VendorId, vendorId);
        c.SetU16(PciRegisters.DeviceId, deviceId);
        c.SetU8(PciRegisters.Revision, revision);
        c.SetU8(PciRegisters.ClassCode, (byte)classCode);
        c.SetU8(PciRegisters.ClassCode + 1, (byte)(classCode >> 8));
        c.SetU8(PciRegisters.ClassCode + 2, (byte)(classCode >> 16));
        c.SetU16(PciRegisters.SubsystemVendorId, subsystemVendorId);
        c.SetU16(PciRegisters.SubsystemId, subsystemId);
        c.SetU8(PciRegisters.InterruptPin, interruptPin);
        c.SetWriteMask16(PciRegisters.Command, PciRegisters.CommandWritable);
        c.SetClearMask16(PciRegisters.Status, PciRegisters.StatusWriteOneToClear);
        c.SetWriteMask8(PciRegisters.CacheLineSize, 0xff);
        c.SetWriteMask8(PciRegisters.LatencyTimer, 0xff);
        c.SetWriteMask8(PciRegisters.InterruptLine, 0xff);
        return c;
    }

    public byte ReadU8(int offset) => _data[offset];
    public ushort ReadU16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(_data.AsSpan(offset));
    public uint ReadU32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(offset));

    /// <summary>Reads any span inside the space; bytes beyond 4 KiB read as all-ones.</summary>
    public void Read(int offset, Span<byte> data)
    {
        data.Fill(0xff);
        if (offset < 0 || offset >= Size) return;
        int n = Math.Min(data.Length, Size - offset);
        _data.AsSpan(offset, n).CopyTo(data);
    }

    /// <summary>Applies a guest write: writable bits take the new value, clear bits written as 1 clear.</summary>
    public void GuestWrite(int offset, ReadOnlySpan<byte> data)
    {
        if (offset < 0) return;
        for (int i = 0; i < data.Length && offset + i < Size; i++)
        {
            int at = offset + i;
            byte value = data[i];
            byte current = _data[at];
            byte kept = (byte)(current & ~_writeMask[at]);
            byte written = (byte)(value & _writeMask[at]);
            byte cleared = (byte)(value & _clearMask[at]);
            _data[at] = (byte)((kept | written) & ~cleared);
        }
    }

    // Device-side setters: they ignore the masks.
    public void SetU8(int offset, byte value) => _data[offset] = value;
    public void SetU16(int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(_data.AsSpan(offset), value);
    public void SetU32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_data.AsSpan(offset), value);
    public void SetBytes(int offset, ReadOnlySpan<byte> value) => value.CopyTo(_data.AsSpan(offset));

    public void SetWriteMask8(int offset, byte mask) => _writeMask[offset] = mask;
    public void SetWriteMask16(int offset, ushort mask) => BinaryPrimitives.WriteUInt16LittleEndian(_writeMask.AsSpan(offset), mask);
    public void SetWriteMask32(int offset, uint mask) => BinaryPrimitives.WriteUInt32LittleEndian(_writeMask.AsSpan(offset), mask);
    public void SetClearMask16(int offset, ushort mask) => BinaryPrimitives.WriteUInt16LittleEndian(_clearMask.AsSpan(offset), mask);

    /// <summary>Sets device-side status bits that the guest sees (e.g. the interrupt status).</summary>
    public void SetStatusBits(ushort bits, bool on)
    {
        ushort status = ReadU16(PciRegisters.Status);
        SetU16(PciRegisters.Status, on ? (ushort)(status | bits) : (ushort)(status & ~bits));
    }

    /// <summary>
    /// Appends a capability (ID, next pointer, then <paramref name="body"/>) to the list, links it
    /// and sets the status bit. <paramref name="bodyWriteMask"/>, when given, has the body's length.
    /// Returns the capability's offset. Throws when the legacy space is full.
    /// </summary>
    public int AddCapability(byte id, ReadOnlySpan<byte> body, ReadOnlySpan<byte> bodyWriteMask = default)
    {
        int length = 2 + body.Length;
        int offset = _nextCapability;
        if (offset + length > PciRegisters.LegacySize)
            throw new InvalidOperationException($"PCI capability 0x{id:x2} does not fit in the configuration space");
        if (!bodyWriteMask.IsEmpty && bodyWriteMask.Length != body.Length)
            throw new ArgumentException("capability write mask length differs from its body", nameof(bodyWriteMask));

        _data[offset] = id;
        _data[offset + 1] = 0;
        body.CopyTo(_data.AsSpan(offset + 2));
        if (!bodyWriteMask.IsEmpty) bodyWriteMask.CopyTo(_writeMask.AsSpan(offset + 2));

        if (_lastCapability == 0) SetU8(PciRegisters.CapabilitiesPointer, (byte)offset);
        else _data[_lastCapability + 1] = (byte)offset;
        _lastCapability = offset;
        _nextCapability = (offset + length + 3) & ~3;
        SetStatusBits(PciRegisters.StatusCapabilityList, true);
        return offset;
    }

    /// <summary>A copy of the raw bytes (for saved state).</summary>
    public byte[] Snapshot() => (byte[])_data.Clone();

    /// <summary>
    /// Restores the guest-writable bits saved by <see cref="Snapshot"/>; read-only bits (identity,
    /// BAR sizes, capability layout) keep what this device built, so a stream cannot forge them.
    /// </summary>
    public void Restore(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"PCI config snapshot has {bytes.Length} bytes, expected {Size}");
        for (int i = 0; i < Size; i++)
        {
            byte guestBits = (byte)(_writeMask[i] | _clearMask[i]);
            _data[i] = (byte)((_data[i] & ~guestBits) | (bytes[i] & guestBits));
        }
    }
}
