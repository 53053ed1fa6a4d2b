package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/** {@code y = max(x, 0)}; backward {@code dx = dy * (x > 0)} (kernels relu_forward / relu_backward). */
public final class ReLU extends ActivationLayer {
  @Override public String name() { return "ReLU"; }
  @Override protected void forwardKernel(Tensor x, Tensor y) { backend.reluForward(x, y); }
  @Override protected void backwardKernel(Tensor x, Tensor y, Tensor dy, Tensor dx) { backend.reluBackward(x, dy, dx); }
}
