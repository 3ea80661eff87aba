using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-device virtio-blk-pci,id=ID,drive=ID,bus=pcie.0,addr=SLOT[.FN][,multifunction=on|off]
/// [,serial=S][,num-queues=N][,queue-size=N][,bootindex=N]</c>, and <c>-device virtio-net-pci,...</c>
/// (<see cref="NetDeviceOption"/>).
/// </summary>
internal static class DeviceOption
{
    public const string RootBus = "pcie.0";
    private const int MaxSerialLength = 20;   // the virtio-blk ID string is 20 bytes
    private const int MaxQueues = 32;

    /// <summary>A <see cref="BlockDeviceConfig"/> or a <see cref="NetDeviceConfig"/>, as the driver name says.</summary>
    public static object Parse(string text)
    {
        var p = OptionProperties.Parse("-device", text, positionalKey: "driver");
        string driver = p.RequireValue("driver");
        if (driver is not ("virtio-blk-pci" or "virtio-net-pci"))
            throw new CommandLineException($"unsupported device '{EchoedText.Clip(driver)}' (virtio-blk-pci or virtio-net-pci)");

        string id = DriveOption.Identifier(p.RequireValue("id"), "-device id");
        var slot = ParseSlot(p, id);
        return driver == "virtio-net-pci" ? NetDeviceOption.Parse(p, id, slot) : ParseBlock(p, id, slot);
    }

    /// <summary>Where a device sits: <c>bus=</c>, <c>addr=</c> and <c>multifunction=</c>, common to every kind.</summary>
    internal sealed record DeviceSlot(string Bus, PciAddress Address, bool Multifunction);

    private static DeviceSlot ParseSlot(OptionProperties p, string id)
    {
        string bus = p.TakeValue("bus") ?? throw new CommandLineException($"device '{EchoedText.Clip(id)}' is missing 'bus='");
        if (bus != RootBus) throw new CommandLineException($"unsupported bus '{EchoedText.Clip(bus)}' for device '{EchoedText.Clip(id)}': only {RootBus}");
        string addr = p.TakeValue("addr") ?? throw new CommandLineException($"device '{EchoedText.Clip(id)}' is missing 'addr='");
        return new DeviceSlot(bus, ParseAddress(addr, id), p.TakeBool("multifunction") ?? false);
    }

    private static BlockDeviceConfig ParseBlock(OptionProperties p, string id, DeviceSlot slot)
    {
        string drive = p.TakeValue("drive") ?? throw new CommandLineException($"device '{EchoedText.Clip(id)}' is missing 'drive='");
        string? serial = p.TakeValue("serial");
        if (serial is { Length: > MaxSerialLength })
            throw new CommandLineException($"serial '{EchoedText.Clip(serial)}' of device '{EchoedText.Clip(id)}' is longer than {MaxSerialLength} characters");
        int? queues = p.TakeInt("num-queues", 1, MaxQueues);
        int? queueSize = p.TakeInt("queue-size", 4, 1024);
        if (queueSize is { } size && (size & (size - 1)) != 0)
            throw new CommandLineException($"queue-size {size} of device '{EchoedText.Clip(id)}' is not a power of two");
        int? bootIndex = p.TakeInt("bootindex", 0, 255);
        if (p.TakeValue("iothread") is { } iothread)
            throw new CommandLineException($"device '{EchoedText.Clip(id)}': iothread '{EchoedText.Clip(iothread)}' is not supported");
        p.RejectUnknown();

        return new BlockDeviceConfig(id, drive, slot.Bus, slot.Address, serial)
        {
            Multifunction = slot.Multifunction,
            NumQueues = queues,
            QueueSize = queueSize,
            BootIndex = bootIndex,
        };
    }

    /// <summary><c>SLOT[.FUNCTION]</c>, each decimal or 0x hex; slot 0..31, function 0..7.</summary>
    public static PciAddress ParseAddress(string text, string deviceId)
    {
        var parts = text.Split('.');
        if (parts.Length > 2 || !NumberText.TryParse(parts[0], out ulong slot)
            || (parts.Length == 2 && !NumberText.TryParse(parts[1], out _)))
            throw new CommandLineException($"bad addr '{EchoedText.Clip(text)}' for device '{EchoedText.Clip(deviceId)}': expected SLOT or SLOT.FUNCTION");
        ulong function = 0;
        if (parts.Length == 2) NumberText.TryParse(parts[1], out function);
        if (slot > 31) throw new CommandLineException($"addr '{EchoedText.Clip(text)}' of device '{EchoedText.Clip(deviceId)}': slot {slot} is above 31");
        if (function > 7) throw new CommandLineException($"addr '{EchoedText.Clip(text)}' of device '{EchoedText.Clip(deviceId)}': function {function} is above 7");
        return new PciAddress((byte)slot, (byte)function);
    }
}
