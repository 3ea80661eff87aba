using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;
using Tern.Host.Api;

namespace Tern.Host.Ctl;

/// <summary>
/// Follows a cluster migration (GET /v1/vms/NAME/migration) until it ends, drawing a progress
/// line on stderr: round, share sent, remaining, throughput, expected downtime. Ctrl-C asks the
/// cluster to cancel it and keeps following until the source confirms how it ended.
/// </summary>
internal static class MigrationFollower
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private const int BarWidth = 24;

    /// <summary>The final report and its JSON text.</summary>
    public static async Task<(MigrationReport Report, string Json)> UntilEndAsync(ControlClient client, string name, CancellationToken interrupt)
    {
        bool cancelSent = false;
        bool drawn = false;
        while (true)
        {
            if (interrupt.IsCancellationRequested && !cancelSent)
            {
                cancelSent = true;
                try
                {
                    await client.PostAsync(ApiRoutes.CancelMigration(name));
                }
                catch (ControlApiException e) when (e.Status == 409)
                {
                    // Already past its end: the next report says how it ended.
                }
            }
            string json;
            try
            {
                json = await client.GetAsync(ApiRoutes.Migration(name));
            }
            catch (ControlApiException e) when (e.Passing)
            {
                await Task.Delay(Interval); // the manager is moving: ask again
                continue;
            }
            var report = ControlClient.Read<MigrationReport>(json);
            Draw(report, ref drawn);
            if (report.Ended)
            {
                if (drawn && !Console.IsErrorRedirected) Console.Error.WriteLine();
                return (report, json);
            }
            await Task.Delay(Interval);
        }
    }

    private static void Draw(MigrationReport r, ref bool drawn)
    {
        if (Console.IsErrorRedirected) return; // a script reads the final result, not the bar
        double done = r.TotalBytes == 0 ? 0 : Math.Clamp(1 - (double)r.RemainingBytes / r.TotalBytes, 0, 1);
        int filled = (int)Math.Round(done * BarWidth);
        string bar = new string('#', filled) + new string('.', BarWidth - filled);
        Console.Error.Write($"\r{CtlText.Printable(r.Name)} {CtlText.Printable(r.From)} -> {CtlText.Printable(r.To)} [{bar}] {done,4:P0}  {CtlText.Printable(r.Status),-9} round {r.Round}  " +
                            $"remaining {r.RemainingBytes >> 20} MiB  {r.Mbps:F0} Mbit/s  expected downtime {r.ExpectedDowntimeMs} ms   ");
        drawn = true;
    }

    /// <summary>One line for the end of a migration: how long it took and the guest's pause.</summary>
    public static string Summary(MigrationReport r) => r.From == r.To
        ? CtlText.Printable($"vm {r.Name} moved into a new VMM process on {r.To}") + $" in {r.TotalTimeMs} ms (guest paused {r.DowntimeMs ?? 0} ms, {CtlUnits.Size(r.TransferredBytes)} sent)"
        : CtlText.Printable($"vm {r.Name} migrated {r.From} -> {r.To}") + $" in {r.TotalTimeMs} ms (guest paused {r.DowntimeMs ?? 0} ms)";
}
