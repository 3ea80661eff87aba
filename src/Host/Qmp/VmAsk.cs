using Akka.Actor;

namespace Tern.Host.Qmp;

/// <summary>How QMP handlers ask the VmActor: one timeout, and a timeout becomes a QMP error, not an exception.</summary>
internal static class VmAsk
{
    /// <summary>Long enough for a pause (every vCPU parked) or a reset (the machine rebuilt) on a slow host.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<QmpReply> Run<TReply>(IActorRef vm, object message, string command, Func<TReply, QmpReply> answer)
    {
        try
        {
            return answer(await vm.Ask<TReply>(message, Timeout).ConfigureAwait(false));
        }
        catch (AskTimeoutException)
        {
            return QmpReply.Generic($"the VM did not answer '{command}' within {Timeout.TotalSeconds:F0} s");
        }
    }
}
