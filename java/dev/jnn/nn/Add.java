package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/**
 * Elementwise sum of two or more inputs of one shape (Keras' {@code Add}; a residual
 * connection): {@code y = x0 + x1 + ...}; backward passes {@code dy} to every input (the same
 * tensor, not a copy). Kernels: {@code add}.
 *
 * <pre>{@code
 * Node y = g.apply(new Add(), x, g.apply(block, x));     // x + block(x)
 * }</pre>
 */
public final class Add extends MergeLayer {
  private final ShapeCache<Tensor> out = new ShapeCache<>();
  private Tensor lastY;
  private Tensor[] grads = new Tensor[0];

  @Override public String name() { return "Add"; }

  @Override
  public int[] outputShape(int[][] s) { return oneShape(s); }

  @Override
  public Tensor forward(Tensor[] xs, boolean training) {
    checkInputs(xs);
    requireOneShape(xs);
    Tensor y = out.get(xs[0]);
    if (y == null) y = out.put(xs[0], Tensor.zeros(device(), xs[0].shape()));
    backend.add(xs[0], xs[1], y);
    for (int i = 2; i < xs.length; i++) backend.add(y, xs[i], y);
    if (grads.length != xs.length) grads = new Tensor[xs.length];
    lastY = y;
    return y;
  }

  @Override
  public Tensor[] backwardAll(Tensor dy) {
    checkGradOutput(dy, lastY);
    for (int i = 0; i < grads.length; i++) grads[i] = inputGradRequired(i) ? dy : null;
    return grads;
  }

  @Override
  protected void onDeviceChanged() {
    out.clear();
    lastY = null;
  }
}
