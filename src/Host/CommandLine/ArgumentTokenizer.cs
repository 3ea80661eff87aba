using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>One option as written, with the values that followed it.</summary>
internal sealed record OptionOccurrence(OptionSpec Spec, string Spelling, IReadOnlyList<string> Values)
{
    /// <summary>The single value of a <see cref="OptionArity.One"/> option.</summary>
    public string Value => Values[0];
}

/// <summary>
/// Splits argv the way StratoVirt's parser does: every argument that starts with '-' is an
/// option and must be a known one; the arguments after it up to the next option are its values.
/// An unknown one that follows an option still missing its required value is that value instead
/// (<c>-m -5</c>: a bad size, not an unknown option '-5'; <c>-cpu host,-x2apic</c> starts with 'h').
/// </summary>
internal static class ArgumentTokenizer
{
    public static IReadOnlyList<OptionOccurrence> Tokenize(IReadOnlyList<string> args)
    {
        var occurrences = new List<(OptionSpec Spec, string Spelling, List<string> Values)>();
        foreach (var arg in args)
        {
            var known = arg.StartsWith('-') ? OptionTable.Find(arg) : null;
            if (known is not null || (arg.StartsWith('-') && !AwaitsValue(occurrences)))
            {
                occurrences.Add((known ?? throw new CommandLineException($"unknown option '{EchoedText.Clip(arg)}'"), arg, []));
            }
            else if (occurrences.Count == 0)
            {
                throw new CommandLineException($"unexpected argument '{EchoedText.Clip(arg)}' before any option");
            }
            else
            {
                occurrences[^1].Values.Add(arg);
            }
        }

        var seen = new HashSet<OptionSpec>();
        var result = new List<OptionOccurrence>(occurrences.Count);
        foreach (var (spec, spelling, values) in occurrences)
        {
            CheckArity(spec, spelling, values);
            if (!seen.Add(spec) && !spec.Repeatable)
                throw new CommandLineException($"option '{spelling}' given more than once");
            result.Add(new OptionOccurrence(spec, spelling, values));
        }
        return result;
    }

    private static bool AwaitsValue(List<(OptionSpec Spec, string Spelling, List<string> Values)> occurrences) =>
        occurrences.Count > 0 && occurrences[^1] is { Values.Count: 0, Spec.Arity: OptionArity.One or OptionArity.Many };

    private static void CheckArity(OptionSpec spec, string spelling, List<string> values)
    {
        switch (spec.Arity)
        {
            case OptionArity.Flag when values.Count > 0:
                throw new CommandLineException($"option '{spelling}' takes no value, got '{EchoedText.Clip(values[0])}'");
            case OptionArity.One or OptionArity.Many when values.Count == 0:
                throw new CommandLineException($"option '{spelling}' needs a value");
            case OptionArity.One or OptionArity.OptionalOne when values.Count > 1:
                throw new CommandLineException($"option '{spelling}' takes one value, got extra '{EchoedText.Clip(values[1])}'");
        }
    }
}
