using System.Diagnostics;
using System.Text.Json.Nodes;
using Tern.Host.Qmp.Client;

namespace Tern.Host.Demo;

/// <summary>
/// `tern demo KERNEL`: StratoVirt's live-migration procedure, narrated. It starts a source VM
/// running the test kernel's soak workload, a destination with the same command line plus
/// `-incoming`, sends `migrate` on the source's QMP socket, prints the progress, and shows the
/// guest's ticks carrying on at the destination with its memory checksum intact.
/// </summary>
public static class MigrationDemo
{
    private const string Append = "mode=soak mib=256 tick_ms=100 check_every=5";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 1 || !File.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: tern demo TEST-KERNEL   (make -C tests/guest builds tests/guest/build/testkernel.elf)");
            return 1;
        }
        string dir = Directory.CreateTempSubdirectory("tern-demo-").FullName;
        var source = StartVm(args[0], dir, "source", null);
        var destination = StartVm(args[0], dir, "destination", $"unix:{Path.Combine(dir, "migrate.sock")}");
        try
        {
            using var src = QmpClient.Open(Path.Combine(dir, "source.qmp"), TimeSpan.FromSeconds(30));
            using var dst = QmpClient.Open(Path.Combine(dir, "destination.qmp"), TimeSpan.FromSeconds(30));
            Say($"source VM pid {source.Id}: {Status(src)}; destination VM pid {destination.Id}: {Status(dst)}");
            await Follow(dir, "source", until: l => l.StartsWith("TICK 5", StringComparison.Ordinal));

            Say($"migrate {{\"uri\":\"unix:{Path.Combine(dir, "migrate.sock")}\"}}");
            src.Run("migrate", new JsonObject { ["uri"] = $"unix:{Path.Combine(dir, "migrate.sock")}" });
            JsonNode info;
            do
            {
                await Task.Delay(100);
                info = src.Run("query-migrate")!;
                var ram = info["ram"];
                Say($"  {info["status"],-9} round {ram?["dirty-sync-count"] ?? 0}  sent {(long?)ram?["transferred"] / 1048576 ?? 0} MiB"
                    + $"  remaining {(long?)ram?["remaining"] / 1048576 ?? 0} MiB  {ram?["mbps"] ?? 0} Mbit/s  expected downtime {info["expected-downtime"] ?? 0} ms");
            }
            while ((string?)info["status"] is "setup" or "active");

            Say($"migration {info["status"]}: total {info["total-time"]} ms, downtime {info["downtime"]} ms{(info["error-desc"] is { } e ? $", error: {e}" : "")}");
            Say($"source is now '{Status(src)}', destination '{Status(dst)}'; the guest continues at the destination:");
            await Follow(dir, "destination", until: l => l.StartsWith("SOAK check", StringComparison.Ordinal));
            src.Run("quit");
            dst.Run("quit");
            return (string?)info["status"] == "completed" ? 0 : 1;
        }
        finally
        {
            foreach (var p in new[] { source, destination })
                if (!p.WaitForExit(5000)) p.Kill();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Process StartVm(string kernel, string dir, string name, string? incoming)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        foreach (var a in new[] { "-machine", "q35", "-kernel", kernel, "-append", Append, "-m", "512M", "-smp", "2",
                     "-serial", $"file:{Path.Combine(dir, name + ".log")}", "-qmp", $"unix:{Path.Combine(dir, name + ".qmp")},server,nowait" })
            info.ArgumentList.Add(a);
        if (incoming is not null)
        {
            info.ArgumentList.Add("-incoming");
            info.ArgumentList.Add(incoming);
        }
        return Process.Start(info)!;
    }

    private static string Status(QmpClient qmp) => (string?)qmp.Run("query-status")!["status"] ?? "?";

    /// <summary>Prints a VM's console lines as they appear until one matches (or 60 s pass).</summary>
    private static async Task Follow(string dir, string name, Func<string, bool> until)
    {
        string path = Path.Combine(dir, name + ".log");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        int shown = 0;
        while (DateTime.UtcNow < deadline)
        {
            var lines = File.Exists(path) ? File.ReadAllLines(path) : [];
            foreach (var line in lines.Skip(shown).Take(Math.Max(0, lines.Length - shown - 1)))
            {
                Console.WriteLine($"  [{name} guest] {line}");
                shown++;
                if (until(line)) return;
            }
            await Task.Delay(50);
        }
    }

    private static void Say(string text) => Console.WriteLine($"tern demo: {text}");
}
