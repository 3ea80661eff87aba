using System.Diagnostics;

namespace Tern.TestSupport.Net;

/// <summary>
/// A TAP interface the test creates with `ip tuntap add` (unique name), sets up, keeps quiet (no
/// IPv6 chatter) and deletes on dispose. Tern is then given it as an existing TAP.
/// </summary>
public sealed class TapInterface : IDisposable
{
    private TapInterface(string name) => Name = name;

    public string Name { get; }

    public static TapInterface Create(string? owner = null)
    {
        var tap = new TapInterface($"tt{Guid.NewGuid().ToString("N")[..10]}");
        Ip(["tuntap", "add", tap.Name, "mode", "tap", .. (owner is null ? [] : new[] { "user", owner })]);
        try
        {
            string ipv6 = $"/proc/sys/net/ipv6/conf/{tap.Name}/disable_ipv6";
            if (File.Exists(ipv6)) File.WriteAllText(ipv6, "1");
            Ip(["link", "set", tap.Name, "up"]);
            return tap;
        }
        catch
        {
            tap.Dispose();
            throw;
        }
    }

    public static bool Exists(string name) => Directory.Exists($"/sys/class/net/{name}");

    public int Index => int.Parse(File.ReadAllText($"/sys/class/net/{Name}/ifindex").Trim());

    public void Dispose()
    {
        if (Exists(Name)) Ip(["link", "del", Name]);
    }

    /// <summary>Runs <c>ip ARGS</c>; throws with its error when it fails.</summary>
    public static void Ip(params string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)}: {err.Trim()}");
    }
}
