namespace Tern.Kvm.State;

/// <summary>
/// Saved KVM state that cannot be used: a truncated or malformed encoding, a value out of range,
/// or something this host cannot restore. <see cref="Field"/> names the part that was wrong.
/// </summary>
public sealed class KvmStateException(string field, string problem, Exception? inner = null)
    : Exception($"{field}: {problem}", inner)
{
    public string Field { get; } = field;
}
