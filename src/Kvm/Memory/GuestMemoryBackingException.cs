namespace Tern.Kvm.Memory;

/// <summary>Guest RAM cannot be backed as configured (a size that does not fit the file system's pages, a hugetlbfs pool too small).</summary>
public sealed class GuestMemoryBackingException(string message, Exception? inner = null) : Exception(message, inner);
