package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/**
 * Flattens every dimension after the batch: (N, d1, ..., dk) to (N, d1 x ... x dk), e.g.
 * (N, C, H, W) to (N, C H W) in NCHW order (PyTorch's {@code nn.Flatten()}, start_dim 1). The
 * output is a view of the input (no copy, no kernel), and backward returns the output gradient
 * viewed with the input's shape. A rank-2 input passes through unchanged.
 *
 * <p>The views are cached per tensor object (a handful of entries, least recently used out): in
 * a training loop the input is the previous layer's reused output buffer and the gradient the
 * next layer's reused input-gradient buffer, so the steady state creates no view objects.
 */
public final class Flatten extends Layer {
  private static final int SLOTS = ShapeCache.DEFAULT_CAPACITY;

  /** Identity-keyed view cache: views[i] is a reshape of sources[i]. */
  private static final class Views {
    final Tensor[] sources = new Tensor[SLOTS], views = new Tensor[SLOTS];
    final long[] used = new long[SLOTS];
    long clock;

    Tensor get(Tensor src, int... shape) {
      int free = 0;
      for (int i = 0; i < SLOTS; i++) {
        if (sources[i] == src && views[i].hasShape(shape)) {
          used[i] = ++clock;
          return views[i];
        }
        if (used[i] < used[free]) free = i;
      }
      sources[free] = src;
      views[free] = src.reshape(shape);
      used[free] = ++clock;
      return views[free];
    }

    /** Like get, without allocating the shape array on a hit: the view of src with (rows, cols). */
    Tensor get2(Tensor src, int rows, int cols) {
      for (int i = 0; i < SLOTS; i++) {
        Tensor v = views[i];
        if (sources[i] == src && v.rank() == 2 && v.dim(0) == rows && v.dim(1) == cols) {
          used[i] = ++clock;
          return v;
        }
      }
      return get(src, rows, cols);
    }

    /** The view of src with the shape of like, allocation-free on a hit. */
    Tensor getLike(Tensor src, Tensor like) {
      for (int i = 0; i < SLOTS; i++) {
        Tensor v = views[i];
        if (sources[i] == src && v.sameShape(like)) {
          used[i] = ++clock;
          return v;
        }
      }
      return get(src, like.shape());
    }

    void clear() {
      for (int i = 0; i < SLOTS; i++) { sources[i] = null; views[i] = null; used[i] = 0; }
    }
  }

  private final Views forwardViews = new Views(), backwardViews = new Views();
  private Tensor lastInput, lastOutput;

  @Override public String name() { return "Flatten"; }

  /** First flattened dimension: always 1 (PyTorch's default start_dim; the batch dimension stays). */
  public int startDim() { return 1; }

  /** Last flattened dimension: always -1, the last (PyTorch's default end_dim). */
  public int endDim() { return -1; }

  private static void check(int[] s) {
    if (s.length < 2)
      throw new IllegalArgumentException("Flatten: input " + shapeString(s) + " must have a batch dimension and at least one more (rank >= 2), got rank "
          + s.length);
  }

  @Override
  public int[] outputShape(int[] s) {
    check(s);
    long f = 1;
    for (int i = 1; i < s.length; i++) f *= s[i];
    if (f > Integer.MAX_VALUE) throw new IllegalArgumentException("Flatten: input " + shapeString(s) + " has more than 2^31-1 features per sample");
    return new int[] {s[0], (int) f};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    checkInput(x);
    if (x.rank() < 2) check(x.shape());
    Tensor y;
    if (x.rank() == 2) y = x;
    else {
      int f = 1;
      for (int i = 1; i < x.rank(); i++) f *= x.dim(i);   // fits an int: x.size() does
      y = forwardViews.get2(x, x.dim(0), f);
    }
    lastInput = x;
    lastOutput = y;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    checkGradOutput(dy, lastOutput);
    if (!inputGradRequired()) return null;
    if (lastInput == lastOutput) return dy;
    return backwardViews.getLike(dy, lastInput);
  }

  @Override
  protected void onDeviceChanged() {
    forwardViews.clear();
    backwardViews.clear();
    lastInput = null;
    lastOutput = null;
  }
}
