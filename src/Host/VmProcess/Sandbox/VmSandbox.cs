using Tern.Kvm;
using Tern.Kvm.Sandbox;

namespace Tern.Host.VmProcess.Sandbox;

/// <summary>
/// The confinement a `tern vm` process puts itself in, as Firecracker's jailer does: no new
/// privileges from the start (<see cref="Begin"/>); then, once its machine is built — /dev/kvm, the
/// disk images, guest RAM and an incoming migration's listener all open — an empty root
/// directory, the user it was given and the seccomp filter of <see cref="VmProcessSyscalls"/> (<see cref="Enter"/>). From then on a
/// guest that escapes its device models holds a process that can make only the calls a running VM
/// makes, as a user that owns nothing of the node's.
/// </summary>
/// <param name="Jail">
/// An empty directory the process makes its root once its machine is built (when it is root:
/// chroot needs the privilege), so that from then on it opens no file at all, as Firecracker's
/// jailer confines it to its jail; a cluster VM needs none after boot (its console, migrations and
/// channel run on descriptors it holds, and a reset ends it for the cluster to start again).
/// </param>
public sealed record VmSandbox(bool Seccomp, VmProcessUser? RunAs, string? Jail = null)
{
    /// <summary>The jail is the directory "root" beside the process's channel socket (its own directory, which the node removes).</summary>
    public static VmSandbox For(VmProcessOptions options) =>
        new(options.Sandbox, options.RunAs, options.Sandbox ? Path.Combine(Tern.Actors.Vm.Process.VmProcessFiles.ForChannel(options.Channel).Directory, "root") : null);

    public bool Confines => Seccomp || RunAs is not null;

    /// <summary>Sets no_new_privs, which nothing undoes: no exec of this process or a child of it gains privileges.</summary>
    public void Begin()
    {
        if (Confines) ProcessSandbox.ForbidNewPrivileges();
    }

    /// <summary>
    /// Makes <see cref="Jail"/> its root, becomes <see cref="RunAs"/>, keeping only the group that
    /// owns /dev/kvm (none when that is root's group, which would open far more), then installs the
    /// filter on every thread.
    /// </summary>
    public void Enter()
    {
        uint kvm = RunAs is null ? 0 : HostPath.GroupOf(KvmSystem.DevicePath); // while /dev is still in view
        if (Jail is not null && Environment.IsPrivilegedProcess)
        {
            // Owner root, no permission for anyone: once the process is another user it cannot even look inside.
            Directory.CreateDirectory(Jail, UnixFileMode.None);
            ProcessSandbox.ConfineTo(Jail);
        }
        if (RunAs is { } user) ProcessSandbox.DropPrivileges(user.Uid, user.Gid, kvm == 0 ? [] : [kvm]);
        if (Seccomp) ProcessSandbox.InstallSeccompFilter(VmProcessSyscalls.Filter);
    }
}
