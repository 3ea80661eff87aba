using Tern.Kvm;
using Tern.Kvm.Sandbox;

namespace Tern.Host.VmProcess.Sandbox;

/// <summary>
/// The confinement a `tern vm` process puts itself in, as Firecracker's jailer does: no new
/// privileges from the start (<see cref="Begin"/>); then, once its machine is built — /dev/kvm, the
/// disk images, guest RAM and an incoming migration's listener all open — the user it was given
/// and the seccomp filter of <see cref="VmProcessSyscalls"/> (<see cref="Enter"/>). From then on a
/// guest that escapes its device models holds a process that can make only the calls a running VM
/// makes, as a user that owns nothing of the node's.
/// </summary>
public sealed record VmSandbox(bool Seccomp, VmProcessUser? RunAs)
{
    public static VmSandbox For(VmProcessOptions options) => new(options.Sandbox, options.RunAs);

    public bool Confines => Seccomp || RunAs is not null;

    /// <summary>Sets no_new_privs, which nothing undoes: no exec of this process or a child of it gains privileges.</summary>
    public void Begin()
    {
        if (Confines) ProcessSandbox.ForbidNewPrivileges();
    }

    /// <summary>
    /// Becomes <see cref="RunAs"/>, keeping only the group that owns /dev/kvm (so that a rebuilt
    /// machine still opens it; none when that is root's group, which would open far more), then
    /// installs the filter on every thread.
    /// </summary>
    public void Enter()
    {
        if (RunAs is { } user)
        {
            uint kvm = HostPath.GroupOf(KvmSystem.DevicePath);
            ProcessSandbox.DropPrivileges(user.Uid, user.Gid, kvm == 0 ? [] : [kvm]);
        }
        if (Seccomp) ProcessSandbox.InstallSeccompFilter(VmProcessSyscalls.Filter);
    }
}
