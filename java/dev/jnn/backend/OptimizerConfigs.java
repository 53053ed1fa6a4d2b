package dev.jnn.backend;

/**
 * Hyper-parameters of the fused optimizer kernels (PyTorch's formulas and defaults). The
 * learning rate and step number are passed per call, since schedules change them every step.
 */
public final class OptimizerConfigs {
  private OptimizerConfigs() {}

  private static float nonNegative(String what, float v) {
    if (!(v >= 0) || Float.isInfinite(v)) throw new IllegalArgumentException(what + " must be finite and >= 0, got " + v);
    return v;
  }

  private static float unit(String what, float v) {
    if (!(v >= 0 && v < 1)) throw new IllegalArgumentException(what + " must be in [0, 1), got " + v);
    return v;
  }

  private static float positive(String what, float v) {
    if (!(v > 0) || Float.isInfinite(v)) throw new IllegalArgumentException(what + " must be finite and > 0, got " + v);
    return v;
  }

  /** SGD: {@code g = grad + wd*p; buf = momentum*buf + (1-dampening)*g (buf = g at step 1); g = nesterov ? g + momentum*buf : buf; p -= lr*g}. */
  public record Sgd(float momentum, float dampening, float weightDecay, boolean nesterov) {
    public Sgd {
      nonNegative("SGD momentum", momentum);
      nonNegative("SGD dampening", dampening);
      nonNegative("SGD weight decay", weightDecay);
      if (nesterov && (momentum <= 0 || dampening != 0))
        throw new IllegalArgumentException("Nesterov momentum requires momentum > 0 and dampening = 0");
    }
    public static Sgd plain() { return new Sgd(0f, 0f, 0f, false); }
  }

  /** Adam / AdamW: {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)}. */
  public record Adam(float beta1, float beta2, float eps, float weightDecay) {
    public Adam {
      unit("Adam beta1", beta1);
      unit("Adam beta2", beta2);
      positive("Adam eps", eps);
      nonNegative("Adam weight decay", weightDecay);
    }
    public static Adam defaults() { return new Adam(0.9f, 0.999f, 1e-8f, 0f); }
  }

  /** RMSprop: {@code g = grad + wd*p; s = alpha s + (1-alpha) g^2; p -= lr g / (sqrt(s) + eps)}. */
  public record RmsProp(float alpha, float eps, float weightDecay) {
    public RmsProp {
      unit("RMSprop alpha", alpha);
      positive("RMSprop eps", eps);
      nonNegative("RMSprop weight decay", weightDecay);
    }
    public static RmsProp defaults() { return new RmsProp(0.99f, 1e-8f, 0f); }
  }

  /** Adagrad: {@code g = grad + wd*p; clr = lr / (1 + (t-1) lrDecay); s += g^2; p -= clr g / (sqrt(s) + eps)}. */
  public record Adagrad(float lrDecay, float eps, float weightDecay) {
    public Adagrad {
      nonNegative("Adagrad lr decay", lrDecay);
      positive("Adagrad eps", eps);
      nonNegative("Adagrad weight decay", weightDecay);
    }
    public static Adagrad defaults() { return new Adagrad(0f, 1e-10f, 0f); }
  }
}
