namespace Volunteer.Cli.Commands;

/// <summary>A usage error found once the command line parsed (e.g. an environment variable's value): exit 2, nothing sent.</summary>
public sealed class UsageException(string message) : Exception(message);
