using Tern.Devices.Bus;
using Tern.Devices.Interrupts;
using static Tern.Devices.Legacy.Acpi.AcpiPmRegisters;

namespace Tern.Devices.Legacy.Acpi;

/// <summary>
/// The ACPI power-management I/O block of an ICH9-like chipset, inserted as one device over
/// <see cref="AcpiPmLayout.Length"/> ports at <see cref="AcpiPmLayout.BasePort"/>: PM1 event
/// (status W1C, enable), PM1 control, the PM timer and a GPE0 block (status W1C, enable).
/// <para>
/// Every access, 8, 16 or 32 bits wide at any offset, is applied byte by byte inside one lock
/// with one timer sample, so wide reads of the timer never tear and W1C applies per bit written.
/// </para>
/// <para>
/// The SCI (a level line, IRQ 9) is asserted while an enabled PM1 event (power button, timer
/// carry) or GPE is pending, and drops when the guest clears the status bits. Writing SLP_EN
/// with SLP_TYP = <see cref="AcpiPmLayout.SoftOffSleepType"/> calls <c>onPowerOff</c> (on the
/// writing vCPU's thread, outside the lock); other sleep states are ignored. TMR_STS is set
/// when the timer's bit 23 flips, noticed at the next access to the block since no thread
/// watches the timer; nothing raises a GPE yet.
/// </para>
/// </summary>
public sealed class AcpiPm : IBusDevice
{
    private readonly Lock _lock = new();
    private readonly ILevelInterruptLine _sci;
    private readonly Action _onPowerOff;
    private readonly PmTimer _timer;
    private readonly byte[] _gpeStatus = new byte[Gpe0HalfLength];
    private readonly byte[] _gpeEnable = new byte[Gpe0HalfLength];
    private ushort _status;
    private ushort _enable;
    private ushort _control;
    private ulong _timerFlipsSeen;
    private bool _sciAsserted;

    /// <param name="sci">The SCI, a level-triggered line (GSI 9).</param>
    /// <param name="onPowerOff">Called when the guest enters S5.</param>
    /// <param name="clock">The monotonic clock behind the PM timer; <see cref="TimeProvider.System"/> when null.</param>
    public AcpiPm(ILevelInterruptLine sci, Action onPowerOff, TimeProvider? clock = null)
        : this(sci, onPowerOff, clock ?? TimeProvider.System, timerTicks: 0)
    {
    }

    private AcpiPm(ILevelInterruptLine sci, Action onPowerOff, TimeProvider clock, ulong timerTicks)
    {
        ArgumentNullException.ThrowIfNull(sci);
        ArgumentNullException.ThrowIfNull(onPowerOff);
        _sci = sci;
        _onPowerOff = onPowerOff;
        _timer = new PmTimer(clock, timerTicks);
        _timerFlipsSeen = timerTicks >> TimerMsbShift;
    }

    /// <summary>The host pressed the power button (QMP system_powerdown): PWRBTN_STS, and the SCI if enabled.</summary>
    public void PressPowerButton()
    {
        lock (_lock)
        {
            NoteTimerFlips(_timer.Ticks());
            _status |= PowerButton;
            UpdateSci();
        }
    }

    public void Read(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            ulong ticks = _timer.Ticks();
            NoteTimerFlips(ticks);
            uint counter = (uint)ticks & TimerCounterMask;
            for (int i = 0; i < data.Length; i++)
                data[i] = ReadByte(offset + (ulong)i, counter);
            UpdateSci();
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        bool powerOff;
        lock (_lock)
        {
            NoteTimerFlips(_timer.Ticks());
            bool sleepRequested = false;
            for (int i = 0; i < data.Length; i++)
                sleepRequested |= WriteByte(offset + (ulong)i, data[i]);
            int sleepType = (_control & SleepTypeMask) >> SleepTypeShift;
            powerOff = sleepRequested && sleepType == AcpiPmLayout.SoftOffSleepType;
            UpdateSci();
        }
        if (powerOff) _onPowerOff();
    }

