using System.CommandLine;
using System.Globalization;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Host.Ctl;

/// <summary>
/// <c>--standby HOST</c> and <c>--epoch DURATION</c> of <c>tern ctl protect</c> and <c>create
/// --protect</c>: the protection they ask for. The epoch is milliseconds, bare or with <c>ms</c>, or
/// whole seconds with <c>s</c>; ctl checks its range as the API and the manager do, so a typo fails
/// before anything is sent.
/// </summary>
public static class ProtectionOptions
{
    public static Option<string?> Standby() => new("--standby") { HelpName = "HOST", Description = "the standby's host (default: the manager chooses one, never the VM's own)" };

    public static Option<string?> Epoch() => new("--epoch")
    {
        HelpName = "DURATION",
        Description = $"checkpoint interval: 50ms, 50 (ms) or 1s ({ProtectionRequest.DefaultEpochMs}ms by default, {ProtectionRequest.MinEpochMs}ms to {ProtectionRequest.MaxEpochMs / 1000}s)",
    };

    public static ProtectionRequest Request(string? standby, string? epoch) =>
        new(standby, epoch is null ? ProtectionRequest.DefaultEpochMs : EpochMs(epoch));

    /// <summary><c>create</c>'s protection: none without <c>--protect</c>, and then <c>--standby</c> or <c>--epoch</c> would be ignored, so they are refused.</summary>
    public static ProtectionRequest? ForCreate(bool protect, string? standby, string? epoch)
    {
        if (protect) return Request(standby, epoch);
        string? stray = (standby, epoch) switch
        {
            (null, null) => null,
            (_, null) => "--standby needs",
            (null, _) => "--epoch needs",
            _ => "--standby and --epoch need",
        };
        return stray is null ? null : throw new CtlUsageException($"{stray} --protect");
    }

    public static int EpochMs(string text)
    {
        (string number, int unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1)
            : text.EndsWith('s') ? (text[..^1], 1000)
            : (text, 1);
        if (number.Length == 0 || !number.All(char.IsAsciiDigit)
            || !int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count > int.MaxValue / unit)
            throw Bad(text, "expected a duration such as 50ms, 50 (ms) or 1s");
        int ms = count * unit;
        return new ProtectionRequest(EpochMs: ms).Problem() is { } problem ? throw Bad(text, problem) : ms;
    }

    private static CtlUsageException Bad(string text, string why) => new($"--epoch '{text}': {why}");
}
