using Tern.Host.Ctl;

namespace Tern.Host.Tests.Ctl;

/// <summary>What one <c>tern ctl</c> run printed and how it exited.</summary>
public sealed record CtlOutcome(int Exit, string Out, string Error);

/// <summary>
/// Runs <c>tern ctl</c> in this process with its output captured. The console is the process's, so
/// the tests that use this are in <see cref="CtlConsoleCollection"/>, which runs alone.
/// </summary>
public static class CtlRun
{
    public static async Task<CtlOutcome> Async(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var captured = new StringWriter();
        using var errors = new StringWriter();
        Console.SetOut(captured);
        Console.SetError(errors);
        try
        {
            int exit = await CtlCommandLine.RunAsync(args);
            return new CtlOutcome(exit, captured.ToString(), errors.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CtlConsoleCollection
{
    public const string Name = "tern ctl's console";
}
