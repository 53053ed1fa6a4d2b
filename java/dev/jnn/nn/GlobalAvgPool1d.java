package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/**
 * Global average pooling over time: (B, T, F) to (B, F), the mean over the steps (Keras'
 * {@code GlobalAveragePooling1D} on channels-last sequences), optionally masked.
 *
 * <pre>{@code
 * GlobalAvgPool1d pool = new GlobalAvgPool1d();
 * Tensor y = pool.forward(h, true);       // h [B, T, F] -> y [B, F]
 * pool.setMask(mask);                     // mask [B, T] of 0/1: mean over the steps with 1 only
 * Tensor ym = pool.forward(h, true);      // a row without any valid step gives 0 (no NaN)
 * pool.setMask(null);                     // unmasked again
 * }</pre>
 *
 * The mask stays set for the following forwards until replaced or cleared; its batch and
 * steps must match the input's. Backward spreads {@code dy / count} over the valid steps.
 * The loops run in Java over the host arrays (no backend kernel exists for this yet).
 */
public final class GlobalAvgPool1d extends Layer {
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Buffers last;
  private Tensor mask;

  private static final class Buffers {
    final Tensor y, dx;
    final float[] weight;   // per (b, t): mask / count of row b (1/T unmasked), as used by the last forward

    Buffers(GlobalAvgPool1d l, Tensor x) {
      y = Tensor.zeros(l.device(), x.dim(0), x.dim(2));
      dx = Tensor.zeros(l.device(), x.shape());
      weight = new float[x.dim(0) * x.dim(1)];
    }
  }

  @Override public String name() { return "GlobalAvgPool1d"; }

  /** A (B, T) mask of 0/1 for the following forwards (null: none). */
  public void setMask(Tensor mask) {
    if (mask != null) {
      checkDevice("mask", mask);
      if (mask.rank() != 2) throw new IllegalArgumentException("GlobalAvgPool1d: mask " + mask.shapeString() + " must have rank 2 [batch, steps]");
      float[] d = mask.data();
      for (int i = 0; i < mask.size(); i++) {
        float v = d[mask.offset() + i];
        if (v != 0f && v != 1f)
          throw new IllegalArgumentException("GlobalAvgPool1d: mask " + mask.shapeString() + " element " + i + " is " + v + "; a mask holds 0 or 1 only");
      }
    }
    this.mask = mask;
  }

  public Tensor mask() { return mask; }

  private static void check(int[] s) {
    if (s.length != 3)
      throw new IllegalArgumentException("GlobalAvgPool1d: input " + shapeString(s) + " must have rank 3 [batch, steps, features], got rank " + s.length);
    if (s[1] == 0) throw new IllegalArgumentException("GlobalAvgPool1d: input " + shapeString(s) + " has no steps");
  }

  @Override
  public int[] outputShape(int[] s) {
    check(s);
    return new int[] {s[0], s[2]};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    checkInput(x);
    Buffers b = cache.get(x);
    if (b == null) {
      check(x.shape());
      b = cache.put(x, new Buffers(this, x));
    }
    int B = x.dim(0), T = x.dim(1), F = x.dim(2);
    if (mask != null && (mask.dim(0) != B || mask.dim(1) != T))
      throw new IllegalArgumentException("GlobalAvgPool1d: mask " + mask.shapeString() + " does not match input " + x.shapeString() + " (must be [" + B + ", " + T + "])");
    for (int i = 0; i < B; i++) {
      int count = T;
      if (mask != null) {
        count = 0;
        for (int t = 0; t < T; t++) if (mask.data()[mask.offset() + i * T + t] != 0f) count++;
      }
      float inv = count == 0 ? 0f : 1f / count;
      for (int t = 0; t < T; t++) b.weight[i * T + t] = mask == null || mask.data()[mask.offset() + i * T + t] != 0f ? inv : 0f;
    }
    float[] xd = x.data(), yd = b.y.data();
    int xo = x.offset();
    for (int i = 0; i < B; i++) {
      for (int f = 0; f < F; f++) {
        double s = 0;
        for (int t = 0; t < T; t++) {
          float w = b.weight[i * T + t];
          if (w != 0f) s += (double) w * xd[xo + (i * T + t) * F + f];
        }
        yd[b.y.offset() + i * F + f] = (float) s;
      }
    }
    last = b;
    return b.y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    checkGradOutput(dy, last == null ? null : last.y);
    if (!inputGradRequired()) return null;
    Buffers b = last;
    int B = b.dx.dim(0), T = b.dx.dim(1), F = b.dx.dim(2);
    float[] dd = dy.data(), xd = b.dx.data();
    int dyo = dy.offset(), dxo = b.dx.offset();
    for (int i = 0; i < B; i++)
      for (int t = 0; t < T; t++) {
        float w = b.weight[i * T + t];
        for (int f = 0; f < F; f++) xd[dxo + (i * T + t) * F + f] = w * dd[dyo + i * F + f];
      }
    return b.dx;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    last = null;
    mask = null;
  }
}
