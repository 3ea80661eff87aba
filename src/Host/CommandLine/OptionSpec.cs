namespace Tern.Host.CommandLine;

/// <summary>How many values follow an option on the command line.</summary>
internal enum OptionArity
{
    /// <summary>No value (<c>-daemonize</c>).</summary>
    Flag,
    /// <summary>Exactly one value (<c>-m 512M</c>).</summary>
    One,
    /// <summary>Zero or one value (<c>-D [file]</c>).</summary>
    OptionalOne,
    /// <summary>One or more values, joined with spaces (<c>-append console=ttyS0 root=/dev/vda</c>).</summary>
    Many,
}

/// <summary>One known option: its canonical spelling, arity, whether it may repeat, and its usage line.</summary>
internal sealed record OptionSpec(string Name, OptionArity Arity, bool Repeatable, string Usage, string Help)
{
    /// <summary>Accepted for compatibility (libvirt passes them) and otherwise ignored.</summary>
    public bool Ignored { get; init; }
}
