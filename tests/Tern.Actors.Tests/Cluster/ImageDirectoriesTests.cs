using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Host;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Actors.Tests.Cluster;

public sealed class ImageDirectoriesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tern-images-").FullName;

    private string Images => Path.Combine(_root, "images");
    private string Outside => Path.Combine(_root, "outside");

    public ImageDirectoriesTests()
    {
        Directory.CreateDirectory(Images);
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Images, "kernel"), "k");
        File.WriteAllText(Path.Combine(Outside, "secret"), "s");
        Directory.CreateDirectory(Path.Combine(Images, "sub"));
        File.CreateSymbolicLink(Path.Combine(Images, "inside-link"), Path.Combine(Images, "kernel"));
        File.CreateSymbolicLink(Path.Combine(Images, "outside-link"), Path.Combine(Outside, "secret"));
    }

    private static VmDefinition WithKernel(string kernel, params VmDisk[] disks) => new("v", kernel, null, "", 64UL << 20, 1, disks);

    [Fact]
    public void Regular_files_beneath_a_directory_are_allowed_even_through_a_link_that_stays_inside()
    {
        var images = new ImageDirectories([Images]);
        Assert.Empty(images.Problems(WithKernel(Path.Combine(Images, "kernel"), Path.Combine(Images, "inside-link"))));
    }

    [Fact]
    public void Files_outside_links_out_dot_dot_escapes_directories_and_missing_files_are_refused_by_name()
    {
        var images = new ImageDirectories([Images]);
        string Problem(string kernel) => Assert.Single(images.Problems(WithKernel(kernel)));
        Assert.Equal($"kernel '{Path.Combine(Outside, "secret")}' is not in a directory of tern.host.image-dirs", Problem(Path.Combine(Outside, "secret")));
        Assert.Equal($"kernel '{Path.Combine(Images, "outside-link")}' is not in a directory of tern.host.image-dirs", Problem(Path.Combine(Images, "outside-link")));
        Assert.Contains("is not in a directory", Problem(Images + "/../outside/secret"));
        Assert.Equal($"kernel '{Path.Combine(Images, "sub")}' is not a regular file", Problem(Path.Combine(Images, "sub")));
        Assert.Equal($"kernel '{Path.Combine(Images, "none")}' does not exist", Problem(Path.Combine(Images, "none")));
    }

    [Fact]
    public void A_host_without_image_directories_allows_no_file_and_says_which_setting_to_set()
    {
        var problem = Assert.Single(new ImageDirectories([]).Problems(WithKernel(Path.Combine(Images, "kernel"))));
        Assert.EndsWith("this host allows no image files (set tern.host.image-dirs)", problem);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
