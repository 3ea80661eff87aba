namespace Tern.Actors.Vm.Process;

/// <summary>What a frame of the VM channel is (see <see cref="VmChannelCodec"/>).</summary>
public enum VmChannelFrameKind
{
    /// <summary>A greeting: NodeHello from the node, VmHello from the VM.</summary>
    Hello,
    /// <summary>A message that wants a reply with the same id.</summary>
    Request,
    /// <summary>The answer to the request with the same id.</summary>
    Reply,
    /// <summary>A message that wants no reply (VM events, console output).</summary>
    Event,
}

/// <summary>One frame: its kind, the request id it belongs to (0 for hellos and events) and its body.</summary>
public sealed record VmChannelFrame(VmChannelFrameKind Kind, long Id, object Body)
{
    public static VmChannelFrame Hello(object body) => new(VmChannelFrameKind.Hello, 0, body);

    public static VmChannelFrame Event(object body) => new(VmChannelFrameKind.Event, 0, body);
}
