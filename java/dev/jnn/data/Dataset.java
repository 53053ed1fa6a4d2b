package dev.jnn.data;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An in-memory supervised data set on the host: features (n, f) (or (n, c, h, w) and any other
 * rank >= 2: one sample per index of dimension 0) and float targets (n, t), row i of one belonging
 * to row i of the other. Targets are values for MSE, 0/1 (or soft) labels for
 * the binary losses, and class ids (n, 1) for softmax cross-entropy.
 *
 * <p>{@code fit} and {@code evaluate} copy shuffled rows into batch tensors on the model's
 * device, so a data set on either host device serves a model on any device.
 *
 * <pre>{@code
 * Dataset train = new Dataset(Tensor.of(x, 1000, 10), Tensor.of(y, 1000, 1));
 * Dataset digits = Dataset.ofLabels(features, labels);        // int class ids -> (n, 1) targets
 * Dataset head = train.slice(0, 100);                          // views, no copy
 * Dataset pairs = new Dataset(List.of(left, right), targets);  // a two-input model's data
 * }</pre>
 *
 * <p>A model with several inputs (a {@code dev.jnn.nn.Graph}) takes a data set with one feature
 * tensor per input, in the graph's input order; {@link #features()} is the first.
 */
public final class Dataset {
  private final Tensor features, targets;
  private final Tensor[] inputs;   // inputs[0] == features

  public Dataset(Tensor features, Tensor targets) { this(List.of(Objects.requireNonNull(features, "features")), targets); }

  /** One feature tensor per model input (each [samples, ...]), all with the targets' number of samples. */
  public Dataset(List<Tensor> inputs, Tensor targets) {
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(targets, "targets");
    if (inputs.isEmpty()) throw new IllegalArgumentException("Dataset: no inputs");
    String what = inputs.size() == 1 ? "features" : "input 0 features";
    for (int i = 0; i < inputs.size(); i++) {
      Tensor f = Objects.requireNonNull(inputs.get(i), "input " + i);
      String w = inputs.size() == 1 ? "features" : "input " + i + " features";
      if (!f.device().isHost() || !targets.device().isHost())
        throw new IllegalArgumentException("Dataset: " + w + " and targets must be host tensors (java or cpu), got " + f.device() + " and " + targets.device());
      if (f.rank() < 2) throw new IllegalArgumentException("Dataset: " + w + " " + f.shapeString() + " must be [samples, features...] (rank >= 2)");
      if (f.dim(0) != targets.dim(0))
        throw new IllegalArgumentException("Dataset: " + w + " " + f.shapeString() + " and targets " + targets.shapeString() + " have different numbers of samples");
    }
    if (targets.rank() != 2) throw new IllegalArgumentException("Dataset: targets " + targets.shapeString() + " must be [samples, targets]");
    this.inputs = inputs.toArray(new Tensor[0]);
    this.features = this.inputs[0];
    this.targets = targets;
  }

  /** The feature tensors, one per model input. */
  public List<Tensor> inputs() { return List.of(inputs); }

  /** Feature tensor i. */
  public Tensor input(int i) { return inputs[i]; }

  public int numInputs() { return inputs.length; }

  /** Shape of one sample of input i, e.g. [10]. */
  public int[] inputShape(int i) { return java.util.Arrays.copyOfRange(inputs[i].shape(), 1, inputs[i].rank()); }

  /** Copies row arrays (all rows of equal length) into a data set on the java device. */
  public static Dataset of(float[][] x, float[][] y) {
    return new Dataset(matrix("features", x), matrix("targets", y));
  }

  /** Features with integer class ids, stored as (n, 1) float targets (for softmax cross-entropy). */
  public static Dataset ofLabels(Tensor features, int[] labels) {
    Objects.requireNonNull(labels, "labels");
    float[] t = new float[labels.length];
    for (int i = 0; i < labels.length; i++) t[i] = labels[i];
    return new Dataset(features, Tensor.of(features.device(), t, labels.length, 1));
  }

  private static Tensor matrix(String what, float[][] rows) {
    Objects.requireNonNull(rows, what);
    int n = rows.length, c = n == 0 ? 0 : rows[0].length;
    float[] d = new float[n * c];
    for (int i = 0; i < n; i++) {
      if (rows[i] == null || rows[i].length != c)
        throw new IllegalArgumentException("Dataset: " + what + " row " + i + " has " + (rows[i] == null ? "no" : rows[i].length) + " values, expected " + c);
      System.arraycopy(rows[i], 0, d, i * c, c);
    }
    return Tensor.of(d, n, c);
  }

  public Tensor features() { return features; }
  public Tensor targets() { return targets; }
  public int size() { return features.dim(0); }
  /** Values per sample (the product of the feature dimensions after the first). */
  public int numFeatures() { return features.dim(0) == 0 ? Tensor.sizeOf(featureShape()) : features.size() / features.dim(0); }
  /** Shape of one sample's features, e.g. [10] or [1, 28, 28]. */
  public int[] featureShape() { return java.util.Arrays.copyOfRange(features.shape(), 1, features.rank()); }

  /** The same data with each sample's features flattened to one row: (n, numFeatures), a view (no copy). */
  public Dataset flatten() {
    if (inputs.length != 1) throw new IllegalStateException("Dataset.flatten: a data set of " + inputs.length + " inputs");
    return features.rank() == 2 ? this : new Dataset(features.reshape(size(), numFeatures()), targets);
  }
  public int numTargets() { return targets.dim(1); }

  /** Rows [from, to) as views (no copy). */
  public Dataset slice(int from, int to) {
    if (from < 0 || to < from || to > size())
      throw new IllegalArgumentException("Dataset.slice: [" + from + ", " + to + ") outside [0, " + size() + ")");
    List<Tensor> in = new ArrayList<>();
    for (Tensor t : inputs) in.add(t.rows(from, to - from));
    return new Dataset(in, targets.rows(from, to - from));
  }

  /** The same data tagged with another host device (no copy). */
  public Dataset to(Device device) {
    List<Tensor> in = new ArrayList<>();
    for (Tensor t : inputs) in.add(t.to(device));
    return new Dataset(in, targets.to(device));
  }

  /**
   * Throws {@link IllegalArgumentException} naming the first NaN or infinite value (tensor, row,
   * column); {@code what} names the data set in the message ("training data").
   */
  public void requireFinite(String what) {
    for (int i = 0; i < inputs.length; i++) requireFinite(what, inputs.length == 1 ? "features" : "input " + i + " features", inputs[i]);
    requireFinite(what, "targets", targets);
  }

  private static void requireFinite(String what, String part, Tensor t) {
    float[] d = t.data();
    int cols = t.dim(0) == 0 ? 1 : t.size() / t.dim(0);
    for (int i = 0, n = t.size(), o = t.offset(); i < n; i++) {
      float v = d[o + i];
      if (!Float.isFinite(v))
        throw new IllegalArgumentException(what + ": " + part + " " + t.shapeString() + " hold " + v + " at row " + i / cols + ", column " + i % cols
            + "; clean or drop non-finite samples before training");
    }
  }

  @Override
  public String toString() {
    String f = features.rank() == 2 ? numFeatures() + " features" : "features " + java.util.Arrays.toString(featureShape());
    return "Dataset(" + size() + " samples, " + (inputs.length > 1 ? inputs.length + " inputs, first: " : "") + f + ", " + numTargets() + " targets)";
  }
}
