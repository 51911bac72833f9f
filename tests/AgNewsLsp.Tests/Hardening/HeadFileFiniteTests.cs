using AgNewsLsp.IO;
using AgNewsLsp.Engine;
using AgNewsLsp.Training;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Tests.Hardening;

/// <summary>Issue 9, item 6: a head with NaN or infinite weights is refused at load, and never saved.</summary>
public class HeadFileFiniteTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("agnews-head-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static HeadFile Head(float poison) => new()
    {
        Kind = HeadKind.Linear,
        ModelName = "m",
        ModelFingerprint = "f",
        Pooling = Pooling.Mean,
        LabelNames = ["a", "b"],
        InputSize = 2,
        Tensors = new()
        {
            ["linear.weight"] = HeadFile.HeadTensor.From([2, 2], [0.1f, poison, 0.3f, 0.4f]),
            ["linear.bias"] = HeadFile.HeadTensor.From([2], [0f, 0f]),
        },
    };

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_weights_are_refused_at_load_with_the_tensor_named(float poison)
    {
        var path = Path.Combine(folder, "bad.head.json");
        // Written around Save (which refuses it too), as a damaged or hand-made file would be.
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(Head(poison),
            new System.Text.Json.JsonSerializerOptions
            {
                NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
                Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase) }
            }));
        var e = Assert.Throws<InvalidDataException>(() => HeadFile.Load(path));
        Assert.Contains("linear.weight", e.Message);
        Assert.Contains("finite", e.Message);
    }

    /// <summary>A linear head whose weight is large enough to be stored in base64, with values whose bytes need '+' and '/'.</summary>
    private static HeadFile LargeHead(out float[] weight)
    {
        weight = Enumerable.Range(0, 2 * 3000).Select(i => MathF.Sin(i) * 1e3f + i).ToArray();
        return Head(0.2f) with
        {
            InputSize = 3000,
            Tensors = new()
            {
                ["linear.weight"] = HeadFile.HeadTensor.From([2, 3000], weight),
                ["linear.bias"] = HeadFile.HeadTensor.From([2], [0f, 1f])
            },
        };
    }

    [Fact]
    public void Base64_tensors_load_the_same_floats_also_from_escaped_text_and_after_a_byte_order_mark()
    {
        var path = Path.Combine(folder, "large.head.json");
        LargeHead(out var weight).Save(path);
        var text = File.ReadAllText(path);
        Assert.Contains("\"base64\"", text);
        Assert.Equal(weight, HeadFile.Load(path).Tensors["linear.weight"].Values());
        // Heads written before the relaxed encoder escaped every '+' as \u002B; a BOM is what some editors add.
        Assert.Contains("+", text);
        File.WriteAllText(path, text.Replace("+", "\\u002B"), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(weight, HeadFile.Load(path).Tensors["linear.weight"].Values());
    }

    [Theory]
    [InlineData("AAAA", "not whole float32")]      // 3 bytes: not a float
    [InlineData("AAAAAA", "not whole float32")]    // not a multiple of 4 characters
    [InlineData("AAAA*AAAAAA=", "not valid base64")] // two floats' length, a character outside the alphabet
    [InlineData("AAA=AAAAAAA=", "not valid base64")] // two floats' length, padding inside
    public void Damaged_base64_is_refused_with_a_clear_error(string base64, string expected)
    {
        var path = Path.Combine(folder, "damaged.head.json");
        LargeHead(out _).Save(path);
        var text = File.ReadAllText(path);
        int start = text.IndexOf("\"base64\":\"", StringComparison.Ordinal) + "\"base64\":\"".Length;
        int end = text.IndexOf('"', start);
        File.WriteAllText(path, text[..start] + base64 + text[end..]);
        var e = Assert.Throws<InvalidDataException>(() => HeadFile.Load(path));
        Assert.Contains("not a head file", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task A_device_as_head_file_is_refused_at_once()
    {
        var load = Task.Run(() => HeadFile.Load("/dev/zero"));
        Assert.Same(load, await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.IsType<NotARegularFileException>(load.Exception!.InnerException);
    }

    [Fact]
    public void A_non_finite_head_is_not_saved_over_a_good_one()
    {
        var path = Path.Combine(folder, "head.json");
        Head(0.2f).Save(path);
        var before = File.ReadAllText(path);
        Assert.Throws<InvalidDataException>(() => Head(float.NaN).Save(path));
        Assert.Equal(before, File.ReadAllText(path));
        Assert.Equal(0.2f, HeadFile.Load(path).Tensors["linear.weight"].Values()![1]);
    }
}
