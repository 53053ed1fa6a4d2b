package dev.jnn.loss;

import dev.jnn.backend.Backend;
import dev.jnn.tensor.Tensor;

/** Mean squared error {@code mean((pred - target)^2)} over all elements (PyTorch's MSELoss); no accuracy. */
public final class MseLoss extends Loss {
  @Override public String name() { return "MseLoss"; }
  @Override protected float forwardKernel(Backend be, Tensor p, Tensor t) { return be.mseForward(p, t); }
  @Override protected void backwardKernel(Backend be, Tensor p, Tensor t, Tensor g) { be.mseBackward(p, t, g); }
}
