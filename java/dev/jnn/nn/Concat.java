package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/**
 * Concatenation of two or more inputs along one axis (Keras' {@code Concatenate}, PyTorch's
 * {@code torch.cat}): the inputs agree on every other dimension. The axis counts the batch
 * dimension, so it is at least 1 (or negative, from the end: {@code -1} is the last axis, the
 * default). Backward gives each input its slice of {@code dy}.
 *
 * <p>Kernels: {@code copy}, one per input and per index of the dimensions before the axis (views
 * of contiguous runs; for the last axis of a (B, F) input that is B copies per input).
 *
 * <pre>{@code
 * Node both = g.apply(new Concat(-1), a, b);     // (B, 16) and (B, 8) -> (B, 24)
 * }</pre>
 */
public final class Concat extends MergeLayer {
  private final int axis;
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Buffers last;

  /** Output, input gradients, and views of contiguous runs: per input i and outer index o, y[o, off_i : off_i + run_i] is x_i[o, :]. */
  private static final class Buffers implements AutoCloseable {
    final int[][] shapes;
    final Tensor y;
    final Tensor[] dx, grads;
    final Tensor[][] yRuns, dxRuns, xRuns;
    final Tensor[] xSource;
    final Tensor[][] dyRuns;
    Tensor dySource;
    final int outer;
    final int[] run;

    Buffers(Concat c, Tensor[] xs, int ax) {
      int n = xs.length;
      shapes = new int[n][];
      for (int i = 0; i < n; i++) shapes[i] = xs[i].shape();
      int[] ys = shapes[0].clone();
      ys[ax] = 0;
      for (int[] s : shapes) ys[ax] += s[ax];
      int o = 1;
      for (int d = 0; d < ax; d++) o *= ys[d];
      outer = o;
      y = Tensor.zeros(c.device(), ys);
      dx = new Tensor[n];
      grads = new Tensor[n];
      run = new int[n];
      yRuns = new Tensor[n][outer];
      dxRuns = new Tensor[n][outer];
      xRuns = new Tensor[n][outer];
      xSource = new Tensor[n];
      dyRuns = new Tensor[n][outer];
      int rowY = y.size() / Math.max(outer, 1), off = 0;
      Tensor yFlat = y.reshape(y.size());
      for (int i = 0; i < n; i++) {
        dx[i] = Tensor.zeros(c.device(), shapes[i]);
        run[i] = xs[i].size() / Math.max(outer, 1);
        Tensor dxFlat = dx[i].reshape(dx[i].size());
        for (int k = 0; k < outer; k++) {
          yRuns[i][k] = yFlat.view(k * rowY + off, run[i]);
          dxRuns[i][k] = dxFlat.view(k * run[i], run[i]);
        }
        off += run[i];
      }
    }

    boolean fits(Tensor[] xs) {
      if (xs.length != shapes.length) return false;
      for (int i = 0; i < xs.length; i++) if (!xs[i].hasShape(shapes[i])) return false;
      return true;
    }

    /** Views of x's runs, rebuilt only when a new tensor arrives at input i (usually the same buffer every step). */
    Tensor[] xRuns(int i, Tensor x) {
      if (xSource[i] != x) {
        Tensor flat = x.reshape(x.size());
        for (int k = 0; k < outer; k++) xRuns[i][k] = flat.view(k * run[i], run[i]);
        xSource[i] = x;
      }
      return xRuns[i];
    }

    /** Views of dy's runs, per input (dy is usually the same tensor every step). */
    Tensor[][] dyRuns(Tensor dy) {
      if (dy == y) return yRuns;
      if (dySource != dy) {
        Tensor flat = dy.reshape(dy.size());
        int rowY = dy.size() / Math.max(outer, 1), off = 0;
        for (int i = 0; i < run.length; i++) {
          for (int k = 0; k < outer; k++) dyRuns[i][k] = flat.view(k * rowY + off, run[i]);
          off += run[i];
        }
        dySource = dy;
      }
      return dyRuns;
    }

    @Override public void close() {
      Tensor.closeAll(y);
      Tensor.closeAll(dx);
    }
  }

  /** Concatenation along the last axis. */
  public Concat() { this(-1); }

  public Concat(int axis) {
    if (axis == 0) throw new IllegalArgumentException("Concat: axis 0 is the batch dimension; concatenate along axis >= 1 or a negative axis");
    this.axis = axis;
  }

  /** The axis as given (negative: from the end). */
  public int axis() { return axis; }

  @Override public String name() { return "Concat(axis " + axis + ")"; }

  private int resolve(int rank, String shapes) {
    int a = axis < 0 ? rank + axis : axis;
    if (a < 1 || a >= rank)
      throw new IllegalArgumentException(name() + ": axis " + axis + " does not fit inputs of rank " + rank + " (" + shapes + "); the batch axis 0 cannot be "
          + "concatenated");
    return a;
  }

  @Override
  public int[] outputShape(int[][] s) {
    int a = resolve(s[0].length, shapes(s));
    int[] out = s[0].clone();
    for (int i = 1; i < s.length; i++) {
      boolean ok = s[i].length == s[0].length;
      for (int d = 0; ok && d < s[0].length; d++) if (d != a && !Graph.sameDim(s[i][d], s[0][d])) ok = false;
      if (!ok) throw new IllegalArgumentException(name() + ": inputs must agree on every axis but " + a + ", got " + shapes(s));
      out[a] += s[i][a];
    }
    return out;
  }

  @Override
  public Tensor forward(Tensor[] xs, boolean training) {
    checkInputs(xs);
    int[][] ss = new int[xs.length][];
    Buffers b = cache.get(xs[0]);
    if (b == null || !b.fits(xs)) {
      for (int i = 0; i < xs.length; i++) ss[i] = xs[i].shape();
      int[] ys = outputShape(ss);
      if (b != null) cache.clear();
      b = cache.put(xs[0], new Buffers(this, xs, resolve(ys.length, "")));
    }
    for (int i = 0; i < xs.length; i++) {
      Tensor[] src = b.xRuns(i, xs[i]);
      for (int k = 0; k < b.outer; k++) backend.copy(src[k], b.yRuns[i][k]);
    }
    last = b;
    return b.y;
  }

  @Override
  public Tensor[] backwardAll(Tensor dy) {
    checkGradOutput(dy, last == null ? null : last.y);
    Buffers b = last;
    Tensor[][] src = b.dyRuns(dy);
    for (int i = 0; i < b.dx.length; i++) {
      b.grads[i] = inputGradRequired(i) ? b.dx[i] : null;
      if (b.grads[i] != null) for (int k = 0; k < b.outer; k++) backend.copy(src[i][k], b.dxRuns[i][k]);
    }
    return b.grads;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    last = null;
  }
}
