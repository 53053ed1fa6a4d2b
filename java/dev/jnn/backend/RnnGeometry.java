package dev.jnn.backend;

/**
 * Geometry of one direction of a single-layer recurrent network (LSTM or GRU, PyTorch's gate
 * conventions) over batch-first contiguous tensors: x is (batch, steps, inputSize), y is
 * (batch, steps, hiddenSize), initial and final states are (batch, hiddenSize).
 *
 * <p>{@code reverse = true} processes t = steps-1 .. 0 (the backward direction of a bidirectional
 * layer); y is still indexed by t, and the final state is the state after t = 0.
 *
 * <pre>{@code
 * var g = new RnnGeometry(8, 35, 64, 128, false);   // batch 8, 35 steps, 64 -> 128
 * g.xShape();                                        // [8, 35, 64]
 * }</pre>
 */
public record RnnGeometry(int batch, int steps, int inputSize, int hiddenSize, boolean reverse) {

  public RnnGeometry {
    positive("batch", batch); positive("steps", steps); positive("inputSize", inputSize); positive("hiddenSize", hiddenSize);
    // the largest tensor of either cell: the (B*T, 4H) gate matrix of an LSTM, and the (4H, I) weights
    if ((long) batch * steps * 4L * hiddenSize > Integer.MAX_VALUE || (long) batch * steps * inputSize > Integer.MAX_VALUE
        || 4L * hiddenSize * Math.max(inputSize, hiddenSize) > Integer.MAX_VALUE)
      throw new IllegalArgumentException("rnn: tensors of this geometry exceed 2^31-1 elements: " + this);
  }

  private static void positive(String name, int v) {
    if (v < 1) throw new IllegalArgumentException("rnn: " + name + " must be >= 1, got " + v);
  }

  /** Shapes of x (B,T,I), y (B,T,H) and of a state h0/c0/hT/cT (B,H). */
  public int[] xShape() { return new int[] {batch, steps, inputSize}; }
  public int[] yShape() { return new int[] {batch, steps, hiddenSize}; }
  public int[] stateShape() { return new int[] {batch, hiddenSize}; }
  /** Shapes of the weights of a cell with {@code gates} gates (4 for LSTM, 3 for GRU). */
  public int[] wIhShape(int gates) { return new int[] {gates * hiddenSize, inputSize}; }
  public int[] wHhShape(int gates) { return new int[] {gates * hiddenSize, hiddenSize}; }

  /** The time index processed at position s (0 .. steps-1) of the recurrence. */
  public int stepAt(int s) { return reverse ? steps - 1 - s : s; }
}
