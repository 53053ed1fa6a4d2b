package dev.jnn.nn;

/**
 * Batch normalization of NCHW input per channel, over the batch and the spatial plane
 * (PyTorch's {@code nn.BatchNorm2d}); see {@link BatchNorm} for the semantics.
 *
 * <pre>{@code
 * new BatchNorm2d(32);                 // momentum 0.1, eps 1e-5
 * }</pre>
 */
public final class BatchNorm2d extends BatchNorm {
  public BatchNorm2d(int channels) { this(channels, DEFAULT_MOMENTUM, DEFAULT_EPS); }

  public BatchNorm2d(int channels, float momentum, float eps) { super("BatchNorm2d", channels, momentum, eps); }

  /** {@code new BatchNorm2d(32, 0.01, 1e-3)}: momentum and eps as doubles (stored as floats). */
  public BatchNorm2d(int channels, double momentum, double eps) { this(channels, (float) momentum, (float) eps); }

  @Override int inputRank() { return 4; }
  @Override String expectedShape() { return "[batch, " + numFeatures() + ", height, width]"; }
}
