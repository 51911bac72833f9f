namespace AgNewsLsp.Model.Checkpoints;

/// <summary>
/// Maps the initializers of a BERT exported to ONNX onto Hugging Face state-dict names.
/// Embedding, bias and LayerNorm initializers keep their names in the export; the matrix weights of
/// each layer become anonymous initializers ("927") stored transposed ([in, out]) and consumed by MatMul.
/// Each such MatMul feeds an Add with a named bias, so the weight's name is read off the graph:
/// "…query.bias" names the weight "…query.weight". Numbering is never trusted.
/// </summary>
public static class OnnxBertImporter
{
    public static Dictionary<string, OnnxTensor> ReadWeights(OnnxGraph graph)
    {
        var weights = new Dictionary<string, OnnxTensor>();
        foreach (var (name, tensor) in graph.Initializers)
            if (IsHuggingFaceName(name))
                weights[name] = tensor;

        var consumers = graph.Nodes
            .SelectMany(node => node.Inputs.Select(input => (input, node)))
            .ToLookup(p => p.input, p => p.node);

        foreach (var matmul in graph.Nodes.Where(n => n.OpType == "MatMul"))
        {
            var anonymous = matmul.Inputs.Where(i => graph.Initializers.ContainsKey(i) && !IsHuggingFaceName(i)).ToList();
            if (anonymous.Count == 0) continue; // activations x activations (attention scores)
            if (anonymous.Count > 1)
                throw new InvalidDataException($"MatMul {matmul.Name} multiplies two initializers; not a BERT export.");
            var matrix = graph.Initializers[anonymous[0]];
            if (matrix.Shape.Length != 2)
                throw new InvalidDataException($"Initializer {matrix.Name} feeding {matmul.Name} is not a matrix.");

            var bias = matmul.Outputs
                .SelectMany(output => consumers[output])
                .Where(n => n.OpType == "Add")
                .SelectMany(n => n.Inputs)
                .FirstOrDefault(i => i.EndsWith(".bias", StringComparison.Ordinal) && graph.Initializers.ContainsKey(i))
                ?? throw new InvalidDataException(
                    $"MatMul {matmul.Name} (weight {matrix.Name}) feeds no Add with a named bias; cannot name its weight.");

            var weightName = bias[..^"bias".Length] + "weight";
            if (weights.ContainsKey(weightName))
                throw new InvalidDataException($"Two initializers map to {weightName} ({matrix.Name} and another).");
            weights[weightName] = Transpose(matrix, weightName);
        }
        return weights;
    }

    private static bool IsHuggingFaceName(string name) =>
        name.StartsWith("embeddings.", StringComparison.Ordinal) || name.StartsWith("encoder.", StringComparison.Ordinal) ||
        name.StartsWith("pooler.", StringComparison.Ordinal);

    /// <summary>[in, out] (MatMul's right operand) to [out, in] (torch.nn.Linear's weight).</summary>
    private static OnnxTensor Transpose(OnnxTensor matrix, string name)
    {
        int rows = (int)matrix.Shape[0], cols = (int)matrix.Shape[1];
        var data = new float[matrix.Data.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                data[c * rows + r] = matrix.Data[r * cols + c];
        return new OnnxTensor(name, [cols, rows], data);
    }
}
