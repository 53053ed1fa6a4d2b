package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * Applies a layer on rank-2 batches (typically {@link Dense}) at every time step (Keras'
 * {@code TimeDistributed}): (B, T, F) is viewed as (B T, F) (no copy), the inner layer runs once
 * on all steps, and its (B T, F') output is viewed as (B, T, F').
 *
 * <pre>{@code
 * TimeDistributed head = new TimeDistributed(new Dense(64, 10));   // [B, T, 64] -> [B, T, 10]
 * }</pre>
 *
 * Parameters, initialization and device moves are the inner layer's (its only child).
 */
public final class TimeDistributed extends Layer {
  private final Layer inner;
  private final String name;
  private int lastB = -1, lastT = -1;
  private Tensor lastOut;

  public TimeDistributed(Layer inner) {
    this.inner = Objects.requireNonNull(inner, "TimeDistributed: inner layer");
    this.name = "TimeDistributed(" + inner.name() + ")";
  }

  public Layer inner() { return inner; }

  @Override public String name() { return name; }
  /** The inner layer, transparent in dotted paths: its parameters are named as if it stood alone ({@code "0.weight"}). */
  @Override public List<Child> children() { return List.of(child("", inner)); }
  @Override public int inputFeatures() { return inner.inputFeatures(); }

  @Override
  public void setInputGradRequired(boolean required) {
    super.setInputGradRequired(required);
    inner.setInputGradRequired(required);
  }

  private void checkRank(int[] s) {
    if (s.length != 3)
      throw new IllegalArgumentException(name + ": input " + shapeString(s) + " must have rank 3 [batch, steps, features], got rank " + s.length);
  }

  @Override
  public int[] outputShape(int[] s) {
    checkRank(s);
    int bt = s[0] < 0 ? -1 : s[0] * s[1];
    int[] o = inner.outputShape(new int[] {bt, s[2]});
    if (o.length != 2) throw new IllegalArgumentException(name + ": the inner layer must map [rows, features] to [rows, features']");
    return new int[] {s[0], s[1], o[1]};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    checkInput(x);
    checkRank(x.shape());
    int B = x.dim(0), T = x.dim(1);
    Tensor y = inner.call(x.reshape(B * T, x.dim(2)), training);
    if (y.rank() != 2 || y.dim(0) != B * T)
      throw new IllegalStateException(name + ": the inner layer returned " + y.shapeString() + " for " + (B * T) + " rows; it must keep the rows");
    lastB = B;
    lastT = T;
    lastOut = y.reshape(B, T, y.dim(1));
    return lastOut;
  }

  @Override
  public Tensor backward(Tensor dy) {
    checkGradOutput(dy, lastOut);
    Tensor dx = inner.callBackward(dy.reshape(lastB * lastT, dy.dim(2)));
    return dx == null ? null : dx.reshape(lastB, lastT, dx.dim(1));
  }

  @Override
  protected void onDeviceChanged() { lastOut = null; }
}
