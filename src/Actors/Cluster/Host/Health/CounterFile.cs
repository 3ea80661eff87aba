using System.Globalization;
using Tern.Devices.Config;

namespace Tern.Actors.Cluster.Host.Health;

/// <summary>Reads one sysfs error counter: decimal (EDAC's ce_count) or hexadecimal with 0x (SCSI's ioerr_cnt).</summary>
internal static class CounterFile
{
    /// <summary>
    /// The counter in <paramref name="path"/>; null when it cannot be had this time. A file that is
    /// not there is no news unless it was read before (<paramref name="wasThere"/>): then it has
    /// disappeared, said once, as is a file that holds garbage or cannot be read.
    /// </summary>
    public static ulong? Read(string path, bool wasThere, OnceWarnings warnings)
    {
        // Most disks (virtio, NVMe) keep no counter, and are asked every few seconds: look before reading.
        if (!File.Exists(path)) return Missing(path, wasThere, warnings);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Missing(path, wasThere, warnings); // gone between the look and the read
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warnings.Warn(path, "unreadable", $"host health: {path} cannot be read ({e.Message}); its counter is ignored");
            return null;
        }
        if (Parse(text) is { } value) return value;
        warnings.Warn(path, "garbage", $"host health: {path} holds '{EchoedText.Clip(text.Trim())}', not a counter; ignored");
        return null;
    }

    private static ulong? Missing(string path, bool wasThere, OnceWarnings warnings)
    {
        if (wasThere) warnings.Warn(path, "gone", $"host health: {path} has disappeared; its counter is ignored");
        return null;
    }

    public static ulong? Parse(string text)
    {
        string t = text.Trim();
        bool hex = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        return ulong.TryParse(hex ? t[2..] : t, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : null;
    }
}
