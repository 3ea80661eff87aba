namespace Tern.Actors.Migration.Engine.Wire;

/// <summary><paramref name="Pages"/> consecutive 4 KiB guest pages from <paramref name="Gpa"/>, all in one RAM region.</summary>
public readonly record struct PageRun(ulong Gpa, ulong Pages);
