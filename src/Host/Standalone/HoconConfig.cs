using Akka.Configuration;

namespace Tern.Host.Standalone;

/// <summary>Loads a HOCON file shipped next to the executable (hocon/*.conf).</summary>
public static class HoconConfig
{
    public static Config Load(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "hocon", fileName);
        return ConfigurationFactory.ParseString(File.ReadAllText(path));
    }
}
