using Tern.Actors.Migration.Engine;

namespace Tern.Actors.Migration;

/// <summary>
/// The dedicated thread a migration's blocking socket work runs on (never an actor dispatcher),
/// with the cancel token that stops it. Its work touches guest memory, so stopping it waits for it
/// to let go before the VM may free that memory.
/// </summary>
internal sealed class MigrationWorker
{
    private readonly CancellationTokenSource _cancel = new();
    private Thread? _thread;

    public CancellationToken Token => _cancel.Token;

    /// <summary>Runs <paramref name="work"/> on a new background thread and hands its result to <paramref name="done"/>.</summary>
    public void Start(string name, Func<(MigrationInfo Info, GuestAfterMigration Guest)> work, Action<MigrationInfo, GuestAfterMigration> done)
    {
        _thread = new Thread(() =>
        {
            var (info, guest) = work();
            done(info, guest);
        }) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public void Cancel() => _cancel.Cancel();

    /// <summary>Cancels and waits (bounded) for the thread to finish.</summary>
    public void StopAndJoin()
    {
        _cancel.Cancel();
        _thread?.Join(TimeSpan.FromSeconds(10));
    }
}
