using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-netdev tap,id=ID,ifname=NAME[,queues=1][,vhost=off]</c>, as StratoVirt spells it: the TAP
/// named NAME, opened when the VM starts (and created, then removed at exit, if it does not exist).
/// </summary>
internal static class NetdevOption
{
    private const int MaxIfNameLength = 15; // IFNAMSIZ - 1

    public static NetdevConfig Parse(string text)
    {
        var p = OptionProperties.Parse("-netdev", text, positionalKey: "type");
        string type = p.RequireValue("type");
        if (type != "tap") throw new CommandLineException($"unsupported netdev type '{EchoedText.Clip(type)}': only tap");
        string id = DriveOption.Identifier(p.RequireValue("id"), "-netdev id");
        string ifname = p.TakeValue("ifname") ?? throw new CommandLineException($"netdev '{EchoedText.Clip(id)}' is missing 'ifname='");
        if (ifname.Length is 0 or > MaxIfNameLength || ifname.Any(c => c == '/' || char.IsWhiteSpace(c) || char.IsControl(c)) || ifname is "." or "..")
            throw new CommandLineException($"bad ifname '{EchoedText.Clip(ifname)}' for netdev '{EchoedText.Clip(id)}': 1..{MaxIfNameLength} characters, no '/' or spaces");
        p.TakeInt("queues", 1, 1); // one queue pair: multiqueue TAPs are not supported
        if (p.TakeBool("vhost") == true) throw new CommandLineException($"netdev '{EchoedText.Clip(id)}': vhost=on is not supported");
        if (p.TakeValue("fd") is not null || p.TakeValue("fds") is not null)
            throw new CommandLineException($"netdev '{EchoedText.Clip(id)}': fd= is not supported; name the TAP with ifname=");
        p.RejectUnknown();
        return new NetdevConfig(id, ifname);
    }
}
