using Akka.Actor;
using Tern.Actors.Cluster.Protocol;
using Tern.Samples.MigrateWithClusterClient;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;

// Connects to a running Tern cluster from outside it, lists its VMs, live-migrates one and
// prints the migration's progress until it ends. Exit codes: 0 completed; 1 refused, failed or
// canceled; 2 bad arguments; 3 the cluster did not answer.
var options = SampleOptions.Parse(args, out string error);
if (options is null)
{
    Console.Error.WriteLine($"MigrateWithClusterClient: {error}");
    Console.Error.WriteLine(SampleOptions.Usage);
    return 2;
}

// The manager answers within its own ask timeout (10 s) or not at all; the first command also
// waits for the client to reach a receptionist.
var timeout = TimeSpan.FromSeconds(20);
// Polling the manager's report, as tern ctl migrate does: it changes as the source host reports.
var pollEvery = TimeSpan.FromMilliseconds(250);

var (system, client) = ClientSystem.Start(options);
try
{
    var cluster = new ClusterOperator(client, timeout);
    Console.WriteLine($"Tern protocol {ProtocolVersion.Current}; VMs:");
    foreach (var vm in (await cluster.Ask<VmList>(new GetVms())).Vms) Console.WriteLine(MigrationProgress.Line(vm));

    await cluster.Ask<Done>(new MigrateVm(options.Vm, options.ToHost));
    Console.WriteLine($"migrating {options.Vm} to {options.ToHost}");
    MigrationReport? last = null;
    while (true)
    {
        var report = await cluster.Ask<MigrationReport>(new GetMigration(options.Vm));
        if (MigrationProgress.Changed(last, report)) Console.WriteLine(MigrationProgress.Line(report));
        last = report;
        if (report.Ended)
        {
            bool completed = report.Status == "completed";
            (completed ? Console.Out : Console.Error).WriteLine(MigrationProgress.Outcome(report));
            return completed ? 0 : 1;
        }
        await Task.Delay(pollEvery);
    }
}
catch (CommandFailedException e)
{
    Console.Error.WriteLine($"MigrateWithClusterClient: the cluster refused: {e.Failed.Reason} ({e.Failed.Kind})");
    return 1;
}
catch (AskTimeoutException)
{
    string contacts = string.Join(", ", options.Contacts.Select(c => $"{c.Host}:{c.Port}"));
    Console.Error.WriteLine($"MigrateWithClusterClient: no answer from the cluster through {contacts} within {timeout.TotalSeconds:0} s");
    return 3;
}
finally
{
    await system.Terminate();
}
