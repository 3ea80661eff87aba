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
/// So a value can never start with '-' (<c>-cpu host,-x2apic</c> is fine: the value starts with 'h').
/// </summary>
internal static class ArgumentTokenizer
{
    public static IReadOnlyList<OptionOccurrence> Tokenize(IReadOnlyList<string> args)
    {
        var occurrences = new List<(OptionSpec Spec, string Spelling, List<string> Values)>();
        foreach (var arg in args)
        {
            if (arg.StartsWith('-'))
            {
                var spec = OptionTable.Find(arg) ?? throw new CommandLineException($"unknown option '{arg}'");
                occurrences.Add((spec, arg, []));
            }
            else if (occurrences.Count == 0)
            {
                throw new CommandLineException($"unexpected argument '{arg}' before any option");
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

    private static void CheckArity(OptionSpec spec, string spelling, List<string> values)
    {
        switch (spec.Arity)
        {
            case OptionArity.Flag when values.Count > 0:
                throw new CommandLineException($"option '{spelling}' takes no value, got '{values[0]}'");
            case OptionArity.One or OptionArity.Many when values.Count == 0:
                throw new CommandLineException($"option '{spelling}' needs a value");
            case OptionArity.One or OptionArity.OptionalOne when values.Count > 1:
                throw new CommandLineException($"option '{spelling}' takes one value, got extra '{values[1]}'");
        }
    }
}
