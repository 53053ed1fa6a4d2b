package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/** {@code y = 1 / (1 + exp(-x))}; backward from the output, {@code dx = dy y (1 - y)}. */
public final class Sigmoid extends ActivationLayer {
  @Override public String name() { return "Sigmoid"; }
  @Override protected void forwardKernel(Tensor x, Tensor y) { backend.sigmoidForward(x, y); }
  @Override protected void backwardKernel(Tensor x, Tensor y, Tensor dy, Tensor dx) { backend.sigmoidBackward(y, dy, dx); }
}
