package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/** {@code y = tanh(x)}; backward from the output, {@code dx = dy (1 - y^2)}. */
public final class Tanh extends ActivationLayer {
  @Override public String name() { return "Tanh"; }
  @Override protected void forwardKernel(Tensor x, Tensor y) { backend.tanhForward(x, y); }
  @Override protected void backwardKernel(Tensor x, Tensor y, Tensor dy, Tensor dx) { backend.tanhBackward(y, dy, dx); }
}
