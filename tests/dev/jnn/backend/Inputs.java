package dev.jnn.backend;

import java.util.SplittableRandom;

/** Deterministic test inputs: every array is a function of its seed, so runs are reproducible. */
public final class Inputs {
  private Inputs() {}

  /** n values uniform in [lo, hi). */
  public static float[] uniform(long seed, int n, double lo, double hi) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
    return v;
  }

  /** n values uniform in [lo, hi) with none in (-gap, gap) (keeps relu-like kinks away from 0). */
  public static float[] awayFromZero(long seed, int n, double lo, double hi, double gap) {
    float[] v = uniform(seed, n, lo, hi);
    for (int i = 0; i < n; i++) if (Math.abs(v[i]) < gap) v[i] = (float) (v[i] < 0 ? -gap : gap);
    return v;
  }

  /** Overwrites elements of v, spread evenly, with the given special values (as many as fit). */
  public static float[] splice(float[] v, float... specials) {
    int n = v.length;
    if (n == 0) return v;
    int k = Math.min(specials.length, n);
    for (int j = 0; j < k; j++) v[(int) ((long) j * n / k)] = specials[j];
    return v;
  }

  /** rows integer labels in [0, classes). */
  public static int[] labels(long seed, int rows, int classes) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] l = new int[rows];
    for (int i = 0; i < rows; i++) l[i] = r.nextInt(classes);
    return l;
  }

  /** Sizes every elementwise kernel is checked at: trivial, odd, SIMD remainders, past the native OpenMP threshold. */
  public static final int[] SIZES = {1, 7, 33, 130, 100_003};
  /** Element offsets of the candidate's views: contiguous from 0, and an odd offset that breaks alignment. */
  public static final int[] OFFSETS = {0, 3};
}
