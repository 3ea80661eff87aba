using Akka.Actor;
using Akka.TestKit;
using Tern.Actors.Vm;
using Tern.Devices.Board;
using Tern.Devices.Config;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Actors.Tests.Vm;

/// <summary>
/// Issue 3, acceptance 6: the operations QMP offers, as messages to a VmActor that runs the test
/// kernel on KVM; each test checks what the guest printed as well as what the actor answered.
/// </summary>
public sealed class VmActorLifecycleTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private readonly ConsoleCapture _console = new();
    private readonly TestProbe _events;

    public VmActorLifecycleTests() : base("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING") => _events = CreateTestProbe();

    private static VmConfig Config(string append, int vcpus = 1, bool paused = false) => new()
    {
        Name = "actor-test",
        Boot = new BootConfig(TestKernelFiles.TestKernel, null, append),
        MemoryBytes = 256UL << 20,
        Vcpus = vcpus,
        StartPaused = paused,
    };

    /// <summary>A VmActor with <see cref="_events"/> subscribed before it boots.</summary>
    private IActorRef Boot(VmConfig config)
    {
        var vm = Sys.ActorOf(VmActor.Props(config, new MachineConsole(_console, null)));
        vm.Tell(new Subscribe(_events.Ref));
        vm.Tell(new VmProtocol.Boot(), TestActor);
        ExpectMsg<Booted>(Long);
        return vm;
    }

    private IActorRef BootTicks(string extra = "") => Boot(Config($"mode=ticks tick_ms=50 {extra}".Trim()));

    private void Run(IActorRef vm, VmCommand command)
    {
        vm.Tell(new Command(command), TestActor);
        ExpectMsg<CommandDone>(Long);
    }

    private VmRunState StatusOf(IActorRef vm)
    {
        vm.Tell(new QueryStatus(), TestActor);
        return ExpectMsg<VmProtocol.Status>(Long).State;
    }

    [TestKernelFact]
    public void Stop_pauses_the_guest_and_cont_resumes_it_where_it_was()
    {
        var vm = BootTicks();
        _console.WaitForTick(3, Long);

        Run(vm, VmCommand.Stop);
        _events.ExpectMsg<VmEvent.Stopped>(Long);
        Assert.Equal(VmRunState.Paused, StatusOf(vm));
        int pausedAt = _console.LastTick;
        Thread.Sleep(500); // ten ticks' worth
        Assert.Equal(pausedAt, _console.LastTick);

        Run(vm, VmCommand.Cont);
        _events.ExpectMsg<VmEvent.Resumed>(Long);
        Assert.Equal(VmRunState.Running, StatusOf(vm));
        _console.WaitForTick(pausedAt + 3, Long);
        var ticks = _console.Ticks;
        Assert.Equal(Enumerable.Range(1, ticks.Count), ticks); // the numbering continues: no gap, no repeat
    }

    [TestKernelFact]
    public void Stop_when_paused_and_cont_when_running_succeed_without_an_event()
    {
        var vm = BootTicks();

        Run(vm, VmCommand.Cont);
        _events.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        Run(vm, VmCommand.Stop);
        _events.ExpectMsg<VmEvent.Stopped>(Long);
        Run(vm, VmCommand.Stop);
        _events.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [TestKernelFact]
    public void System_reset_boots_the_kernel_again_and_publishes_Reset()
    {
        var vm = BootTicks();
        _console.WaitForTick(2, Long);

        Run(vm, VmCommand.SystemReset);

        var reset = _events.ExpectMsg<VmEvent.Reset>(Long);
        Assert.False(reset.Guest);
        Assert.Equal("host-qmp-system-reset", reset.Reason);
        // The reset may cut the old kernel mid-line ("TICK 5TERN-TEST ..."): count the banner anywhere in a line.
        _console.WaitUntil(c => c.Lines.Count(l => l.Contains("TERN-TEST ", StringComparison.Ordinal)) == 2 && c.Count("TICK 2") == 2, Long);
        Assert.Equal(VmRunState.Running, StatusOf(vm));
    }

    [TestKernelFact]
    public void System_powerdown_publishes_Powerdown_and_the_guest_decides()
    {
        var vm = BootTicks();
        _console.WaitForTick(1, Long);

        Run(vm, VmCommand.SystemPowerdown);

        _events.ExpectMsg<VmEvent.Powerdown>(Long);
        int now = _console.LastTick;
        _console.WaitForTick(now + 3, Long); // the test kernel ignores the power button
        Assert.Equal(VmRunState.Running, StatusOf(vm));
    }

    [TestKernelFact]
    public void Quit_ends_the_vm_with_exit_0_and_a_host_Shutdown_then_refuses_commands()
    {
        var vm = BootTicks();
        vm.Tell(new WatchExit(), TestActor);

        Run(vm, VmCommand.Quit);

        var shutdown = _events.ExpectMsg<VmEvent.Shutdown>(Long);
        Assert.False(shutdown.Guest);
        Assert.Equal("host-qmp-quit", shutdown.Reason);
        Assert.Equal(0, ExpectMsg<VmExited>(Long).ExitCode);
        Assert.Equal(VmRunState.Shutdown, StatusOf(vm));
        vm.Tell(new Command(VmCommand.Cont), TestActor);
        Assert.Contains("shut down", ExpectMsg<CommandFailed>(Long).Reason);
        int last = _console.LastTick;
        Thread.Sleep(300);
        Assert.Equal(last, _console.LastTick);
    }

    [TestKernelFact]
    public void A_guest_that_powers_off_ends_the_vm_with_a_guest_Shutdown_and_exit_0()
    {
        var vm = Boot(Config("mode=ticks ticks=3 tick_ms=50 then=poweroff"));
        vm.Tell(new WatchExit(), TestActor);

        var shutdown = _events.ExpectMsg<VmEvent.Shutdown>(Long);

        Assert.True(shutdown.Guest);
        Assert.Equal("guest-shutdown", shutdown.Reason);
        Assert.Equal(0, ExpectMsg<VmExited>(Long).ExitCode);
        Assert.Equal("POWEROFF", _console.Lines[^1]);
    }

    [TestKernelFact]
    public void A_vm_started_paused_runs_nothing_until_cont()
    {
        var vm = Boot(Config("mode=ticks tick_ms=50", paused: true));
        Assert.Equal(VmRunState.Paused, StatusOf(vm));
        Thread.Sleep(300);
        Assert.Empty(_console.Lines);

        Run(vm, VmCommand.Cont);

        _events.ExpectMsg<VmEvent.Resumed>(Long);
        _console.WaitForTick(2, Long);
    }

    [TestKernelFact]
    public void Queries_answer_the_config_and_one_host_thread_per_vcpu()
    {
        var config = Config("mode=ticks tick_ms=50", vcpus: 2);
        var vm = Boot(config);
        _console.WaitForTick(1, Long);

        vm.Tell(new QueryConfig(), TestActor);
        Assert.Same(config, ExpectMsg<ConfigReply>(Long).Config);

        vm.Tell(new QueryCpus(), TestActor);
        var cpus = ExpectMsg<Cpus>(Long).List;
        Assert.Equal([0, 1], cpus.Select(c => c.Index));
        foreach (var cpu in cpus)
            Assert.True(Directory.Exists($"/proc/self/task/{cpu.HostThreadId}"), $"vCPU {cpu.Index}: thread {cpu.HostThreadId} is not ours");
    }

    [Fact]
    public void Commands_before_boot_are_refused_and_the_status_is_not_running()
    {
        var vm = Sys.ActorOf(VmActor.Props(Config("mode=ticks"), MachineConsole.None));

        vm.Tell(new Command(VmCommand.Stop), TestActor);
        Assert.Contains("not started", ExpectMsg<CommandFailed>().Reason);
        Assert.False(new VmProtocol.Status(StatusOf(vm)).Running);
    }
}
