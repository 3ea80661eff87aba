using System.Reflection;
using System.Xml.Linq;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Actors.Tests.Architecture;

/// <summary>
/// The public protocol is a package a client references without the VMM: it names only Akka and
/// Hyperion, its version is the wire version, and <c>dotnet pack</c> makes it.
/// </summary>
public sealed class ProtocolPackageTests
{
    private static readonly Assembly Protocol = typeof(ClusterProtocol).Assembly;
    private static readonly string ProjectFile = Path.Combine(Support.TestGuest.RepoRoot, "src/Actors/Cluster/Protocol/Tern.Actors.Cluster.Protocol.csproj");

    [Fact]
    public void The_protocol_assembly_references_no_Tern_assembly()
    {
        var tern = Protocol.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Tern", StringComparison.Ordinal)).ToList();
        Assert.True(tern.Count == 0, $"{Protocol.GetName().Name} references {string.Join(", ", tern)}");
    }

    /// <summary>A reference not yet used leaves no trace in the assembly: the project file is read too.</summary>
    [Fact]
    public void The_protocol_project_names_only_Akka_and_Hyperion_packages()
    {
        var project = XDocument.Load(ProjectFile);
        Assert.DoesNotContain(project.Descendants(), e => e.Name.LocalName == "ProjectReference");
        var other = project.Descendants().Where(e => e.Name.LocalName == "PackageReference")
            .Select(e => (string?)e.Attribute("Include") ?? "")
            .Where(p => !p.StartsWith("Akka", StringComparison.Ordinal) && p != "Hyperion").ToList();
        Assert.True(other.Count == 0, $"the protocol project references {string.Join(", ", other)}");
    }

    [Fact]
    public void The_assembly_s_version_is_the_wire_version()
    {
        string? informational = Protocol.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        Assert.Equal(ProtocolVersion.Current, informational?.Split('+')[0]);
    }

    [Fact]
    public void Dotnet_pack_makes_the_package_named_by_the_wire_version()
    {
        string output = Directory.CreateTempSubdirectory("tern-pack-").FullName;
        try
        {
            // --no-build: the solution build (Release, as the tests run) has built it.
            var pack = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", ["pack", ProjectFile, "-c", "Release", "--no-build", "-o", output, "-nologo", "-v", "quiet"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            string text = pack.StandardOutput.ReadToEnd() + pack.StandardError.ReadToEnd();
            Assert.True(pack.WaitForExit(TimeSpan.FromMinutes(2)), "dotnet pack did not finish in 2 minutes");
            Assert.True(pack.ExitCode == 0, text);
            string package = Path.Combine(output, $"Tern.Actors.Cluster.Protocol.{ProtocolVersion.Current}.nupkg");
            using var zip = System.IO.Compression.ZipFile.OpenRead(package);
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("lib/net10.0/Tern.Actors.Cluster.Protocol.dll", entries);
            Assert.Contains("README.md", entries);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
