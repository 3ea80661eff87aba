using System.Net;
using System.Net.Sockets;
using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>IP:PORT</c> where IP is a dotted IPv4 address or a bracketed IPv6 one (<c>[::1]:4446</c>).
/// Host names are refused: a migration or QMP endpoint names an interface, not a lookup.
/// </summary>
public static class HostPort
{
    /// <summary>Parses <paramref name="text"/>; the host comes back without brackets. Messages name <paramref name="context"/>.</summary>
    public static (string Host, int Port) Parse(string text, string context)
    {
        string host, port;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0) throw Bad(text, context);
            host = text[1..close];
            port = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
                throw new CommandLineException($"bad IPv6 address '{EchoedText.Clip(host)}' in {context}");
        }
        else
        {
            var parts = text.Split(':');
            if (parts.Length != 2) throw Bad(text, context);
            (host, port) = (parts[0], parts[1]);
            if (!IsDottedIPv4(host)) throw new CommandLineException($"bad IPv4 address '{EchoedText.Clip(host)}' in {context}");
        }
        if (port.Length is 0 or > 5 || !port.All(char.IsAsciiDigit) || int.Parse(port) is 0 or > 65535)
            throw new CommandLineException($"bad port '{EchoedText.Clip(port)}' in {context}: expected 1..65535");
        return (host, int.Parse(port));
    }

    private static bool IsDottedIPv4(string text)
    {
        var octets = text.Split('.');
        return octets.Length == 4 && octets.All(octet =>
            octet.Length is >= 1 and <= 3 && octet.All(char.IsAsciiDigit) && int.Parse(octet) <= 255);
    }

    private static CommandLineException Bad(string text, string context) =>
        new($"bad address '{EchoedText.Clip(text)}' in {context}: expected IPv4:PORT or [IPv6]:PORT");
}
