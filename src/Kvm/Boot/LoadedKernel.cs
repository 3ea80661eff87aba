namespace Tern.Kvm.Boot;

/// <summary>
/// A kernel image now in guest RAM, and what the rest of the boot needs to know about it.
/// </summary>
/// <param name="Protocol">How to enter it.</param>
/// <param name="Entry">rip at entry.</param>
/// <param name="End">First byte above everything the kernel occupies or will unpack into; the initrd goes above.</param>
/// <param name="InitrdCeiling">The initrd must end at or below this address.</param>
/// <param name="CmdlineLimit">Longest command line (without its NUL) the kernel accepts.</param>
/// <param name="SetupHeader">For a bzImage, the file's setup header, to copy into the zero page at 0x1f1.</param>
internal sealed record LoadedKernel(
    BootProtocol Protocol,
    ulong Entry,
    ulong End,
    ulong InitrdCeiling,
    int CmdlineLimit,
    byte[]? SetupHeader);
