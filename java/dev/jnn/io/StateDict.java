package dev.jnn.io;

import dev.jnn.nn.Layer;
import dev.jnn.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Loads a PyTorch or Hugging Face state dict (a safetensors file of F32, F16 or BF16 tensors,
 * {@link SafeTensors#readStateDict}) into a network by name: jnn's parameter and buffer paths are
 * PyTorch's ({@code "0.weight"}, {@code "1.running_mean"}, {@code "encoder.layers.0.linear1.bias"}),
 * so a module built with the same structure loads as is. Half-precision tensors are widened to
 * float32 exactly.
 *
 * <pre>{@code
 * # PyTorch: safetensors.torch.save_file(model.state_dict(), "model.safetensors")
 * StateDict.Report r = StateDict.load(net, Path.of("model.safetensors"), true);   // or model.loadStateDict(path, true)
 * }</pre>
 *
 * <p>A tensor whose shape differs from the model's is always an error; with {@code strict}, so
 * is a name the model has and the file lacks (missing) or the other way round (unexpected). The
 * error names every such tensor and nothing is changed. Without {@code strict} the matching
 * tensors load and the report lists the rest. PyTorch's {@code num_batches_tracked} (an int64
 * counter jnn does not keep) must be left out of the file: it is not a float tensor.
 */
public final class StateDict {
  private StateDict() {}

  /** What a load did: the names loaded, the model's names the file lacked, the file's names the model lacks. */
  public record Report(List<String> loaded, List<String> missing, List<String> unexpected) {}

  /** Loads the file's tensors into the network's parameters and buffers by name; see the class comment. */
  public static Report load(Layer network, Path file, boolean strict) throws IOException {
    Objects.requireNonNull(network, "network");
    Map<String, SafeTensors.Entry> in = SafeTensors.readStateDict(file).tensors();
    Map<String, Tensor> mine = new LinkedHashMap<>();
    network.namedParameters().forEach((n, p) -> mine.put(n, p.value()));
    mine.putAll(network.buffers());
    List<String> loaded = new ArrayList<>(), missing = new ArrayList<>(), unexpected = new ArrayList<>(), mismatched = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : mine.entrySet()) {
      SafeTensors.Entry t = in.get(e.getKey());
      if (t == null) missing.add(e.getKey());
      else if (!Arrays.equals(t.shape(), e.getValue().shape()))
        mismatched.add(e.getKey() + " (file " + Arrays.toString(t.shape()) + ", model " + e.getValue().shapeString() + ")");
      else loaded.add(e.getKey());
    }
    for (String n : in.keySet()) if (!mine.containsKey(n)) unexpected.add(n);
    List<String> problems = new ArrayList<>();
    if (!mismatched.isEmpty()) problems.add("shapes differ: " + String.join(", ", mismatched));
    if (strict && !missing.isEmpty()) problems.add("missing from the file: " + String.join(", ", missing));
    if (strict && !unexpected.isEmpty()) problems.add("unexpected (the model has no such parameter or buffer): " + String.join(", ", unexpected));
    if (!problems.isEmpty())
      throw new IllegalArgumentException("loadStateDict " + file + ": " + String.join("; ", problems) + "; nothing was loaded"
          + (strict && mismatched.isEmpty() ? " (strict = false loads the tensors that match)" : ""));
    for (String n : loaded) mine.get(n).copyFrom(in.get(n).data(), 0);
    return new Report(List.copyOf(loaded), List.copyOf(missing), List.copyOf(unexpected));
  }
}
