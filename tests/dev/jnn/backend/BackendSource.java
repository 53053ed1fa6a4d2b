package dev.jnn.backend;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Parameterization of the kernel tests over backends (HdrHistogram style: one test body, every
 * backend). {@link #nonReference()} lists every backend except the Java reference, whether it
 * loaded or not, so a backend that failed to load shows up in the report instead of vanishing:
 * {@link #require} turns an unavailable backend into a FAILURE with the load error where the
 * backend is mandatory (the native cpu backend on linux-x86_64; docs/ARCHITECTURE.md, "Tests") and into a
 * skip with the printed reason elsewhere (CUDA where no CUDA device or build exists).
 *
 * <pre>{@code
 * @ParameterizedTest(name = "{0}")
 * @MethodSource("dev.jnn.backend.BackendSource#nonReference")
 * void relu(BackendSource.Candidate c) { Backend be = BackendSource.require(c); ... }
 * }</pre>
 */
public final class BackendSource {
  private BackendSource() {}

  /** One backend under test; prints as its name so test reports read "cpu n=7". */
  public record Candidate(Backends.Status status) {
    public String name() { return status.name(); }

    @Override
    public String toString() { return status.name(); }
  }

  /** True where the platform guarantees the native cpu backend: linux on x86-64. */
  public static boolean nativeCpuMandatory() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
  }

  /** Whether a backend of this name must be available on this machine. */
  public static boolean mandatory(String name) {
    return name.equals("java") || (name.equals("cpu") && nativeCpuMandatory());
  }

  /** Every backend except the Java reference, available or not (see {@link #require}). */
  public static Stream<Candidate> nonReference() {
    List<Candidate> out = new ArrayList<>();
    for (Backends.Status s : Backends.statuses()) if (!s.name().equals("java")) out.add(new Candidate(s));
    if (out.isEmpty()) throw new AssertionError("Backends.statuses() lists no backend besides java");
    return out.stream();
  }

  /** Every backend including the Java reference (for checks against independent formulas). */
  public static Stream<Candidate> all() {
    List<Candidate> out = new ArrayList<>();
    for (Backends.Status s : Backends.statuses()) out.add(new Candidate(s));
    return out.stream();
  }

  /**
   * The loaded backend of a candidate. An unavailable mandatory backend fails the test with its
   * load error (it never skips); an unavailable optional one aborts (skips) with the reason.
   */
  public static Backend require(Candidate c) {
    Backends.Status s = c.status();
    if (s.available()) return s.backend();
    if (mandatory(s.name()))
      fail("the " + s.name() + " backend must load on " + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
          + " but did not: " + s.error());
    Assumptions.abort("backend " + s.name() + " not present: " + s.error());
    throw new AssertionError("unreachable");
  }

  /** Cartesian product of the non-reference candidates with the given axes: (candidate, a1, a2, ...). */
  public static Stream<Arguments> nonReferenceTimes(Object[]... axes) { return times(nonReference().toList(), axes); }

  /** Cartesian product of all candidates (java included) with the given axes. */
  public static Stream<Arguments> allTimes(Object[]... axes) { return times(all().toList(), axes); }

  private static Stream<Arguments> times(List<Candidate> candidates, Object[]... axes) {
    List<Object[]> all = new ArrayList<>();
    for (Candidate c : candidates) {
      List<Object[]> rows = new ArrayList<>();
      rows.add(new Object[] {c});
      // an optional backend that is not present gets one row (it skips with its reason), not the whole product
      boolean oneRow = !c.status().available() && !mandatory(c.name());
      for (Object[] axis : axes) {
        if (axis.length == 0) throw new IllegalArgumentException("empty parameter axis");
        List<Object[]> next = new ArrayList<>();
        for (Object[] r : rows)
          for (Object v : oneRow ? new Object[] {axis[0]} : axis) {
            Object[] n = java.util.Arrays.copyOf(r, r.length + 1);
            n[r.length] = v;
            next.add(n);
          }
        rows = next;
      }
      all.addAll(rows);
    }
    return all.stream().map(Arguments::of);
  }

  /** Boxes an int axis for {@link #nonReferenceTimes}. */
  public static Object[] ints(int... v) { return java.util.Arrays.stream(v).boxed().toArray(); }
}
