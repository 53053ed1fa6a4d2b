package dev.jnn.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jnn.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one kernel call produced, by name, with the tolerance each output is compared under, and
 * the comparison of a candidate's outputs against the reference's.
 *
 * <p>Comparison rule (numpy allclose): {@code |got - ref| <= atol + rtol * |ref|} in double; NaN
 * must meet NaN, an infinity the same infinity. GEMM uses a per-element bound instead.
 */
public final class Outputs {
  /** One compared output: its values and per-element bounds (null: use rtol/atol). */
  record Entry(double[] values, double rtol, double atol, double[] bound) {}

  private final Map<String, Entry> entries = new LinkedHashMap<>();

  /** Records tensor t (which the kernel must have written entirely) under a tolerance. */
  public Outputs put(String kernel, String name, Tensor t, double rtol, double atol) {
    Arena.assertWritten(kernel, name, t);
    entries.put(name, new Entry(toDouble(t.toArray()), rtol, atol, null));
    return this;
  }

  /** Records an in-place result (no unwritten check: it started from real values). */
  public Outputs putInPlace(String name, Tensor t, double rtol, double atol) {
    entries.put(name, new Entry(toDouble(t.toArray()), rtol, atol, null));
    return this;
  }

  /** Records tensor t compared elementwise under |got - ref| <= bound[i]. */
  public Outputs putBounded(String kernel, String name, Tensor t, double[] bound) {
    Arena.assertWritten(kernel, name, t);
    entries.put(name, new Entry(toDouble(t.toArray()), 0, 0, bound));
    return this;
  }

  public Outputs scalar(String name, double v, double rtol, double atol) {
    entries.put(name, new Entry(new double[] {v}, rtol, atol, null));
    return this;
  }

