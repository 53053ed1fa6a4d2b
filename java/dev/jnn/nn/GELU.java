package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/** Exact GELU {@code y = x Phi(x)} (erf form, PyTorch's default); backward {@code dx = dy (Phi(x) + x phi(x))}. */
public final class GELU extends ActivationLayer {
  @Override public String name() { return "GELU"; }
  @Override protected void forwardKernel(Tensor x, Tensor y) { backend.geluForward(x, y); }
  @Override protected void backwardKernel(Tensor x, Tensor y, Tensor dy, Tensor dx) { backend.geluBackward(x, dy, dx); }
}
