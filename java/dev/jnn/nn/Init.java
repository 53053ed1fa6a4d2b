package dev.jnn.nn;

import java.util.SplittableRandom;

/**
 * Weight initializations (Glorot and He), drawn from one seeded {@link SplittableRandom} so a
 * model's initial weights depend only on its seed and layer order (see {@link Sequential#init}).
 * Normal draws use Box-Muller on {@code nextDouble()}, so the values are the same on every JDK.
 *
 * <ul>
 *   <li>{@link #XAVIER_UNIFORM} (Keras' default): U(-a, a), a = sqrt(6 / (fanIn + fanOut)).</li>
 *   <li>{@link #XAVIER_NORMAL}: N(0, 2 / (fanIn + fanOut)).</li>
 *   <li>{@link #HE_NORMAL} (Kaiming, for ReLU): N(0, 2 / fanIn), not truncated (PyTorch's kaiming_normal_).</li>
 *   <li>{@link #HE_UNIFORM}: U(-a, a), a = sqrt(6 / fanIn).</li>
 * </ul>
 */
public enum Init {
  XAVIER_UNIFORM, XAVIER_NORMAL, HE_NORMAL, HE_UNIFORM;

  /** Fills {@code w[offset, offset + n)} for a weight with the given fans. */
  public void fill(float[] w, int offset, int n, int fanIn, int fanOut, SplittableRandom rng) {
    switch (this) {
      case XAVIER_UNIFORM: uniform(w, offset, n, Math.sqrt(6.0 / (fanIn + fanOut)), rng); break;
      case XAVIER_NORMAL: normal(w, offset, n, Math.sqrt(2.0 / (fanIn + fanOut)), rng); break;
      case HE_NORMAL: normal(w, offset, n, Math.sqrt(2.0 / fanIn), rng); break;
      case HE_UNIFORM: uniform(w, offset, n, Math.sqrt(6.0 / fanIn), rng); break;
      default: throw new AssertionError(this);
    }
  }

  private static void uniform(float[] w, int off, int n, double a, SplittableRandom rng) {
    for (int i = 0; i < n; i++) w[off + i] = (float) ((2 * rng.nextDouble() - 1) * a);
  }

  private static void normal(float[] w, int off, int n, double std, SplittableRandom rng) {
    for (int i = 0; i < n; i += 2) {
      double[] z = gaussianPair(rng);
      w[off + i] = (float) (z[0] * std);
      if (i + 1 < n) w[off + i + 1] = (float) (z[1] * std);
    }
  }

  /** Two independent N(0, 1) draws (Box-Muller), identical on every JDK. */
  public static double[] gaussianPair(SplittableRandom rng) {
    double u1 = 1.0 - rng.nextDouble();  // (0, 1]: log is finite
    double u2 = rng.nextDouble();
    double r = Math.sqrt(-2 * Math.log(u1));
    return new double[] {r * Math.cos(2 * Math.PI * u2), r * Math.sin(2 * Math.PI * u2)};
  }
}
