package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/**
 * Softmax over the last dimension; backward from the output, {@code dx = y (dy - sum(dy y))} per
 * row. For classification train on logits with {@link dev.jnn.loss.SoftmaxCrossEntropyLoss}
 * (fused and stable) and use this layer for probabilities at inference.
 */
public final class Softmax extends ActivationLayer {
  @Override public String name() { return "Softmax"; }

  @Override
  protected void checkShape(int[] s) {
    if (s.length == 0 || s[s.length - 1] == 0)
      throw new IllegalArgumentException("Softmax: input " + shapeString(s) + " needs a non-empty last dimension (the classes)");
  }

  @Override
  protected void checkTensorShape(Tensor x) {
    if (x.dim(-1) == 0)
      throw new IllegalArgumentException("Softmax: input " + x.shapeString() + " needs a non-empty last dimension (the classes)");
  }

  @Override protected void forwardKernel(Tensor x, Tensor y) { backend.softmaxForward(x, y); }
  @Override protected void backwardKernel(Tensor x, Tensor y, Tensor dy, Tensor dx) { backend.softmaxBackward(y, dy, dx); }
}
