using System.Text.Json.Nodes;
using Tern.Devices.Config;

namespace Tern.Host.Qmp;

/// <summary>query-block's reply in QEMU's shape, from the VM's drives and the devices using them.</summary>
public static class BlockQuery
{
    /// <summary>
    /// One entry per <c>-drive</c>: <c>{"device":ID,"qdev":PATH?,"locked":false,"removable":false,
    /// "inserted":{"file","ro","drv":"raw",...},"type":"unknown"}</c>. "qdev" names the
    /// virtio-blk-pci device the drive is attached to, as QEMU's QOM path; a drive no device uses has none.
    /// </summary>
    public static JsonArray Build(VmConfig config, Func<string, long?>? fileSize = null)
    {
        fileSize ??= SizeOf;
        var list = new JsonArray();
        foreach (var drive in config.Drives)
        {
            var entry = new JsonObject { ["device"] = drive.Id };
            var device = config.BlockDevices.FirstOrDefault(d => d.DriveId == drive.Id);
            if (device is not null) entry["qdev"] = $"/machine/peripheral/{device.Id}/virtio-backend";
            entry["locked"] = false;
            entry["removable"] = false;
            entry["inserted"] = Inserted(drive, fileSize(drive.Path));
            entry["type"] = "unknown";
            list.Add(entry);
        }
        return list;
    }

    private static JsonObject Inserted(DriveConfig drive, long? size)
    {
        var inserted = new JsonObject
        {
            ["file"] = drive.Path,
            ["ro"] = drive.ReadOnly,
            ["drv"] = "raw",
            ["encrypted"] = false,
            ["backing_file_depth"] = 0,
            ["detect_zeroes"] = "off",
            ["bps"] = 0,
            ["bps_rd"] = 0,
            ["bps_wr"] = 0,
            ["iops"] = (long)(drive.IopsTotal ?? 0),
            ["iops_rd"] = 0,
            ["iops_wr"] = 0,
            ["write_threshold"] = 0,
            ["cache"] = new JsonObject { ["writeback"] = true, ["direct"] = drive.Direct, ["no-flush"] = false },
        };
        if (size is { } bytes)
            inserted["image"] = new JsonObject { ["filename"] = drive.Path, ["format"] = "raw", ["virtual-size"] = bytes };
        return inserted;
    }

    private static long? SizeOf(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? info.Length : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
