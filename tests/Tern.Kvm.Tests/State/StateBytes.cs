using System.Runtime.InteropServices;

namespace Tern.Kvm.Tests.State;

internal static class StateBytes
{
    public static bool Same<T>(in T a, in T b) where T : unmanaged =>
        MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in a)).SequenceEqual(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in b)));
}
