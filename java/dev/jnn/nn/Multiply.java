package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/**
 * Elementwise product of two or more inputs of one shape (Keras' {@code Multiply}; a gate):
 * {@code y = x0 * x1 * ...}; backward {@code dx_i = dy * prod_{j != i} x_j}. Kernels: {@code mul}.
 *
 * <pre>{@code
 * Node gated = g.apply(new Multiply(), values, g.apply(new Sigmoid(), gates));
 * }</pre>
 */
public final class Multiply extends MergeLayer {
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Buffers last;
  private Tensor[] lastInputs = new Tensor[0], grads = new Tensor[0];

  private static final class Buffers implements AutoCloseable {
    final Tensor y;
    final Tensor[] dx;
    Buffers(Multiply m, Tensor[] xs) {
      y = Tensor.zeros(m.device(), xs[0].shape());
      dx = new Tensor[xs.length];
      for (int i = 0; i < xs.length; i++) dx[i] = Tensor.zeros(m.device(), xs[0].shape());
    }
    @Override public void close() {
      Tensor.closeAll(y);
      Tensor.closeAll(dx);
    }
  }

  @Override public String name() { return "Multiply"; }

  @Override
  public int[] outputShape(int[][] s) { return oneShape(s); }

  @Override
  public Tensor forward(Tensor[] xs, boolean training) {
    checkInputs(xs);
    requireOneShape(xs);
    Buffers b = cache.get(xs[0]);
    if (b == null || b.dx.length != xs.length) {
      if (b != null) cache.clear();
      b = cache.put(xs[0], new Buffers(this, xs));
    }
    backend.mul(xs[0], xs[1], b.y);
    for (int i = 2; i < xs.length; i++) backend.mul(b.y, xs[i], b.y);
    if (lastInputs.length != xs.length) {
      lastInputs = new Tensor[xs.length];
      grads = new Tensor[xs.length];
    }
    System.arraycopy(xs, 0, lastInputs, 0, xs.length);
    last = b;
    return b.y;
  }

  @Override
  public Tensor[] backwardAll(Tensor dy) {
    checkGradOutput(dy, last == null ? null : last.y);
    Tensor[] out = grads;
    for (int i = 0; i < lastInputs.length; i++) {
      out[i] = inputGradRequired(i) ? last.dx[i] : null;
      if (out[i] == null) continue;
      Tensor d = last.dx[i];
      boolean first = true;
      for (int j = 0; j < lastInputs.length; j++) {
        if (j == i) continue;
        backend.mul(first ? dy : d, lastInputs[j], d);
        first = false;
      }
    }
    return out;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    last = null;
  }
}
