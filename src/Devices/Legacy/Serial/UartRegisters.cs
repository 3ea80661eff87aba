namespace Tern.Devices.Legacy.Serial;

/// <summary>The 16550A's register offsets and bits (National Semiconductor PC16550D datasheet).</summary>
internal static class UartRegisters
{
    // Offsets from the base port. DLAB (LCR bit 7) turns 0 and 1 into the divisor latch.
    public const ulong Data = 0;            // read RBR, write THR; DLL with DLAB
    public const ulong InterruptEnable = 1; // IER; DLM with DLAB
    public const ulong InterruptId = 2;     // read IIR, write FCR
    public const ulong LineControl = 3;
    public const ulong ModemControl = 4;
    public const ulong LineStatus = 5;
    public const ulong ModemStatus = 6;
    public const ulong Scratch = 7;

    // IER
    public const byte IerReceivedData = 0x01;
    public const byte IerThrEmpty = 0x02;
    public const byte IerLineStatus = 0x04;
    public const byte IerModemStatus = 0x08;
    public const byte IerMask = 0x0F; // the upper bits probe for XScale/16750 extensions Linux must not find

    // IIR: the pending source with the highest priority, in bits 1-3.
    public const byte IirNone = 0x01;
    public const byte IirModemStatus = 0x00;
    public const byte IirThrEmpty = 0x02;
    public const byte IirReceivedData = 0x04;
    public const byte IirLineStatus = 0x06;
    public const byte IirFifosEnabled = 0xC0; // what makes Linux's autoconfig say "16550A"

    // FCR
    public const byte FcrEnable = 0x01;
    public const byte FcrClearReceive = 0x02;
    public const byte FcrKeptBits = 0xC9; // enable, DMA mode and the receive trigger level

    // LCR
    public const byte LcrDlab = 0x80;

    // MCR
    public const byte McrDtr = 0x01;
    public const byte McrRts = 0x02;
    public const byte McrOut1 = 0x04;
    public const byte McrOut2 = 0x08;
    public const byte McrLoop = 0x10;
    public const byte McrMask = 0x1F;

    // LSR
    public const byte LsrDataReady = 0x01;
    public const byte LsrOverrun = 0x02;
    public const byte LsrThrEmpty = 0x20;
    public const byte LsrTransmitterEmpty = 0x40;

    // MSR: deltas in the low nibble, line states in the high one.
    public const byte MsrDeltaCts = 0x01;
    public const byte MsrDeltaDsr = 0x02;
    public const byte MsrTrailingEdgeRi = 0x04;
    public const byte MsrDeltaDcd = 0x08;
    public const byte MsrDeltaMask = 0x0F;
    public const byte MsrCts = 0x10;
    public const byte MsrDsr = 0x20;
    public const byte MsrRi = 0x40;
    public const byte MsrDcd = 0x80;

    /// <summary>Outside loopback the port looks cabled to a ready terminal.</summary>
    public const byte MsrConnectedLines = MsrDcd | MsrDsr | MsrCts;

    public const ushort DefaultDivisor = 12; // 9600 baud from the 1.8432 MHz clock
    public const byte DefaultLineControl = 0x03; // 8N1
    public const byte DefaultModemControl = McrOut2;
}
