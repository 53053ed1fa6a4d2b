package dev.jnn.optim;

import dev.jnn.backend.Backends;
import dev.jnn.backend.OptimizerConfigs;
import dev.jnn.nn.Parameter;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;

/**
 * Adagrad (PyTorch's formulas and defaults lr 1e-2, eps 1e-10):
 * {@code g = grad + wd p; clr = lr / (1 + (t - 1) lrDecay); s += g^2; p -= clr g / (sqrt(s) + eps)}.
 *
 * <pre>{@code
 * Adagrad opt = Adagrad.builder().lr(0.05).lrDecay(1e-4).build();
 * }</pre>
 * Kernel: {@code adagrad_update}, one call per parameter.
 */
public final class Adagrad extends Optimizer {
  private final OptimizerConfigs.Adagrad cfg;
  private Tensor[] sum = new Tensor[0];

  private Adagrad(Builder b) {
    super(b);
    this.cfg = new OptimizerConfigs.Adagrad((float) b.lrDecay, (float) b.eps, (float) b.weightDecay);
  }

  public static Builder builder() { return new Builder(); }

  public OptimizerConfigs.Adagrad config() { return cfg; }

  @Override
  public String name() {
    return "Adagrad(" + common() + (cfg.lrDecay() > 0 ? ", lrDecay=" + cfg.lrDecay() : "") + ", eps=" + cfg.eps()
        + (cfg.weightDecay() > 0 ? ", weightDecay=" + cfg.weightDecay() : "") + ")";
  }

  @Override protected void allocateState(Parameter[] ps) { sum = zerosLike(ps); }
  @Override protected void moveState(Device d) { retag(sum, d); }

  @Override
  protected void update(int i, Parameter p, float lr, long t) {
    Backends.get(p.device()).adagradUpdate(p.value(), p.grad(), sum[i], lr, cfg, t);
  }

  public Tensor sum(int i) { return sum[i]; }

  @Override protected String[] stateNameArray() { return new String[] {"sum"}; }
  @Override protected Tensor[][] stateArrays() { return new Tensor[][] {sum}; }

  public static final class Builder extends Optimizer.Builder<Builder> {
    private double lrDecay, eps = 1e-10, weightDecay;

    Builder() { super(1e-2); }

    public Builder lrDecay(double d) { lrDecay = d; return this; }
    public Builder eps(double e) { eps = e; return this; }
    public Builder weightDecay(double wd) { weightDecay = wd; return this; }

    @Override public Adagrad build() { return new Adagrad(this); }
  }
}
