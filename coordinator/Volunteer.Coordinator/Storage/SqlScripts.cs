namespace Volunteer.Coordinator.Storage;

/// <summary>The SQL under infra/sql, embedded in the coordinator so a deployment needs no loose files.</summary>
internal static class SqlScripts
{
    public static string Read(string relativePath)
    {
        var name = "Volunteer.Sql." + relativePath.Replace('/', '.');
        using var stream = typeof(SqlScripts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"SQL script {relativePath} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