    private byte ReadByte(ulong offset, uint timerCounter) => offset switch
    {
        Pm1Status or Pm1Status + 1 => ByteOf(_status, offset - Pm1Status),
        Pm1Enable or Pm1Enable + 1 => ByteOf(_enable, offset - Pm1Enable),
        Pm1Control or Pm1Control + 1 => ByteOf((ushort)(_control | SciEnable), offset - Pm1Control),
        >= TimerCounter and < TimerCounter + AcpiPmLayout.PmTimerLength => (byte)(timerCounter >> Shift(offset - TimerCounter)),
        >= Gpe0Status and < Gpe0Enable => _gpeStatus[offset - Gpe0Status],
        >= Gpe0Enable and < Gpe0Enable + Gpe0HalfLength => _gpeEnable[offset - Gpe0Enable],
        _ => 0,
    };

    /// <summary>Applies one byte; true when it set SLP_EN.</summary>
    private bool WriteByte(ulong offset, byte value)
    {
        switch (offset)
        {
            case Pm1Status or Pm1Status + 1:
                _status &= (ushort)~(value << Shift(offset - Pm1Status));
                return false;
            case Pm1Enable or Pm1Enable + 1:
                _enable = (ushort)(WithByte(_enable, offset - Pm1Enable, value) & EnableMask);
                return false;
            case Pm1Control or Pm1Control + 1:
                ushort written = WithByte(0, offset - Pm1Control, value);
                _control = (ushort)(WithByte(_control, offset - Pm1Control, value) & ControlStoredMask);
                return (written & SleepEnable) != 0;
            case >= Gpe0Status and < Gpe0Enable:
                _gpeStatus[offset - Gpe0Status] &= (byte)~value;
                return false;
            case >= Gpe0Enable and < Gpe0Enable + Gpe0HalfLength:
                _gpeEnable[offset - Gpe0Enable] = value;
                return false;
            default:
                return false; // the timer is read-only; the rest of the block is unimplemented
        }
    }

    private static int Shift(ulong byteIndex) => (int)byteIndex * 8;

    private static byte ByteOf(ushort register, ulong byteIndex) => (byte)(register >> Shift(byteIndex));

    private static ushort WithByte(ushort register, ulong byteIndex, byte value)
    {
        int shift = Shift(byteIndex);
        return (ushort)((register & ~(0xFF << shift)) | (value << shift));
    }

    /// <summary>Sets TMR_STS if the timer's top bit flipped since the block last looked.</summary>
    private void NoteTimerFlips(ulong ticks)
    {
        ulong flips = ticks >> TimerMsbShift;
        if (flips == _timerFlipsSeen) return;
        _timerFlipsSeen = flips;
        _status |= TimerCarry;
    }

    private bool SciCondition()
    {
        if ((_status & _enable & SciEvents) != 0) return true;
        for (int i = 0; i < Gpe0HalfLength; i++)
            if ((_gpeStatus[i] & _gpeEnable[i]) != 0) return true;
        return false;
    }

    /// <summary>Drives the SCI to the current condition; called under the lock so levels never arrive out of order.</summary>
    private void UpdateSci()
    {
        bool level = SciCondition();
        if (level == _sciAsserted) return;
        _sciAsserted = level;
        _sci.SetLevel(level);
    }

    public AcpiPmState Save()
    {
        lock (_lock)
        {
            ulong ticks = _timer.Ticks();
            NoteTimerFlips(ticks);
            UpdateSci();
            return new AcpiPmState(
                AcpiPmState.CurrentVersion, _status, _enable, _control,
                (byte[])_gpeStatus.Clone(), (byte[])_gpeEnable.Clone(), ticks);
        }
    }

    /// <summary>
    /// Rebuilds the block from a saved state; the PM timer carries on from the saved count. The
    /// SCI is driven to the restored condition at once.
    /// </summary>
    /// <exception cref="DeviceStateException">The state is not one this block could have saved.</exception>
    public static AcpiPm Restore(AcpiPmState state, ILevelInterruptLine sci, Action onPowerOff, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Validate();
        var pm = new AcpiPm(sci, onPowerOff, clock ?? TimeProvider.System, state.TimerTicks)
        {
            _status = state.Pm1Status,
            _enable = state.Pm1Enable,
            _control = state.Pm1Control,
        };
        state.Gpe0Status.CopyTo(pm._gpeStatus, 0);
        state.Gpe0Enable.CopyTo(pm._gpeEnable, 0);
        pm._sciAsserted = pm.SciCondition();
        sci.SetLevel(pm._sciAsserted);
        return pm;
    }
}
