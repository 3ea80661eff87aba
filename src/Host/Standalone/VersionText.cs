using System.Reflection;

namespace Tern.Host.Standalone;

/// <summary>What `tern -version` prints.</summary>
public static class VersionText
{
    public static string Version { get; } =
        typeof(VersionText).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";

    public static string Line => $"Tern version {Version} (StratoVirt-compatible KVM VMM)";
}
