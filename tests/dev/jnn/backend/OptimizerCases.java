package dev.jnn.backend;

import dev.jnn.tensor.Tensor;
import java.util.List;

/**
 * The optimizer configurations the kernel tests run, and each update's textbook formula (PyTorch's
 * documented algorithm) evaluated independently in double, so a kernel is checked against the
 * formula and not only against another implementation.
 */
final class OptimizerCases {
  private OptimizerCases() {}

  static final int STEPS = 5;

  /** Learning rate of step t (1-based): changes every step, as under a schedule. */
  static float lr(int t) { return 0.05f / (1 + 0.3f * (t - 1)); }

  /** Gradient of step t: O(1), sign changes between steps, an exact zero in the first element. */
  static float[] grad(long seed, int n, int t) {
    float[] g = Inputs.uniform(seed * 31 + t, n, -2, 2);
    if (n > 1) g[0] = 0f;
    return g;
  }

  static float[] param0(long seed, int n) { return Inputs.uniform(seed, n, -1, 1); }

  /** One named kernel configuration. */
  interface Opt {
    String name();
    /** Number of state tensors (velocity; m,v; square_avg; sum). */
    int states();
    /** Which states are meaningful to compare (SGD without momentum may leave its buffer untouched). */
    default boolean compareState(int i) { return true; }
    void step(Backend be, Tensor p, Tensor g, Tensor[] s, float lr, int t);
    /** The same step in double on p and the states, in place. */
    void formula(double[] p, float[] g, double[][] s, double lr, int t);
  }

  static List<Opt> all() {
    return List.of(
        sgd(OptimizerConfigs.Sgd.plain()),
        sgd(new OptimizerConfigs.Sgd(0.9f, 0f, 0f, false)),
        sgd(new OptimizerConfigs.Sgd(0.9f, 0.1f, 0.01f, false)),
        sgd(new OptimizerConfigs.Sgd(0.8f, 0f, 1e-3f, true)),
        sgd(new OptimizerConfigs.Sgd(0f, 0f, 0.05f, false)),
        adam(false, OptimizerConfigs.Adam.defaults()),
        adam(false, new OptimizerConfigs.Adam(0.8f, 0.99f, 1e-6f, 0.01f)),
        adam(true, new OptimizerConfigs.Adam(0.9f, 0.999f, 1e-8f, 0.01f)),
        adam(true, new OptimizerConfigs.Adam(0.85f, 0.95f, 1e-7f, 0.1f)),
        rmsprop(OptimizerConfigs.RmsProp.defaults()),
        rmsprop(new OptimizerConfigs.RmsProp(0.9f, 1e-6f, 0.01f)),
        adagrad(OptimizerConfigs.Adagrad.defaults()),
        adagrad(new OptimizerConfigs.Adagrad(0.1f, 1e-10f, 0.01f)),
        adagrad(new OptimizerConfigs.Adagrad(0.5f, 1e-6f, 0f)));
  }

  static Opt sgd(OptimizerConfigs.Sgd c) {
    return new Opt() {
      public String name() { return "sgd_update" + c; }
      public int states() { return 1; }
      public boolean compareState(int i) { return c.momentum() != 0; }
      public void step(Backend be, Tensor p, Tensor g, Tensor[] s, float lr, int t) { be.sgdUpdate(p, g, s[0], lr, c, t); }
      public void formula(double[] p, float[] g, double[][] s, double lr, int t) {
        double mu = c.momentum(), damp = c.dampening(), wd = c.weightDecay();
        for (int i = 0; i < p.length; i++) {
          double d = g[i] + wd * p[i];
          if (mu != 0) {
            s[0][i] = t == 1 ? d : mu * s[0][i] + (1 - damp) * d;
            d = c.nesterov() ? d + mu * s[0][i] : s[0][i];
          }
          p[i] -= lr * d;
        }
      }
      public String toString() { return name(); }
    };
  }

  static Opt adam(boolean decoupled, OptimizerConfigs.Adam c) {
    return new Opt() {
      public String name() { return (decoupled ? "adamw_update" : "adam_update") + c; }
      public int states() { return 2; }
      public void step(Backend be, Tensor p, Tensor g, Tensor[] s, float lr, int t) {
        if (decoupled) be.adamwUpdate(p, g, s[0], s[1], lr, c, t);
        else be.adamUpdate(p, g, s[0], s[1], lr, c, t);
      }
      public void formula(double[] p, float[] g, double[][] s, double lr, int t) {
        double b1 = c.beta1(), b2 = c.beta2(), eps = c.eps(), wd = c.weightDecay();
        double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
        for (int i = 0; i < p.length; i++) {
          double d = g[i];
          if (decoupled) p[i] *= 1 - lr * wd;
          else d += wd * p[i];
          s[0][i] = b1 * s[0][i] + (1 - b1) * d;
          s[1][i] = b2 * s[1][i] + (1 - b2) * d * d;
          p[i] -= lr * (s[0][i] / bc1) / (Math.sqrt(s[1][i] / bc2) + eps);
        }
      }
      public String toString() { return name(); }
    };
  }

  static Opt rmsprop(OptimizerConfigs.RmsProp c) {
    return new Opt() {
      public String name() { return "rmsprop_update" + c; }
      public int states() { return 1; }
      public void step(Backend be, Tensor p, Tensor g, Tensor[] s, float lr, int t) { be.rmspropUpdate(p, g, s[0], lr, c); }
      public void formula(double[] p, float[] g, double[][] s, double lr, int t) {
        double a = c.alpha(), eps = c.eps(), wd = c.weightDecay();
        for (int i = 0; i < p.length; i++) {
          double d = g[i] + wd * p[i];
          s[0][i] = a * s[0][i] + (1 - a) * d * d;
          p[i] -= lr * d / (Math.sqrt(s[0][i]) + eps);
        }
      }
      public String toString() { return name(); }
    };
  }

  static Opt adagrad(OptimizerConfigs.Adagrad c) {
    return new Opt() {
      public String name() { return "adagrad_update" + c; }
      public int states() { return 1; }
      public void step(Backend be, Tensor p, Tensor g, Tensor[] s, float lr, int t) { be.adagradUpdate(p, g, s[0], lr, c, t); }
      public void formula(double[] p, float[] g, double[][] s, double lr, int t) {
        double clr = lr / (1 + (t - 1) * (double) c.lrDecay()), eps = c.eps(), wd = c.weightDecay();
        for (int i = 0; i < p.length; i++) {
          double d = g[i] + wd * p[i];
          s[0][i] += d * d;
          p[i] -= clr * d / (Math.sqrt(s[0][i]) + eps);
        }
      }
      public String toString() { return name(); }
    };
  }
}
