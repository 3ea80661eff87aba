using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary><c>-machine [type=]q35[,dump-guest-core=on|off][,mem-share=on|off][,accel=kvm][,usb=off]</c>.</summary>
internal static class MachineOption
{
    public static (string Type, MachineOptions Options) Parse(string text)
    {
        var properties = OptionProperties.Parse("-machine", text, positionalKey: "type");
        string type = properties.RequireValue("type").ToLowerInvariant();
        if (type != "q35") throw new CommandLineException($"unsupported machine type '{EchoedText.Clip(type)}': only q35 is supported");

        bool dumpGuestCore = properties.TakeBool("dump-guest-core") ?? properties.TakeBool("dump_guest_core") ?? true;
        bool memShare = properties.TakeBool("mem-share") ?? false;
        if (properties.TakeValue("accel") is { } accel && accel != "kvm")
            throw new CommandLineException($"unsupported accelerator '{EchoedText.Clip(accel)}': only kvm is supported");
        // StratoVirt keeps "usb" for libvirt and accepts only "off".
        if (properties.TakeValue("usb") is { } usb && usb != "off")
            throw new CommandLineException($"unsupported -machine usb={usb}: only off is supported");
        properties.RejectUnknown();
        return (type, new MachineOptions(dumpGuestCore, memShare));
    }
}
