namespace Tern.Host.Ctl;

/// <summary>Sizes and times as <c>tern ctl</c> prints them for people (scripts read the API's exact figures with <c>--json</c>).</summary>
public static class CtlUnits
{
    /// <summary>KiB below a MiB, else MiB, with at most one decimal.</summary>
    public static string Size(ulong bytes) => bytes < 1 << 20 ? $"{bytes / 1024.0:0.#} KiB" : $"{bytes / (1024.0 * 1024):0.#} MiB";

    /// <summary>Whole milliseconds below a second, else seconds with at most one decimal.</summary>
    public static string Age(double ms) => ms < 1000 ? $"{ms:0} ms" : $"{ms / 1000:0.#} s";
}
