package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/**
 * Takes chosen positions of each sequence (the masked tokens of masked-language-model training):
 * x (B, T, D) and positions (B, K) of integral values in [0, T) give y (B, K, D) with
 * {@code y[b, k] = x[b, positions[b, k]]}. Backward scatters dy back (positions taken twice get
 * the sum) and leaves the rest of dx zero; the positions get no gradient.
 *
 * <pre>{@code
 * Graph.Node picked = g.apply(new GatherPositions(), sequence, positions);   // (B, T, D), (B, K) -> (B, K, D)
 * }</pre>
 *
 * Kernels: {@code embedding_forward} and {@code embedding_backward} over the (B T, D) rows (a
 * gather and a scatter-add by row index).
 */
public final class GatherPositions extends Layer {
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private float[] hostIds = new float[0];
  private Buffers last;

  private static final class Buffers implements AutoCloseable {
    final int[] rows;
    final Tensor y, y2, dx, dx2;
    Tensor xSrc, x2, dySrc, dy2;   // row views of the last input and gradient, reused while the same tensors come back
    Buffers(GatherPositions l, int b, int t, int k, int d) {
      rows = new int[b * k];
      y = Tensor.zeros(l.device(), b, k, d);
      y2 = y.reshape(b * k, d);
      dx = Tensor.zeros(l.device(), b, t, d);
      dx2 = dx.reshape(b * t, d);
    }
    @Override public void close() { Tensor.closeAll(y, dx); }
  }

  @Override public String name() { return "GatherPositions"; }
  @Override public int arity() { return 2; }

  @Override
  public int[] outputShape(int[][] s) {
    if (s.length != 2 || s[0].length != 3 || s[1].length != 2 || !Graph.sameDim(s[0][0], s[1][0]))
      throw new IllegalArgumentException(name() + ": takes x [batch, steps, features] and positions [batch, k], got "
          + (s.length > 0 ? shapeString(s[0]) : "") + (s.length > 1 ? " and " + shapeString(s[1]) : ""));
    return new int[] {s[0][0], s[1][1], s[0][2]};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    throw new IllegalArgumentException(name() + ": takes x and positions: call forward(new Tensor[] {x, positions}, training)");
  }

  @Override
  public Tensor forward(Tensor[] in, boolean training) {
    if (in == null || in.length != 2) throw new IllegalArgumentException(name() + ": takes x and positions");
    Tensor x = in[0], pos = in[1];
    checkInput(x);
    checkDevice("positions", pos);
    outputShape(new int[][] {x.shape(), pos.shape()});
    if (x.dim(0) != pos.dim(0)) throw new IllegalArgumentException(name() + ": x " + x.shapeString() + " and positions " + pos.shapeString() + " differ in batch");
    int b = x.dim(0), t = x.dim(1), k = pos.dim(1), d = x.dim(2);
    Buffers buf = cache.get(x);
    if (buf == null || buf.rows.length != b * k) {
      if (buf != null) cache.clear();
      buf = cache.put(x, new Buffers(this, b, t, k, d));
    }
    float[] p = pos.hostView(hostIds);
    if (!pos.isHost()) hostIds = p;
    int off = pos.hostStart();
    for (int i = 0; i < b * k; i++) {
      float v = p[off + i];
      if ((int) v != v || v < 0 || v >= t)
        throw new IllegalArgumentException(name() + ": positions " + pos.shapeString() + " element " + i + " is " + v + "; positions must be integers in [0, "
            + t + ")");
      buf.rows[i] = (i / k) * t + (int) v;
    }
    if (buf.xSrc != x) {
      buf.x2 = x.reshape(b * t, d);
      buf.xSrc = x;
    }
    backend.embeddingForward(buf.rows, 0, buf.x2, buf.y2);
    last = buf;
    return buf.y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    checkGradOutput(dy, last == null ? null : last.y);
    if (last.dySrc != dy) {
      last.dy2 = dy.reshape(last.rows.length, dy.dim(2));
      last.dySrc = dy;
    }
    backend.embeddingBackward(last.rows, 0, last.dy2, last.dx2, -1);
    return inputGradRequired() ? last.dx : null;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    last = null;
  }
}
