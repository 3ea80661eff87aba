using Tern.Kvm.Boot.Acpi.Aml;

namespace Tern.Kvm.Tests.Boot;

public class AmlTests
{
    [Theory]
    [InlineData(0UL, new byte[] { 0x00 })]
    [InlineData(1UL, new byte[] { 0x01 })]
    [InlineData(2UL, new byte[] { 0x0a, 0x02 })]
    [InlineData(0xffUL, new byte[] { 0x0a, 0xff })]
    [InlineData(0x100UL, new byte[] { 0x0b, 0x00, 0x01 })]
    [InlineData(0x12345678UL, new byte[] { 0x0c, 0x78, 0x56, 0x34, 0x12 })]
    [InlineData(0x1_0000_0000UL, new byte[] { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 })]
    [InlineData(ulong.MaxValue, new byte[] { 0xff })]
    public void Integers_take_the_shortest_encoding(ulong value, byte[] expected) =>
        Assert.Equal(expected, Aml.Integer(value));

    [Theory]
    [InlineData("_HID", new byte[] { 0x5f, 0x48, 0x49, 0x44 })]
    [InlineData("\\_SB", new byte[] { 0x5c, 0x5f, 0x53, 0x42, 0x5f })]
    [InlineData("\\_SB.PCI0", new byte[] { 0x5c, 0x2e, 0x5f, 0x53, 0x42, 0x5f, 0x50, 0x43, 0x49, 0x30 })]
    [InlineData("^A.B.C", new byte[] { 0x5e, 0x2f, 3, 0x41, 0x5f, 0x5f, 0x5f, 0x42, 0x5f, 0x5f, 0x5f, 0x43, 0x5f, 0x5f, 0x5f })]
    public void Name_strings_pad_segments_and_use_dual_and_multi_prefixes(string path, byte[] expected) =>
        Assert.Equal(expected, Aml.NameString(path));

    [Theory]
    [InlineData("1ABC")]
    [InlineData("ABCDE")]
    [InlineData("a")]
    public void Invalid_name_segments_are_refused(string segment) =>
        Assert.Throws<ArgumentException>(() => Aml.NameString(segment));

    [Theory]
    [InlineData(0, new byte[] { 0x01 })]
    [InlineData(62, new byte[] { 0x3f })]
    [InlineData(63, new byte[] { 0x41, 0x04 })]                // 63 + 2 = 65 = 0x41
    [InlineData(4093, new byte[] { 0x4f, 0xff })]              // 4093 + 2 = 0xfff, the most two bytes hold
    [InlineData(4094, new byte[] { 0x81, 0x00, 0x01 })]        // 4094 + 3 = 0x1001
    public void Package_lengths_count_themselves(int body, byte[] expected) =>
        Assert.Equal(expected, Aml.PkgLength(body));

    [Theory]
    [InlineData("PNP0A03", 0x030ad041u)]
    [InlineData("PNP0A08", 0x080ad041u)]
    [InlineData("PNP0501", 0x0105d041u)]
    [InlineData("PNP0C0C", 0x0c0cd041u)]
    public void Eisa_ids_compress_as_asl_does(string id, uint expected) =>
        Assert.Equal(expected, EisaId.Encode(id));

    [Fact]
    public void S5_package_encodes_as_asl_compiles_it() =>
        Assert.Equal(
            new byte[] { 0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 },
            Aml.Name("\\_S5", Aml.Package(Aml.Integer(5), Aml.Integer(5), Aml.Integer(0), Aml.Integer(0))));

    [Fact]
    public void String_is_prefixed_and_nul_terminated() =>
        Assert.Equal(new byte[] { 0x0d, 0x41, 0x42, 0x00 }, Aml.String("AB"));

    [Fact]
    public void Device_wraps_its_name_and_terms_in_a_package_length() =>
        Assert.Equal(
            new byte[] { 0x5b, 0x82, 0x0b, 0x43, 0x4f, 0x4d, 0x31, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x01 },
            Aml.Device("COM1", Aml.Name("_UID", Aml.Integer(1))));

    [Fact]
    public void Com1_resource_template_encodes_io_and_irq_descriptors_and_the_end_tag() =>
        Assert.Equal(
            new byte[] { 0x11, 0x10, 0x0a, 0x0d, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00 },
            AmlResource.Template(AmlResource.Io(0x3f8, 0x3f8, 1, 8), AmlResource.IrqNoFlags(4)));

    [Fact]
    public void Word_bus_number_is_a_fixed_producer_window_with_its_length()
    {
        Assert.Equal(
            new byte[] { 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0x00, 0x00, 0xff, 0x00, 0, 0, 0x00, 0x01 },
            AmlResource.WordBusNumber(0, 0xff));
    }

    [Fact]
    public void Memory_windows_carry_min_max_and_length()
    {
        var dword = AmlResource.DWordMemory(0xc000_0000, 0xfebf_ffff);
        Assert.Equal(26, dword.Length);
        Assert.Equal(0x3ec0_0000u, BitConverter.ToUInt32(dword, 22));
        var qword = AmlResource.QWordMemory(0x40_0000_0000, 0x4f_ffff_ffff);
        Assert.Equal(46, qword.Length);
        Assert.Equal(0x10_0000_0000UL, BitConverter.ToUInt64(qword, 38));
    }
}
