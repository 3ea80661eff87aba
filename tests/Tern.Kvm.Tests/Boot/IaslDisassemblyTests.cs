using System.Diagnostics;
using Tern.Kvm.Boot.Acpi;
using Tern.Kvm.Tests.Boot.Support;

namespace Tern.Kvm.Tests.Boot;

/// <summary>
/// ACPICA's disassembler reads the tables as a guest OS would: it must accept each one without
/// errors, find the checksums right and show the AML Tern meant to write. Set TERN_ACPI_DUMP to a
/// folder to keep the tables and their .dsl listings there.
/// </summary>
public class IaslDisassemblyTests
{
    private static string Disassemble(string signature, int vcpus = 2, ulong ramSize = 1UL << 30)
    {
        var tables = AcpiTables.Build(vcpus, ramSize).Select(t => t.Bytes).ToList();
        var table = tables.Single(t => t.Length >= 4 && System.Text.Encoding.ASCII.GetString(t, 0, 4) == signature);
        string? keep = Environment.GetEnvironmentVariable("TERN_ACPI_DUMP");
        string dir = keep ?? Path.Combine(Path.GetTempPath(), $"tern-iasl-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string data = Path.Combine(dir, signature.ToLowerInvariant() + ".dat");
            File.WriteAllBytes(data, table);
            var psi = new ProcessStartInfo(IaslFactAttribute.IaslPath, ["-d", data])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = dir,
            };
            using var iasl = Process.Start(psi)!;
            string output = iasl.StandardOutput.ReadToEnd() + iasl.StandardError.ReadToEnd();
            iasl.WaitForExit();
            Assert.True(iasl.ExitCode == 0, $"iasl -d failed: {output}");
            string dsl = File.ReadAllText(Path.ChangeExtension(data, ".dsl"));
            Assert.DoesNotContain("Error", output + dsl, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Incorrect checksum", dsl);
            return dsl;
        }
        finally
        {
            if (keep is null) Directory.Delete(dir, recursive: true);
        }
    }

    [IaslFact]
    public void Dsdt_disassembles_to_the_intended_asl()
    {
        string dsl = Disassemble("DSDT");
        Assert.Contains("Name (\\_S5, Package (0x04)", dsl);
        Assert.Contains("Scope (\\_SB)", dsl);
        Assert.Contains("Device (PCI0)", dsl);
        Assert.Contains("Name (_HID, EisaId (\"PNP0A08\")", dsl);
        Assert.Contains("Name (_CID, EisaId (\"PNP0A03\")", dsl);
        Assert.Contains("WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,", dsl);
        Assert.Contains("WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,", dsl);
        Assert.Contains("DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,", dsl);
        Assert.Contains("QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,", dsl);
        Assert.Contains("Device (COM1)", dsl);
        Assert.Contains("Name (_HID, EisaId (\"PNP0501\")", dsl);
        Assert.Contains("IRQNoFlags ()", dsl);
    }

    [IaslFact]
    public void Fadt_disassembles_with_the_pm_blocks_and_reset_register()
    {
        string dsl = Disassemble("FACP");
        Assert.Contains("Revision : 06", dsl);
        Assert.Contains("SCI Interrupt : 0009", dsl);
        Assert.Contains("PM1A Event Block Address : 00000600", dsl);
        Assert.Contains("Hardware Reduced (V5) : 0", dsl);
    }

    [IaslFact]
    public void Madt_disassembles_with_every_subtable() =>
        Assert.Contains("Subtable Type : 04 [Local APIC NMI]", Disassemble("APIC"));

    [IaslFact]
    public void Mcfg_disassembles_with_the_ecam_base() =>
        Assert.Contains("Base Address : 00000000B0000000", Disassemble("MCFG"));
}
