using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Volunteer.Protocol;

namespace Volunteer.Worker.Settings;

/// <summary>
/// The owner's settings kept on disk, <c>{"Worker": {"CpuPercent": 50, ...}}</c>: settings.json in the state
/// directory unless --config names another file. `set` writes it whole and atomically, so an agent that reads it
/// (at start, or when `set` asks it to reload) never sees half of a change.
/// </summary>
public sealed class SettingsFile(string path)
{
    public const string FileName = "settings.json";

    public string Path { get; } = path;

    public static string PathIn(string stateDirectory) => System.IO.Path.Combine(stateDirectory, FileName);

    /// <summary>The settings in the file by key (CpuPercent), as configuration reads them; empty when there is no file.</summary>
    public IReadOnlyDictionary<string, string> Read()
    {
        var values = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (Section(Load()) is { } section)
        {
            foreach (var (key, value) in section)
            {
                values[key] = value switch
                {
                    null => "",
                    JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String => scalar.GetValue<string>(),
                    _ => value.ToJsonString(),
                };
            }
        }
        return values;
    }

    /// <summary>
    /// The file's JSON with <paramref name="key"/> set to <paramref name="value"/> (or removed when null); whatever
    /// else the file holds is kept. Nothing is written: <see cref="Save"/> does.
    /// </summary>
    public JsonObject With(string key, string? value)
    {
        var root = Load();
        if (Section(root) is not { } section)
        {
            section = [];
            root[WorkerOptions.Section] = section;
        }
        if (section.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Key is { } existing)
        {
            section.Remove(existing);
        }
        if (value is not null)
        {
            section[key] = Typed(value);
        }
        return root;
    }

    public void Save(JsonObject content)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        DurableFile.Write(Path, JsonSerializer.SerializeToUtf8Bytes(content, new JsonSerializerOptions { WriteIndented = true }), ownerOnly: true);
    }

    /// <summary>The file's JSON; a file that is not a JSON object is an error the owner must see, not something to overwrite.</summary>
    private JsonObject Load()
    {
        if (!File.Exists(Path))
        {
            return [];
        }
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(Path)) as JsonObject
                ?? throw new InvalidDataException($"The settings file {Path} is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The settings file {Path} is not valid JSON: {ex.Message}", ex);
        }
    }

    private static JsonObject? Section(JsonObject root) =>
        root.FirstOrDefault(p => string.Equals(p.Key, WorkerOptions.Section, StringComparison.OrdinalIgnoreCase)).Value as JsonObject;

    /// <summary>Numbers and switches as JSON numbers and booleans, so the file reads as a person would write it.</summary>
    private static JsonNode Typed(string value) =>
        value switch
        {
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            _ when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole) => JsonValue.Create(whole),
            _ when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
                && !value.Contains(':', StringComparison.Ordinal) => JsonValue.Create(number),
            _ => JsonValue.Create(value),
        };
}
