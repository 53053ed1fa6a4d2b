package dev.jnn.optim;

import dev.jnn.backend.OptimizerConfigs;
import dev.jnn.nn.Parameter;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;

/**
 * What {@link Adam} and {@link AdamW} share: hyper-parameters (betas, eps, weight decay; one
 * {@link OptimizerConfigs.Adam}), the first and second moment state, and the builder options.
 */
public abstract class AdamBase extends Optimizer {
  final OptimizerConfigs.Adam cfg;
  Tensor[] m = new Tensor[0], v = new Tensor[0];

  AdamBase(BaseBuilder<?> b) {
    super(b);
    this.cfg = new OptimizerConfigs.Adam((float) b.beta1, (float) b.beta2, (float) b.eps, (float) b.weightDecay);
  }

  public OptimizerConfigs.Adam config() { return cfg; }

  @Override
  public String name() {
    return kind() + "(" + common() + ", betas=(" + cfg.beta1() + ", " + cfg.beta2() + "), eps=" + cfg.eps()
        + (cfg.weightDecay() > 0 ? ", weightDecay=" + cfg.weightDecay() : "") + ")";
  }

  abstract String kind();

  @Override
  protected final void allocateState(Parameter[] ps) {
    m = zerosLike(ps);
    v = zerosLike(ps);
  }

  @Override
  protected final void moveState(Device d) {
    retag(m, d);
    retag(v, d);
  }

  @Override protected final String[] stateNameArray() { return new String[] {"exp_avg", "exp_avg_sq"}; }
  @Override protected final Tensor[][] stateArrays() { return new Tensor[][] {m, v}; }

  /** First-moment estimate of parameter i. */
  public Tensor firstMoment(int i) { return m[i]; }
  /** Second-moment estimate of parameter i. */
  public Tensor secondMoment(int i) { return v[i]; }

  /** Options shared by Adam and AdamW. */
  public abstract static class BaseBuilder<B extends BaseBuilder<B>> extends Optimizer.Builder<B> {
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay;

    BaseBuilder(double defaultWeightDecay) {
      super(1e-3);
      this.weightDecay = defaultWeightDecay;
    }

    public B betas(double b1, double b2) { beta1 = b1; beta2 = b2; return self(); }
    public B beta1(double b1) { beta1 = b1; return self(); }
    public B beta2(double b2) { beta2 = b2; return self(); }
    public B eps(double e) { eps = e; return self(); }
    public B weightDecay(double wd) { weightDecay = wd; return self(); }
  }
}
