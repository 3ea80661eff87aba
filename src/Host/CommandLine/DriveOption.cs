using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-drive file=PATH,id=ID[,readonly=on|off][,direct=on|off][,format=raw][,if=none]
/// [,throttling.iops-total=N][,aio=native|io_uring|off]</c>. StratoVirt's defaults: read-write,
/// direct=on. The file must exist, be readable, and be writable unless readonly=on. The iops
/// limit and aio mode are checked as StratoVirt checks them and kept in the config (query-block
/// shows the iops), but nothing enforces or uses them: I/O is synchronous on the I/O thread.
/// </summary>
internal static class DriveOption
{
    public const int MaxIdLength = 255;
    private const int MaxPathLength = 4096;
    private const ulong MaxIops = 1_000_000;

    public static DriveConfig Parse(string text)
    {
        var p = OptionProperties.Parse("-drive", text);
        string id = Identifier(p.RequireValue("id"), "-drive id");
        string path = p.RequireValue("file");
        if (path.Length > MaxPathLength) throw new CommandLineException($"drive '{id}' file path is longer than {MaxPathLength}");
        bool readOnly = p.TakeBool("readonly") ?? false;
        bool direct = p.TakeBool("direct") ?? true;
        if (p.TakeValue("format") is { } format && format != "raw")
            throw new CommandLineException($"unsupported drive format '{format}' for drive '{id}': only raw");
        if (p.TakeValue("if") is { } iface && iface != "none")
            throw new CommandLineException($"unsupported drive interface '{iface}' for drive '{id}': only if=none");
        ulong? iops = p.TakeNumber("throttling.iops-total", 1, MaxIops);
        DriveAio? aio = p.TakeValue("aio") switch
        {
            null => null,
            "off" => DriveAio.Off,
            "native" => DriveAio.Native,
            "io_uring" => DriveAio.IoUring,
            var other => throw new CommandLineException($"bad aio '{other}' for drive '{id}': expected native, io_uring or off"),
        };
        if (aio == DriveAio.Native && !direct)
            throw new CommandLineException($"drive '{id}': aio=native needs direct=on");
        p.RejectUnknown();

        PathChecks.RequireDriveFile(path, id, writable: !readOnly);
        return new DriveConfig(id, path, readOnly, direct) { IopsTotal = iops, Aio = aio };
    }

    public static string Identifier(string id, string what)
    {
        if (id.Length == 0) throw new CommandLineException($"{what} is empty");
        if (id.Length > MaxIdLength) throw new CommandLineException($"{what} '{id[..16]}...' is longer than {MaxIdLength}");
        return id;
    }
}
