using System.Net;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Host;
using Tern.Actors.Cluster.Manager;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using Tern.Host.Api;
using Tern.Host.Api.Auth;
using Tern.Host.CommandLine;
using Tern.Host.Node.Leases;

using Tern.Host.VmProcess;
using Tern.Host.VmProcess.Sandbox;

namespace Tern.Host.Node;

/// <summary>
/// <c>tern node</c>: checks its database, joins (or starts) the cluster, starts its part of the
/// manager singleton, the gateway through which ClusterClients reach the manager, and its
/// HostActor, then serves the HTTP control API until it is told to stop (SIGTERM, SIGINT: it
/// moves its VMs away live, then leaves the cluster gracefully; see <see cref="NodeShutdownDrain"/>)
/// or the cluster downs it (exit 1, its VMs already stopped).
/// </summary>
public static class TernNode
{
    // The node handles its signals itself (NodeShutdownSignals): System.CommandLine's would end the
    // process two seconds after the first, in the middle of the moves.
    public static Task<int> RunAsync(string[] args) =>
        NodeCommandLine.Create(RunAsync).Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = null });

    private static async Task<int> RunAsync(NodeOptions options, CancellationToken commandCancel)
    {
        using var signals = new NodeShutdownSignals();
        using var startCancel = CancellationTokenSource.CreateLinkedTokenSource(commandCancel, signals.Stop);
        var cancel = startCancel.Token;
        ActorSystem? system = null;
        WebApplication? web = null;
        Tern.Actors.Security.TlsCredentials? tls = null;
        PostgresLeaseTable? leaseTable = null;
        string? fatal = null;
        try
        {
            Tern.Kvm.HostProcess.SetFileModeMask(0b000_111_111); // 077: files the node creates (journal, data) are its user's alone
            Directory.CreateDirectory(options.DataDirectory);
            var database = NodeDatabase.From(options.Database, options.DataDirectory);
            var config = NodeConfig.Build(options, database);
            var nodeSettings = config.GetConfig("tern.node");
            await database.ProbeAsync(nodeSettings.GetTimeSpan("database-wait"), cancel);
            var api = options.Api ?? HostPort.Parse(nodeSettings.GetString("default-api"), "tern.node.default-api");
            tls = ClusterTls.Load(options.TlsDirectory);
            ClusterTls.RequireBeyondLoopback(tls, options.Bind, api);

            system = StartActorSystem(config, options.Bind, tls);
            MemberLossClock.Get(system); // from now on, so that a manager starting here later knows when hosts were lost
            await JoinAsync(system, options, nodeSettings.GetTimeSpan("join-timeout"), cancel);

            leaseTable = NodeConfig.FencesByLease(config) ? new PostgresLeaseTable(database.ConnectionString, LeaseTimeout) : null;
            var leases = leaseTable is null ? null : new PostgresHostLeases(leaseTable);
            var manager = ClusterManagerSingleton.Start(system, ClusterManagerSettings.From(config) with { Leases = leases });
            OperatorGateway.Start(system, manager);
            var stopping = new CancellationTokenSource();
            var hostSettings = WithVmProcesses(HostSettings.From(config) with { Tls = tls, Lease = LeaseSettings(config, leases) }, config, options);
            system.ActorOf(HostActor.Props(options.Name, hostSettings, manager, new ProcHostProbe(), reason =>
            {
                fatal = reason;
                stopping.Cancel();
            }), "host");
            Action<string> quarantined = reason =>
            {
                fatal ??= reason;
                stopping.Cancel();
            };
            system.ActorOf(Props.Create(() => new NodeQuarantineWatch(quarantined)), "quarantine-watch");
            await AwaitRegisteredAsync(manager, options.Name, nodeSettings.GetTimeSpan("join-timeout"), cancel);

            string scheme = tls is null ? "http" : "https";
            string apiUrl = $"{scheme}://{FormatEndpoint(api)}";
            string? apiCa = tls is null ? null : Path.Combine(tls.Directory, Tern.Actors.Security.TlsCredentials.CaCertificateFile);
            var tokens = new ApiTokenStore(manager, NodeCredentials.Ensure(options.DataDirectory, apiUrl, apiCa));
            var guard = new RequestGuard(tokens, ApiHostNames.For(api, nodeSettings.GetStringList("api-host-names")), scheme);
            web = await StartApiAsync(api, tls, guard, new ControlApi(manager, nodeSettings.GetTimeSpan("ask-timeout"), tokens, hostSettings.Images));
            Console.WriteLine($"tern node {options.Name}: cluster member {Akka.Cluster.Cluster.Get(system).SelfAddress}, " +
                              $"control API {apiUrl}, journal {database.Describe()}");

            var downed = system.WhenTerminated;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, stopping.Token);
            await Task.WhenAny(downed, Task.Delay(Timeout.Infinite, linked.Token)).ContinueWith(_ => { });
            if (downed.IsCompleted && CoordinatedShutdown.Get(system).ShutdownReason is CoordinatedShutdown.ClusterDowningReason)
                fatal ??= "this node was removed from the cluster (downed); its VMs were stopped";
            else if (fatal is null && signals.Stop.IsCancellationRequested)
                await NodeShutdownDrain.RunAsync(manager, options.Name, nodeSettings.GetTimeSpan("shutdown-drain-timeout"), signals.Hurry, Console.WriteLine);
            return fatal is null ? 0 : Fail(fatal);
        }
        catch (NodeStartException e)
        {
            return Fail(e.Message);
        }
        finally
        {
            if (web is not null) await web.DisposeAsync();
            if (system is not null) await LeaveAsync(system);
            if (leaseTable is not null) await leaseTable.DisposeAsync();
            tls?.Dispose();
        }
    }

    /// <summary>Connecting and each lease statement: a renewal that takes longer is as good as lost.</summary>
    private static readonly TimeSpan LeaseTimeout = TimeSpan.FromSeconds(2);

    private static Tern.Actors.Cluster.Leases.HostLeaseSettings? LeaseSettings(Akka.Configuration.Config config, PostgresHostLeases? leases)
    {
        if (leases is null) return null;
        try
        {
            return Tern.Actors.Cluster.Leases.HostLeaseSettings.From(config, leases);
        }
        catch (Akka.Configuration.ConfigurationException e)
        {
            throw new NodeStartException(e.Message);
        }
    }

    private static ActorSystem StartActorSystem(Akka.Configuration.Config config, (string Host, int Port) bind, Tern.Actors.Security.TlsCredentials? tls)
    {
        EnsureFree(bind);
        try
        {
            var bootstrap = BootstrapSetup.Create().WithConfig(config);
            return ActorSystem.Create(NodeConfig.SystemName, tls is null ? ActorSystemSetup.Create(bootstrap) : bootstrap.And(ClusterTls.Remoting(tls)));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Remoting failing to bind is the usual cause; its exception nests the socket error.
            throw new NodeStartException($"cannot start the cluster member on {FormatEndpoint(bind)}: {e.GetBaseException().Message}");
        }
    }

    /// <summary>
    /// Remoting binds with address reuse, so a second node on a busy port would start and split the
    /// cluster; an exclusive trial bind first turns that into an error.
    /// </summary>
    private static void EnsureFree((string Host, int Port) bind)
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Parse(bind.Host), bind.Port) { ExclusiveAddressUse = true };
        try
        {
            listener.Start();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new NodeStartException($"cannot bind the cluster member to {FormatEndpoint(bind)}: {e.Message}");
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Waits until this node is Up; one that cannot reach its seeds gives up after the join timeout.</summary>
    private static async Task JoinAsync(ActorSystem system, NodeOptions options, TimeSpan timeout, CancellationToken cancel)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        var finished = await Task.WhenAny(up.Task, Task.Delay(timeout, cancel));
        if (finished == up.Task) return;
        cancel.ThrowIfCancellationRequested();
        string seeds = string.Join(", ", options.Seeds.Select(FormatEndpoint));
        throw new NodeStartException(seeds.Length == 0
            ? $"could not start the cluster within {timeout.TotalSeconds:0} s"
            : $"could not join the cluster through {seeds} within {timeout.TotalSeconds:0} s");
    }

    /// <summary>
    /// Waits until the manager holds this host's first load report, so a VM created the moment the
    /// node says it is ready can be placed on it (before, placement would find no host at all).
    /// </summary>
    private static async Task AwaitRegisteredAsync(IActorRef manager, string name, TimeSpan timeout, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                var hosts = await manager.Ask<HostList>(new GetHosts(), TimeSpan.FromSeconds(2), cancel);
                if (hosts.Hosts.Any(h => h.Name == name && h.Load is not null)) return;
            }
            catch (AskTimeoutException)
            {
                // The manager singleton is still starting; ask again.
            }
            if (DateTime.UtcNow > deadline)
                throw new NodeStartException($"the cluster manager did not learn of this host within {timeout.TotalSeconds:0} s");
            await Task.Delay(100, cancel);
        }
    }

    /// <summary>A host lifetime that, unlike the console one, leaves process signals alone.</summary>
    private sealed class SignalFreeLifetime : Microsoft.Extensions.Hosting.IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static async Task<WebApplication> StartApiAsync((string Host, int Port) api, Tern.Actors.Security.TlsCredentials? tls, RequestGuard guard, ControlApi endpoints)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // The node handles SIGTERM itself (NodeShutdownSignals): the API serves on while its VMs move away.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, SignalFreeLifetime>();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = ControlApi.MaxBodyBytes;
            k.Listen(IPAddress.Parse(api.Host), api.Port, listen =>
            {
                if (tls is not null) listen.UseHttps(tls.Certificate);
            });
        });
        var app = builder.Build();
        app.UseStatusCodePages(ErrorBodyForBareStatus);
        app.Use(guard.InvokeAsync);
        endpoints.Map(app);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            throw new NodeStartException($"cannot serve the control API on {FormatEndpoint(api)}: {e.Message}");
        }
        return app;
    }

    /// <summary>Requests ASP.NET refuses before an endpoint runs (a bad query value, a wrong method) still get a JSON error.</summary>
    private static Task ErrorBodyForBareStatus(Microsoft.AspNetCore.Diagnostics.StatusCodeContext context)
    {
        var response = context.HttpContext.Response;
        string kind = response.StatusCode switch { 404 => "not-found", 405 => "invalid", _ => "invalid" };
        string message = response.StatusCode switch
        {
            404 => "no such endpoint",
            405 => $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}",
            _ => "malformed request",
        };
        return Results.Json(new ErrorResponse(new ErrorBody(kind, message)), ApiJson.Options, statusCode: response.StatusCode)
            .ExecuteAsync(context.HttpContext);
    }

    /// <summary>Leaves the cluster through coordinated shutdown: the singleton hands over, the HostActor's VMs stop.</summary>
    private static async Task LeaveAsync(ActorSystem system)
    {
        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
        await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { });
    }

    private static string FormatEndpoint((string Host, int Port) e) => ApiHostNames.Authority(e.Host, e.Port);

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"tern node: {message}");
        return 1;
    }

    /// <summary>
    /// With tern.host.vm-processes on, each VM runs in a `tern vm` process of its own, which ends
    /// its guest once the node has been gone for node-gone-after (<see cref="OrphanVmWindow"/>
    /// says why that is safe; a node restarted sooner re-adopts it), in a cgroup of its own and
    /// sandboxed as tern.host's vm-* keys say. What the host cannot give
    /// (cgroups, other users to a node that is not root) is said once here.
    /// </summary>
    private static HostSettings WithVmProcesses(HostSettings host, Akka.Configuration.Config config, NodeOptions options)
    {
        if (!config.GetBoolean("tern.host.vm-processes")) return host;
        VmSandboxSettings sandbox;
        try
        {
            sandbox = VmSandboxSettings.From(config);
        }
        catch (Akka.Configuration.ConfigurationException e)
        {
            throw new NodeStartException(e.Message);
        }
        void Say(string message) => Console.Error.WriteLine($"tern node {options.Name}: {message}");
        if (sandbox.Users is { } users && !Environment.IsPrivilegedProcess)
        {
            if (!users.Automatic) Say("tern.host.vm-uid-base is set, but the node does not run as root: its VM processes keep its user");
            sandbox = sandbox with { Users = null };
        }
        var cgroups = VmCgroups.Open(CgroupHost.Detect(), options.Name, sandbox.CgroupParent, Say);
        return host with
        {
            VmProcesses = new VmProcessLauncher(host.NodeGoneAfter, host.ConsoleBufferBytes, sandbox, cgroups),
            VmProcessDirectory = Path.Combine(options.DataDirectory, "vms"),
        };
    }
}
