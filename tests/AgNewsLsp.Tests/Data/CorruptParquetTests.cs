using AgNewsLsp.Data;

namespace AgNewsLsp.Tests.Data;

/// <summary>Issue 23: a parquet file whose footer is corrupt is named with its problem, not "Invalid argument".</summary>
public class CorruptParquetTests
{
    [Theory]
    [InlineData(int.MaxValue)] // a footer longer than the file
    [InlineData(-5)]           // a negative footer length
    public void A_corrupt_footer_length_names_the_file_and_the_problem(int footerLength)
    {
        using var folder = new TempFolder();
        var path = folder.Combine("train-00.parquet");
        using (var file = File.Create(path))
        {
            file.Write("PAR1"u8);
            file.Write(new byte[32]);
            file.Write(BitConverter.GetBytes(footerLength));
            file.Write("PAR1"u8);
        }

        var e = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("footer", e.Message);
        Assert.DoesNotContain("Invalid argument", e.Message);
    }
}
