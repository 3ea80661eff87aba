using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-device virtio-net-pci,id=ID,netdev=ID,bus=pcie.0,addr=SLOT[.FN][,mac=MAC][,multifunction=on|off]</c>.
/// Without mac= the NIC gets a random locally administered 52:54:00:xx:xx:xx address; a VM that is
/// to migrate needs the same mac= on both sides (the destination compares them).
/// </summary>
internal static class NetDeviceOption
{
    public static NetDeviceConfig Parse(OptionProperties p, string id, DeviceOption.DeviceSlot slot)
    {
        string netdev = p.TakeValue("netdev") ?? throw new CommandLineException($"device '{EchoedText.Clip(id)}' is missing 'netdev='");
        var mac = p.TakeValue("mac") is { } text ? ParseMac(text, id) : MacAddress.Generate();
        p.RejectUnknown();
        return new NetDeviceConfig(id, netdev, slot.Bus, slot.Address, mac) { Multifunction = slot.Multifunction };
    }

    private static MacAddress ParseMac(string text, string id) =>
        MacAddress.TryParse(text, out var why) ?? throw new CommandLineException($"bad mac '{EchoedText.Clip(text)}' for device '{EchoedText.Clip(id)}': {why}");
}
