namespace AgNewsLsp.Features;

/// <summary>A row-major matrix held flat (as a tensor's data comes out) cut into its rows.</summary>
public static class RowMajor
{
    public static float[][] Rows(ReadOnlySpan<float> flat, int width)
    {
        var rows = new float[flat.Length / width][];
        for (int r = 0; r < rows.Length; r++) rows[r] = flat.Slice(r * width, width).ToArray();
        return rows;
    }
}