  static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }

  public double[] get(String name) {
    Entry e = entries.get(name);
    if (e == null) throw new IllegalArgumentException("no output " + name);
    return e.values();
  }

  /** Asserts that candidate matches this (the reference) output by output. */
  public void assertMatches(String what, Outputs candidate) {
    assertTrue(!entries.isEmpty(), what + ": reference produced no outputs (vacuous test)");
    assertEquals(entries.keySet(), candidate.entries.keySet(), what + ": output names");
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      Entry r = e.getValue(), c = candidate.entries.get(e.getKey());
      String w = what + " output " + e.getKey();
      if (r.bound() != null) assertWithin(w, r.values(), c.values(), r.bound());
      else assertClose(w, r.values(), c.values(), r.rtol(), r.atol());
    }
  }

  // ------------------------------------------------------------------ comparisons

  /** Whether got matches ref under the allclose rule (NaN meets NaN, inf the same inf). */
  public static boolean close(double ref, double got, double rtol, double atol) {
    if (Double.isNaN(ref) || Double.isNaN(got)) return Double.isNaN(ref) && Double.isNaN(got);
    if (Double.isInfinite(ref) || Double.isInfinite(got)) return ref == got;
    return Math.abs(got - ref) <= atol + rtol * Math.abs(ref);
  }

  public static void assertClose(String what, float[] ref, float[] got, double rtol, double atol) {
    assertClose(what, toDouble(ref), toDouble(got), rtol, atol);
  }

  public static void assertClose(String what, double[] ref, double[] got, double rtol, double atol) {
    double[] bound = new double[ref.length];
    for (int i = 0; i < ref.length; i++) bound[i] = atol + rtol * Math.abs(ref[i]);
    assertWithin(what, ref, got, bound);
  }

  public static void assertClose(String what, double ref, double got, double rtol, double atol) {
    if (!close(ref, got, rtol, atol))
      fail(what + ": expected " + ref + " got " + got + " (|diff| " + Math.abs(got - ref) + " > " + (atol + rtol * Math.abs(ref))
          + " = atol " + atol + " + rtol " + rtol + " * |ref|)");
  }

  /**
   * With -Djnn.parity.margins=FILE, the largest |diff|/bound seen per kernel and output is written
   * to FILE when the JVM exits (=true: printed to stdout, which surefire does not capture at exit):
   * how much of each tolerance the backends actually use (docs/PARITY.md quotes it).
   */
  private static final String MARGINS_TO = System.getProperty("jnn.parity.margins");
  private static final java.util.concurrent.ConcurrentHashMap<String, Double> MARGINS = new java.util.concurrent.ConcurrentHashMap<>();

  static {
    if (MARGINS_TO != null && !MARGINS_TO.isBlank() && !MARGINS_TO.equals("false"))
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        StringBuilder sb = new StringBuilder();
        new java.util.TreeMap<>(MARGINS).forEach((k, v) -> sb.append(String.format("%-60s max |diff|/bound = %.3g%n", k, v)));
        if (MARGINS_TO.equals("true")) System.out.print(sb);
        else {
          try {
            java.nio.file.Files.writeString(java.nio.file.Path.of(MARGINS_TO), sb);
          } catch (java.io.IOException e) {
            System.err.println("cannot write parity margins to " + MARGINS_TO + ": " + e);
          }
        }
      }));
  }

  private static void margin(String what, double[] ref, double[] got, double[] bound) {
    String key = what.split(" on |\\(| vs ")[0].trim() + (what.contains(" output ") ? " " + what.substring(what.indexOf(" output ") + 8) : "");
    double worst = 0;
    for (int i = 0; i < ref.length; i++) {
      if (Double.isNaN(ref[i]) || Double.isInfinite(ref[i]) || Double.isNaN(got[i])) continue;
      double d = Math.abs(got[i] - ref[i]);
      if (d > 0) worst = Math.max(worst, bound[i] > 0 ? d / bound[i] : Double.POSITIVE_INFINITY);
    }
    MARGINS.merge(key, worst, Math::max);
  }

  /** |got[i] - ref[i]| <= bound[i] for all i, NaN meets NaN; reports the count and the worst offenders. */
  public static void assertWithin(String what, double[] ref, double[] got, double[] bound) {
    assertEquals(ref.length, got.length, what + ": length");
    if (MARGINS_TO != null) margin(what, ref, got, bound);
    int bad = 0, worst = -1;
    double worstRatio = 0;
    for (int i = 0; i < ref.length; i++) {
      double r = ref[i], g = got[i];
      boolean ok;
      double ratio;
      if (Double.isNaN(r) || Double.isNaN(g)) { ok = Double.isNaN(r) && Double.isNaN(g); ratio = ok ? 0 : Double.POSITIVE_INFINITY; }
      else if (Double.isInfinite(r) || Double.isInfinite(g)) { ok = r == g; ratio = ok ? 0 : Double.POSITIVE_INFINITY; }
      else { double d = Math.abs(g - r); ok = d <= bound[i]; ratio = bound[i] > 0 ? d / bound[i] : (d == 0 ? 0 : Double.POSITIVE_INFINITY); }
      if (!ok) {
        bad++;
        if (worst < 0 || ratio > worstRatio) { worst = i; worstRatio = ratio; }
      }
    }
    if (bad > 0) {
      StringBuilder sb = new StringBuilder(what).append(": ").append(bad).append(" of ").append(ref.length)
          .append(" elements outside tolerance; worst at ").append(worst).append(": expected ").append(ref[worst]).append(" got ")
          .append(got[worst]).append(" (|diff| ").append(Math.abs(got[worst] - ref[worst])).append(", bound ")
          .append(bound[worst]).append(")");
      int shown = 0;
      for (int i = 0; i < ref.length && shown < 5; i++) {
        boolean nan = Double.isNaN(ref[i]) || Double.isNaN(got[i]);
        boolean ok = nan ? Double.isNaN(ref[i]) && Double.isNaN(got[i])
            : (Double.isInfinite(ref[i]) || Double.isInfinite(got[i])) ? ref[i] == got[i] : Math.abs(got[i] - ref[i]) <= bound[i];
        if (!ok) { sb.append("\n  [").append(i).append("] expected ").append(ref[i]).append(" got ").append(got[i]); shown++; }
      }
      fail(sb.toString());
    }
  }
}
