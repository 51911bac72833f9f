namespace AgNewsLsp.Tests.Engine;

/// <summary>
/// A small labelled CSV whose classes are not AG News's: five topics named by string labels, each text built from
/// words only its topic uses, so that a short training run on the embedded default learns them.
/// </summary>
public static class FiveClassData
{
    public static readonly string[] Classes = ["Politics", "Health", "Travel", "Food", "Music"];

    /// <summary>The classes as a read orders names that are not AG News's: ordinal, ignoring case.</summary>
    public static readonly string[] ReadOrder = ["Food", "Health", "Music", "Politics", "Travel"];

    public const string HealthText = "The doctor at the hospital gave the patients a vaccine against the disease.";

    private static readonly Dictionary<string, string[]> Words = new()
    {
        ["Politics"] = ["parliament", "election", "senator", "minister", "voters", "campaign", "ballot", "governor", "legislature",
            "coalition"],
        ["Health"] = ["doctor", "hospital", "vaccine", "patients", "nurse", "clinic", "disease", "surgery", "medicine", "symptoms"],
        ["Travel"] = ["airport", "passport", "hotel", "beach", "flight", "tourists", "luggage", "cruise", "resort", "sightseeing"],
        ["Food"] = ["recipe", "chef", "pasta", "bakery", "spices", "restaurant", "dessert", "soup", "kitchen", "cheese"],
        ["Music"] = ["guitar", "concert", "album", "orchestra", "singer", "melody", "drummer", "symphony", "lyrics", "band"],
    };

    /// <summary>Writes train.csv (header text,label) with <paramref name="perClass"/> rows of each class into the folder.</summary>
    public static string Write(string folder, int perClass = 24)
    {
        var random = new Random(7);
        var lines = new List<string> { "text,label" };
        for (int i = 0; i < perClass; i++)
            foreach (var cls in Classes)
            {
                var w = Words[cls].OrderBy(_ => random.Next()).Take(3).ToArray();
                lines.Add($"\"The {w[0]} and the {w[1]} were the talk of the week, said people who follow the {w[2]}.\",{cls}");
            }
        var path = Path.Combine(folder, "train.csv");
        File.WriteAllLines(path, lines);
        return path;
    }
}
