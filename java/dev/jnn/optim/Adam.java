package dev.jnn.optim;

import dev.jnn.backend.Backends;
import dev.jnn.nn.Parameter;

/**
 * Adam (PyTorch's formulas and defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8), with optional
 * L2 weight decay added to the gradient: {@code m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)}. For decoupled decay use {@link AdamW}.
 *
 * <pre>{@code
 * Adam adam = Adam.builder().lr(1e-3).build();
 * }</pre>
 * Kernel: {@code adam_update}, one call per parameter.
 */
public final class Adam extends AdamBase {
  private Adam(Builder b) { super(b); }

  public static Builder builder() { return new Builder(); }

  @Override String kind() { return "Adam"; }

  @Override
  protected void update(int i, Parameter p, float lr, long t) {
    Backends.get(p.device()).adamUpdate(p.value(), p.grad(), m[i], v[i], lr, cfg, t);
  }

  /** Adam's builder; weight decay (L2, added to the gradient) defaults to 0. */
  public static final class Builder extends AdamBase.BaseBuilder<Builder> {
    Builder() { super(0.0); }

    @Override public Adam build() { return new Adam(this); }
  }
}
