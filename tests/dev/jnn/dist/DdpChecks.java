package dev.jnn.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.Tolerances;
import dev.jnn.nn.Parameter;
import dev.jnn.optim.Optimizer;
import dev.jnn.train.Model;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The comparisons of the DDP tests: weights and optimizer state by name, bit for bit or within {@link Tolerances#DDP_RTOL}. */
final class DdpChecks {
  private DdpChecks() {}

  /** The largest relative difference seen by {@link #assertClose} in this JVM (printed, so the tolerance can be justified). */
  static double worst;

  static Map<String, float[]> weights(Model m) {
    Map<String, float[]> out = new TreeMap<>();
    m.namedParameters().forEach((k, p) -> out.put(k, p.value().toArray()));
    m.network().buffers().forEach((k, t) -> out.put("buffer." + k, t.toArray()));
    return out;
  }

  static Map<String, float[]> optimizerState(Model m) {
    Map<String, float[]> out = new TreeMap<>();
    Optimizer o = m.optimizer();
    Map<String, Parameter> ps = m.namedParameters();
    int i = 0;
    for (String name : ps.keySet()) {
      for (String s : o.stateNames()) out.put(name + "." + s, o.state(s, i).toArray());
      i++;
    }
    out.put("steps", new float[] {o.steps()});
    return out;
  }

  static void assertBitIdentical(Map<String, float[]> a, Map<String, float[]> b, String what) {
    assertEquals(a.keySet(), b.keySet(), what + ": names");
    for (String k : a.keySet()) {
      float[] x = a.get(k), y = b.get(k);
      assertEquals(x.length, y.length, what + ": " + k);
      for (int i = 0; i < x.length; i++)
        if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) assertArrayEquals(x, y, what + ": " + k + " differs at " + i);
    }
  }

  /** Every tensor within DDP_RTOL of its largest |value| (see Tolerances). */
  static void assertClose(Map<String, float[]> ref, Map<String, float[]> got, String what) { assertClose(ref, got, what, Tolerances.DDP_RTOL); }

  /** Every tensor within rtol of its largest |value|. */
  static void assertClose(Map<String, float[]> ref, Map<String, float[]> got, String what, double rtol) {
    assertEquals(ref.keySet(), got.keySet(), what + ": names");
    double mine = 0;
    for (String k : ref.keySet()) {
      float[] r = ref.get(k), g = got.get(k);
      assertEquals(r.length, g.length, what + ": " + k);
      double scale = 0, diff = 0;
      for (int i = 0; i < r.length; i++) {
        scale = Math.max(scale, Math.abs(r[i]));
        diff = Math.max(diff, Math.abs((double) r[i] - g[i]));
      }
      mine = Math.max(mine, scale == 0 ? diff : diff / scale);
    }
    worst = Math.max(worst, mine);
    System.out.printf(Locale.ROOT, "DDP vs one process, %s: largest difference %.3g of a tensor's scale (tolerance %.1g)%n", what, mine, rtol);
    for (String k : ref.keySet()) {
      float[] r = ref.get(k), g = got.get(k);
      double scale = 0, diff = 0;
      for (int i = 0; i < r.length; i++) {
        scale = Math.max(scale, Math.abs(r[i]));
        diff = Math.max(diff, Math.abs((double) r[i] - g[i]));
      }
      double rel = scale == 0 ? diff : diff / scale;
      assertTrue(rel <= rtol, String.format(Locale.ROOT, "%s: %s differs by %.3g of its scale %.3g (tolerance %.1g)", what, k, rel, scale, rtol));
    }
  }
}
