namespace Volunteer.Coordinator.Storage;

/// <summary>What the store is and how it answers now, for operators.</summary>
/// <param name="Kind">"SQLite" (embedded) or "PostgreSQL".</param>
/// <param name="Version">The database engine's version.</param>
/// <param name="SizeBytes">The database's size on disk.</param>
/// <param name="RoundTrip">How long a trivial query took, on a connection already open.</param>
public sealed record StoreProbe(string Kind, string Version, long SizeBytes, TimeSpan RoundTrip);
