using System.Text.Json.Nodes;

namespace Tern.Host.Qmp;

/// <summary>
/// The version a QMP client sees in the greeting and in query-version. Like StratoVirt, Tern
/// answers under the "qemu" key with QEMU 5.0.1 so QEMU-style clients (and their version checks)
/// accept it; <see cref="Package"/> says what it really is.
/// </summary>
public sealed record QmpVersion(int Major, int Minor, int Micro, string Package)
{
    public static QmpVersion Tern { get; } = new(5, 0, 1, $"Tern-{Standalone.VersionText.Version}");

    /// <summary><c>{"qemu":{"micro":M,"minor":N,"major":J},"package":P}</c>, in the greeting's member order.</summary>
    public JsonObject ToJson() => new()
    {
        ["qemu"] = new JsonObject { ["micro"] = Micro, ["minor"] = Minor, ["major"] = Major },
        ["package"] = Package,
    };
}
