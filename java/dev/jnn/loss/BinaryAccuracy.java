package dev.jnn.loss;

import dev.jnn.tensor.Tensor;

/** Elementwise binary accuracy on host tensors: {@code (pred >= threshold) == (target >= 0.5)}. */
final class BinaryAccuracy {
  private BinaryAccuracy() {}

  static int count(Tensor pred, Tensor target, float threshold) {
    float[] p = pred.data(), t = target.data();
    int po = pred.offset(), to = target.offset(), n = pred.size(), correct = 0;
    for (int i = 0; i < n; i++) if ((p[po + i] >= threshold) == (t[to + i] >= 0.5f)) correct++;
    return correct;
  }
}
