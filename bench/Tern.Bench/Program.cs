using Tern.Bench;
using Tern.TestSupport.Results;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"tern-bench: {e.Message}\n{BenchOptions.Usage}");
    return 2;
}

var shape = new BenchShape(options.MemoryMiB, options.Vcpus);
var runner = new BootRunner(options.Timeout, options.Settle);
var facts = MachineFacts.Read(options.Qemu);
var started = DateTime.UtcNow;
string loadAtStart = SectionText.LoadAverage();

if (options.Snapshot)
{
    var section = Tern.Bench.Snapshot.SnapshotSection.Run(options, facts);
    ResultsFile.ReplaceSection(options.Results, Tern.Bench.Snapshot.SnapshotSection.Heading, section);
    Console.WriteLine($"\n{Tern.Bench.Snapshot.SnapshotSection.Heading}\n\n{section}");
}
else if (options.MigrationTls)
{
    var section = Tern.Bench.MigrationTls.TlsMigrationSection.Run(options, facts);
    ResultsFile.ReplaceSection(options.Results, Tern.Bench.MigrationTls.TlsMigrationSection.Heading, section);
    Console.WriteLine($"\n{Tern.Bench.MigrationTls.TlsMigrationSection.Heading}\n\n{section}");
}
else if (options.MigrationLocal)
{
    var section = Tern.Bench.Migration.LocalMigrationSection.Run(options, facts);
    ResultsFile.ReplaceSection(options.Results, Tern.Bench.Migration.LocalMigrationSection.Heading, section);
    Console.WriteLine($"\n{Tern.Bench.Migration.LocalMigrationSection.Heading}\n\n{section}");
}
else if (options.Migration)
{
    var section = Tern.Bench.Migration.MigrationSection.Run(options, facts);
    string heading = Tern.Bench.Migration.MigrationSection.HeadingFor(options);
    ResultsFile.ReplaceSection(options.Results, heading, section);
    Console.WriteLine($"\n{heading}\n\n{section}");
}
else if (options.Net)
{
    var section = Tern.Bench.Net.NetSection.Run(options, shape, facts);
    ResultsFile.ReplaceSection(options.Results, Tern.Bench.Net.NetSection.Heading, section);
    Console.WriteLine($"\n{Tern.Bench.Net.NetSection.Heading}\n\n{section}");
}
else if (options.Profile)
{
    var contenders = StartupProfileSection.Contenders(options, shape);
    var samples = InterleavedRun.Run(contenders, [Scenario.Idle], runner, options.Rounds, options.WarmupRounds);
    var section = StartupProfileSection.Render(options, facts, started, (loadAtStart, SectionText.LoadAverage()), contenders, samples);
    ResultsFile.ReplaceSection(options.Results, StartupProfileSection.Heading, section);
    Console.WriteLine($"\n{StartupProfileSection.Heading}\n\n{section}");
}
else
{
    var contenders = BootSection.Contenders(options, shape);
    var scenarios = BootSection.Scenarios(options);
    var samples = InterleavedRun.Run(contenders, scenarios, runner, options.Rounds, options.WarmupRounds);
    var section = BootSection.Render(options, facts, started, (loadAtStart, SectionText.LoadAverage()), contenders, scenarios, samples);
    ResultsFile.ReplaceSection(options.Results, BootSection.Heading, section);
    Console.WriteLine($"\n{BootSection.Heading}\n\n{section}");
}
Console.WriteLine($"written to {Path.GetFullPath(options.Results)}");
return 0;
