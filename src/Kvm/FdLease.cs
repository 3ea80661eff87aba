namespace Tern.Kvm;

/// <summary>
/// A <see cref="KvmHandle"/>'s descriptor number, held open while the lease lives. Code that must
/// hand the number to the kernel (a read, an mmap, poll, an fd inside an ioctl's struct) takes a
/// lease for the call: a Dispose on another thread meanwhile only marks the handle closed, and the
/// lease's release does the close, so the number cannot name another file mid-call.
/// </summary>
internal readonly ref struct FdLease
{
    private readonly KvmHandle _owner;

    internal FdLease(KvmHandle owner, int number)
    {
        _owner = owner;
        Number = number;
    }

    /// <summary>The descriptor; valid only until <see cref="Dispose"/>.</summary>
    public int Number { get; }

    public void Dispose() => _owner.Release();
}
