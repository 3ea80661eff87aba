namespace Tern.Actors.Vm.Process;

/// <summary>The other end of a VM channel sent something that is not a frame of its protocol; the connection is closed.</summary>
public sealed class VmChannelException(string message) : Exception(message);
