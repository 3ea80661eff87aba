using Tern.Devices.Bus;
using Tern.Kvm.Arch;
using static Tern.Devices.Legacy.Rtc.CmosRegisters;

namespace Tern.Devices.Legacy.Rtc;

/// <summary>
/// The MC146818 real-time clock and its 128 bytes of CMOS RAM, at ports 0x70 (index, write-only;
/// bit 7, NMI disable, is ignored) and 0x71 (data).
/// <para>
/// The clock is the host's UTC clock plus a guest offset, computed at every read in the format
/// register B selects. Guest writes to the clock are kept as that offset: while B.SET is on the
/// clock registers are plain RAM the guest fills in, and clearing SET turns them into the new
/// offset (an invalid date leaves the clock as it was); a clock register written without SET
/// moves the clock the same way at once. Since the offset is relative to UTC, a migrated guest
/// keeps its time on another host with a synchronised clock.
/// </para>
/// <para>
/// Register A shows update-in-progress during the last 244 µs of each second, as the chip
/// does, so a loop waiting for UIP to fall waits no longer than that and one waiting for it to
/// rise still sees it. No interrupts: the alarm, periodic and update interrupts are not wired
/// (register C reads 0), and register D always reports valid RAM and time.
/// </para>
/// </summary>
public sealed class Cmos : IBusDevice
{
    public const ushort BasePort = 0x70;
    public const int PortCount = 2;
    /// <summary>The century register's index, for the FADT's CENTURY field.</summary>
    public const byte CenturyRegister = Century;

    private const ulong IndexPort = 0;
    private const ulong DataPort = 1;
    private static readonly long UpdateInProgressTicks = TimeSpan.FromMicroseconds(244).Ticks;

    private readonly Lock _lock = new();
    private readonly TimeProvider _clock;
    private readonly byte[] _ram = new byte[Size];
    private byte _index;
    private long _guestOffsetTicks;

    /// <param name="lowRamBytes">RAM from 0 up to the 32-bit hole.</param>
    /// <param name="highRamBytes">RAM from 4 GiB up.</param>
    /// <param name="clock">The host clock (tests pass a fake); <see cref="TimeProvider.System"/> when null.</param>
    public Cmos(ulong lowRamBytes, ulong highRamBytes, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lowRamBytes, MemoryLayout.FourGiB);
        _clock = clock ?? TimeProvider.System;
        _ram[A] = ADefault;
        _ram[B] = BDefault;
        _ram[D] = DValidRamAndTime;
        CmosMemorySizes.Write(_ram, lowRamBytes, highRamBytes);
    }

    /// <summary>A CMOS for <paramref name="ramBytes"/> of RAM split as <see cref="MemoryLayout"/> splits it.</summary>
    public static Cmos ForRamSize(ulong ramBytes, TimeProvider? clock = null) =>
        new(MemoryLayout.LowRamSize(ramBytes), MemoryLayout.HighRamSize(ramBytes), clock);

    private bool Halted => (_ram[B] & BSet) != 0;

    public void Read(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
                data[i] = offset + (ulong)i == DataPort ? ReadRegister(_index) : (byte)0xFF;
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        // A 16-bit write to 0x70 sets the index and then writes the data byte, as on the ISA bus.
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                ulong port = offset + (ulong)i;
                if (port == IndexPort) _index = (byte)(data[i] & IndexMask);
                else if (port == DataPort) WriteRegister(_index, data[i]);
            }
        }
    }

    private byte ReadRegister(int index)
    {
        if (IsTimeRegister(index))
            return Halted ? _ram[index] : RtcCalendar.Encode(index, GuestNow(), _ram[B]);
        switch (index)
        {
            case A:
                return (byte)(_ram[A] | (UpdateInProgress() ? AUpdateInProgress : 0));
            case C:
                byte flags = _ram[C];
                _ram[C] = 0; // reading C acknowledges its flags
                return flags;
            default:
                return _ram[index];
        }
    }

    private void WriteRegister(int index, byte value)
    {
        if (IsTimeRegister(index))
        {
            if (!Halted) SnapshotClock();
            _ram[index] = value;
            if (!Halted) CommitClock();
            return;
        }
        switch (index)
        {
            case A:
                _ram[A] = (byte)(value & ~AUpdateInProgress);
                break;
            case B:
                bool wasHalted = Halted;
                _ram[B] = value;
                if (Halted) _ram[B] &= unchecked((byte)~BUpdateInterruptEnable); // SET clears UIE on the chip
                if (!wasHalted && Halted) SnapshotClock();
                if (wasHalted && !Halted) CommitClock();
                break;
            case C:
            case D:
                break; // read-only
            default:
                _ram[index] = value;
                break;
        }
    }

    /// <summary>Freezes the running clock into the clock registers, in the current format.</summary>
    private void SnapshotClock()
    {
        var now = GuestNow();
        foreach (byte register in TimeRegisters)
            _ram[register] = RtcCalendar.Encode(register, now, _ram[B]);
    }

    /// <summary>Makes the clock registers the new guest time, if they hold a valid one.</summary>
    private void CommitClock()
    {
        if (RtcCalendar.TryDecode(_ram, _ram[B], out var time))
            _guestOffsetTicks = time.Ticks - HostTicks();
    }

    private long HostTicks() => _clock.GetUtcNow().UtcTicks;

    private long GuestTicks() =>
        Math.Clamp(HostTicks() + _guestOffsetTicks, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks);

    private DateTime GuestNow() => new(GuestTicks(), DateTimeKind.Utc);

    private bool UpdateInProgress() =>
        !Halted && GuestTicks() % TimeSpan.TicksPerSecond >= TimeSpan.TicksPerSecond - UpdateInProgressTicks;

    public CmosState Save()
    {
        lock (_lock) return new CmosState(CmosState.CurrentVersion, _index, (byte[])_ram.Clone(), _guestOffsetTicks);
    }

    /// <exception cref="DeviceStateException">The state is not one this device could have saved.</exception>
    public static Cmos Restore(CmosState state, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Validate();
        var cmos = new Cmos(0, 0, clock)
        {
            _index = state.Index,
            _guestOffsetTicks = state.GuestClockOffsetTicks,
        };
        state.Ram.CopyTo(cmos._ram, 0);
        return cmos;
    }
}
