package dev.jnn.optim;

import dev.jnn.backend.Backends;
import dev.jnn.backend.OptimizerConfigs;
import dev.jnn.nn.Parameter;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;

/**
 * RMSprop (PyTorch's formulas and defaults lr 1e-2, alpha 0.99, eps 1e-8):
 * {@code g = grad + wd p; s = alpha s + (1 - alpha) g^2; p -= lr g / (sqrt(s) + eps)}.
 *
 * <pre>{@code
 * RmsProp opt = RmsProp.builder().lr(1e-3).alpha(0.9).build();
 * }</pre>
 * Kernel: {@code rmsprop_update}, one call per parameter.
 */
public final class RmsProp extends Optimizer {
  private final OptimizerConfigs.RmsProp cfg;
  private Tensor[] squareAvg = new Tensor[0];

  private RmsProp(Builder b) {
    super(b);
    this.cfg = new OptimizerConfigs.RmsProp((float) b.alpha, (float) b.eps, (float) b.weightDecay);
  }

  public static Builder builder() { return new Builder(); }

  public OptimizerConfigs.RmsProp config() { return cfg; }

  @Override
  public String name() {
    return "RMSprop(" + common() + ", alpha=" + cfg.alpha() + ", eps=" + cfg.eps() + (cfg.weightDecay() > 0 ? ", weightDecay=" + cfg.weightDecay() : "") + ")";
  }

  @Override protected void allocateState(Parameter[] ps) { squareAvg = zerosLike(ps); }
  @Override protected void moveState(Device d) { retag(squareAvg, d); }

  @Override
  protected void update(int i, Parameter p, float lr, long t) {
    Backends.get(p.device()).rmspropUpdate(p.value(), p.grad(), squareAvg[i], lr, cfg);
  }

  public Tensor squareAvg(int i) { return squareAvg[i]; }

  @Override protected String[] stateNameArray() { return new String[] {"square_avg"}; }
  @Override protected Tensor[][] stateArrays() { return new Tensor[][] {squareAvg}; }

  public static final class Builder extends Optimizer.Builder<Builder> {
    private double alpha = 0.99, eps = 1e-8, weightDecay;

    Builder() { super(1e-2); }

    public Builder alpha(double a) { alpha = a; return this; }
    public Builder eps(double e) { eps = e; return this; }
    public Builder weightDecay(double wd) { weightDecay = wd; return this; }

    @Override public RmsProp build() { return new RmsProp(this); }
  }
}
