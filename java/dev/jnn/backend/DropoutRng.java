package dev.jnn.backend;

/**
 * The counter-based RNG of dropout, identical in Java, C++ (native/cpu/dropout.cpp) and CUDA: a
 * SplitMix64 finalizer of {@code seed + index * golden}, top 24 bits as a float in [0, 1). Being
 * stateless, every backend and every thread draws the same mask for the same (seed, index).
 */
public final class DropoutRng {
  private DropoutRng() {}

  public static float uniform(long seed, long index) {
    long z = seed + index * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return (z >>> 40) * 0x1.0p-24f;
  }
}
