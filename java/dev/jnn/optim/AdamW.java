package dev.jnn.optim;

import dev.jnn.backend.Backends;
import dev.jnn.nn.Parameter;

/**
 * AdamW (Loshchilov and Hutter; PyTorch's defaults, weight decay 0.01): decoupled weight decay
 * {@code p *= 1 - lr wd}, then the Adam step without an L2 term.
 *
 * <pre>{@code
 * AdamW opt = AdamW.builder().lr(3e-4).weightDecay(0.1).build();
 * }</pre>
 * Kernel: {@code adamw_update}, one call per parameter.
 */
public final class AdamW extends AdamBase {
  private AdamW(Builder b) { super(b); }

  public static Builder builder() { return new Builder(); }

  @Override String kind() { return "AdamW"; }

  @Override
  protected void update(int i, Parameter p, float lr, long t) {
    Backends.get(p.device()).adamwUpdate(p.value(), p.grad(), m[i], v[i], lr, cfg, t);
  }

  /** Same options as Adam's builder; weight decay defaults to 0.01 and is decoupled. */
  public static final class Builder extends AdamBase.BaseBuilder<Builder> {
    Builder() { super(0.01); }

    @Override public AdamW build() { return new AdamW(this); }
  }
}
