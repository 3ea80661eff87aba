namespace Tern.Kvm.Memory;

/// <summary>Guest RAM cannot be backed as configured (a size that does not fit the file system's pages, a hugetlbfs pool too small).</summary>
public sealed class GuestMemoryBackingException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>mmap could not reserve a region's pages in the hugetlbfs pool; <see cref="GuestMemory"/> names the whole need.</summary>
internal sealed class HugePagePoolTooSmallException() : Exception("hugetlbfs pool too small");
