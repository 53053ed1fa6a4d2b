package dev.jnn.nn;

/**
 * Batch normalization of (N, C) input over the batch, per feature (PyTorch's
 * {@code nn.BatchNorm1d} on 2-D input); see {@link BatchNorm} for the semantics.
 *
 * <pre>{@code
 * new BatchNorm1d(64);                 // momentum 0.1, eps 1e-5
 * new BatchNorm1d(64, 0.01f, 1e-3f);
 * }</pre>
 */
public final class BatchNorm1d extends BatchNorm {
  public BatchNorm1d(int features) { this(features, DEFAULT_MOMENTUM, DEFAULT_EPS); }

  public BatchNorm1d(int features, float momentum, float eps) { super("BatchNorm1d", features, momentum, eps); }

  /** {@code new BatchNorm1d(64, 0.01, 1e-3)}: momentum and eps as doubles (stored as floats). */
  public BatchNorm1d(int features, double momentum, double eps) { this(features, (float) momentum, (float) eps); }

  @Override int inputRank() { return 2; }
  @Override String expectedShape() { return "[batch, " + numFeatures() + "]"; }
}
