namespace Tern.Devices.Legacy.Keyboard;

/// <summary>The 8042 controller's status bits, configuration byte, output port and commands.</summary>
internal static class I8042Registers
{
    // Status register, read at port 0x64.
    public const byte StatusOutputFull = 0x01;
    public const byte StatusSystemFlag = 0x04;
    public const byte StatusLastWriteWasCommand = 0x08;
    public const byte StatusNotInhibited = 0x10;

    // Controller configuration byte (the "command byte"), internal RAM byte 0.
    public const byte CtrKeyboardInterrupt = 0x01;
    public const byte CtrSystemFlag = 0x04;
    public const byte CtrKeyboardDisabled = 0x10;
    public const byte CtrAuxDisabled = 0x20;
    public const byte CtrTranslate = 0x40;
    /// <summary>What a BIOS leaves behind: keyboard interrupt on, POST passed, no mouse, set-1 translation.</summary>
    public const byte DefaultCtr = CtrKeyboardInterrupt | CtrSystemFlag | CtrAuxDisabled | CtrTranslate;

    public const int RamSize = 32;

    // Output port P2 (commands 0xD0/0xD1).
    public const byte OutputPortReset = 0x01; // active low: 0 resets the CPU
    public const byte OutputPortA20 = 0x02;
    public const byte OutputPortKeyboardFull = 0x10;
    public const byte OutputPortAuxFull = 0x20;
    public const byte DefaultOutputPort = 0xC0 | OutputPortA20 | OutputPortReset; // keyboard clock/data idle high

    // Controller commands, written to port 0x64.
    public const byte ReadRamFirst = 0x20;  // 0x20 reads the configuration byte
    public const byte ReadRamLast = 0x3F;
    public const byte WriteRamFirst = 0x60; // 0x60 writes the configuration byte
    public const byte WriteRamLast = 0x7F;
    public const byte DisableAux = 0xA7;
    public const byte EnableAux = 0xA8;
    public const byte TestAux = 0xA9;
    public const byte SelfTest = 0xAA;
    public const byte TestKeyboard = 0xAB;
    public const byte DisableKeyboard = 0xAD;
    public const byte EnableKeyboard = 0xAE;
    public const byte ReadOutputPort = 0xD0;
    public const byte WriteOutputPort = 0xD1;
    public const byte WriteKeyboardOutput = 0xD2;
    public const byte WriteAuxOutput = 0xD3; // Linux's AUX loop-back test
    public const byte WriteAux = 0xD4;
    public const byte DisableA20 = 0xDD;
    public const byte EnableA20 = 0xDF;
    public const byte PulseOutputFirst = 0xF0; // 0xF0-0xFF pulse the output port bits whose command bit is 0

    // Controller replies.
    public const byte SelfTestPassed = 0x55;
    public const byte InterfaceTestPassed = 0x00;
    public const byte AuxClockStuckLow = 0x01;

    public static bool ExpectsData(byte command) =>
        command is (>= WriteRamFirst and <= WriteRamLast) or WriteOutputPort or WriteKeyboardOutput or WriteAuxOutput or WriteAux;
}
