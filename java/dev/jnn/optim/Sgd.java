package dev.jnn.optim;

import dev.jnn.backend.Backends;
import dev.jnn.backend.OptimizerConfigs;
import dev.jnn.nn.Parameter;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum, dampening and (L2)
 * weight decay, PyTorch's formulas: {@code g = grad + wd p; buf = momentum buf + (1 - dampening) g}
 * ({@code buf = g} at step 1); {@code g = nesterov ? g + momentum buf : buf}; {@code p -= lr g}.
 *
 * <pre>{@code
 * Sgd sgd = Sgd.builder().lr(0.1).momentum(0.9).nesterov(true).weightDecay(5e-4).build();
 * }</pre>
 * Kernel: {@code sgd_update}, one call per parameter.
 */
public final class Sgd extends Optimizer {
  private final OptimizerConfigs.Sgd cfg;
  private Tensor[] velocity = new Tensor[0];

  private Sgd(Builder b) {
    super(b);
    this.cfg = new OptimizerConfigs.Sgd((float) b.momentum, (float) b.dampening, (float) b.weightDecay, b.nesterov);
  }

  public static Builder builder() { return new Builder(); }

  public OptimizerConfigs.Sgd config() { return cfg; }

  @Override
  public String name() {
    return "SGD(" + common() + (cfg.momentum() > 0 ? ", momentum=" + cfg.momentum() : "") + (cfg.nesterov() ? ", nesterov" : "")
        + (cfg.dampening() > 0 ? ", dampening=" + cfg.dampening() : "") + (cfg.weightDecay() > 0 ? ", weightDecay=" + cfg.weightDecay() : "") + ")";
  }

  @Override protected void allocateState(Parameter[] ps) { velocity = zerosLike(ps); }
  @Override protected void moveState(Device d) { retag(velocity, d); }

  @Override
  protected void update(int i, Parameter p, float lr, long t) {
    Backends.get(p.device()).sgdUpdate(p.value(), p.grad(), velocity[i], lr, cfg, t);
  }

  @Override protected String[] stateNameArray() { return new String[] {"momentum_buffer"}; }
  @Override protected Tensor[][] stateArrays() { return new Tensor[][] {velocity}; }

  /** Momentum buffer of parameter i (for inspection and tests). */
  public Tensor velocity(int i) { return velocity[i]; }

  public static final class Builder extends Optimizer.Builder<Builder> {
    private double momentum, dampening, weightDecay;
    private boolean nesterov;

    Builder() { super(0.01); }

    public Builder momentum(double m) { momentum = m; return this; }
    public Builder dampening(double d) { dampening = d; return this; }
    public Builder weightDecay(double wd) { weightDecay = wd; return this; }
    public Builder nesterov(boolean n) { nesterov = n; return this; }

    @Override public Sgd build() { return new Sgd(this); }
  }
}
