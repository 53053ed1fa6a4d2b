package dev.jnn.optim;

/**
 * Learning rate as a function of the optimizer step: {@code lr(t)} is the rate of update number
 * {@code t}, counted from 0 (the first update uses {@code lr(0)}). A lambda works too.
 *
 * <pre>{@code
 * LrSchedule.constant(1e-3)
 * LrSchedule.step(0.1, 1000, 0.5)                          // 0.1 * 0.5^floor(t / 1000)
 * LrSchedule.cosine(0.1, 10_000, 0.0)                      // min + (max-min)(1 + cos(pi t / T)) / 2, then min
 * LrSchedule.warmup(500, LrSchedule.cosine(0.1, 9_500, 0)) // linear warm-up, then cosine
 * }</pre>
 */
@FunctionalInterface
public interface LrSchedule {
  /** Learning rate of update {@code step} (0-based). */
  double lr(long step);

  static LrSchedule constant(double lr) { return new Constant(lr); }

  static LrSchedule step(double lr, long stepSize, double gamma) { return new StepDecay(lr, stepSize, gamma); }

  static LrSchedule cosine(double lr, long totalSteps) { return new Cosine(lr, totalSteps, 0); }

  static LrSchedule cosine(double lr, long totalSteps, double minLr) { return new Cosine(lr, totalSteps, minLr); }

  static LrSchedule warmup(long warmupSteps, LrSchedule after) { return new LinearWarmup(warmupSteps, after); }

  private static void checkLr(String what, double lr) {
    if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException(what + " must be finite and >= 0, got " + lr);
  }

  /** {@code lr(t) = lr}. */
  record Constant(double lr) implements LrSchedule {
    public Constant { checkLr("learning rate", lr); }
    @Override public double lr(long step) { return lr; }
  }

  /** Step decay (PyTorch StepLR on steps): {@code lr(t) = lr * gamma^floor(t / stepSize)}. */
  record StepDecay(double lr, long stepSize, double gamma) implements LrSchedule {
    public StepDecay {
      checkLr("learning rate", lr);
      if (stepSize < 1) throw new IllegalArgumentException("step decay: stepSize must be >= 1, got " + stepSize);
      if (!(gamma > 0) || Double.isInfinite(gamma)) throw new IllegalArgumentException("step decay: gamma must be finite and > 0, got " + gamma);
    }
    @Override public double lr(long step) { return lr * Math.pow(gamma, (double) (step / stepSize)); }
  }

  /**
   * Cosine annealing (PyTorch CosineAnnealingLR without restarts):
   * {@code lr(t) = min + (lr - min) (1 + cos(pi min(t, T) / T)) / 2}; stays at min after T steps.
   */
  record Cosine(double lr, long totalSteps, double minLr) implements LrSchedule {
    public Cosine {
      checkLr("learning rate", lr);
      checkLr("minimum learning rate", minLr);
      if (totalSteps < 1) throw new IllegalArgumentException("cosine schedule: totalSteps must be >= 1, got " + totalSteps);
    }
    @Override public double lr(long step) {
      double p = Math.min(step, totalSteps) / (double) totalSteps;
      return minLr + (lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * p));
    }
  }

  /**
   * Linear warm-up: {@code lr(t) = after.lr(0) * (t + 1) / W} for {@code t < W} (the first update
   * already moves, unlike a ramp from 0), then {@code after.lr(t - W)}.
   */
  record LinearWarmup(long warmupSteps, LrSchedule after) implements LrSchedule {
    public LinearWarmup {
      if (warmupSteps < 1) throw new IllegalArgumentException("warm-up: warmupSteps must be >= 1, got " + warmupSteps);
      java.util.Objects.requireNonNull(after, "schedule after warm-up");
    }
    @Override public double lr(long step) {
      return step < warmupSteps ? after.lr(0) * (step + 1) / (double) warmupSteps : after.lr(step - warmupSteps);
    }
  }
}
