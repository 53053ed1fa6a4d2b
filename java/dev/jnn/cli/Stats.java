package dev.jnn.cli;

import java.util.Arrays;

/** Median and spread of repeated measurements (the machines are shared and noisy). */
record Stats(double median, double min, double max, int runs) {
  static Stats of(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int n = s.length;
    double med = n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    return new Stats(med, s[0], s[n - 1], n);
  }

  /** "median [min..max]" with the given format for each number. */
  String format(String fmt) {
    return String.format(fmt, median) + " [" + String.format(fmt, min) + ".." + String.format(fmt, max) + "]";
  }
}
