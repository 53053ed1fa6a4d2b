package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/** {@code y = x > 0 ? x : slope * x} (default slope 0.01, PyTorch's); kernels leaky_relu_forward / leaky_relu_backward. */
public final class LeakyReLU extends ActivationLayer {
  private final float slope;
  private final String name;

  public LeakyReLU() { this(0.01f); }

  public LeakyReLU(float slope) {
    if (!Float.isFinite(slope)) throw new IllegalArgumentException("LeakyReLU: slope must be finite, got " + slope);
    this.slope = slope;
    this.name = "LeakyReLU(" + slope + ")";
  }

  /** {@code new LeakyReLU(0.2)}: the slope as a double (stored as a float). */
  public LeakyReLU(double slope) { this((float) slope); }

  public float slope() { return slope; }
  @Override public String name() { return name; }
  @Override protected void forwardKernel(Tensor x, Tensor y) { backend.leakyReluForward(x, y, slope); }
  @Override protected void backwardKernel(Tensor x, Tensor y, Tensor dy, Tensor dx) { backend.leakyReluBackward(x, dy, dx, slope); }
}
