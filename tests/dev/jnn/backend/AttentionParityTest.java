package dev.jnn.backend;

import static dev.jnn.Tolerances.SOFTMAX_ATOL;
import static dev.jnn.Tolerances.SOFTMAX_RTOL;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jnn.backend.BackendSource.Candidate;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity of masked_softmax_forward, the attention probabilities softmax(scale x) over the keys of
 * scores x (B, H, Tq, Tk): one query, one key, one head, odd sizes, Tq = Tk with causal masking,
 * and 2048 rows past the native threshold; key masks with padding at both ends, a batch whose
 * keys are all padding (zero rows), a -0.0 mask value (padding, as 0); scores with rows shifted by
 * +-1e4 (a kernel that forgets the max overflows); NaN and infinities; negative and zero scale; in
 * place. The oracle part checks every backend, the reference included, against the definition
 * evaluated in double here.
 */
class AttentionParityTest {

  /** (B, H, Tq, Tk). */
  static final int[][] SHAPES = {{1, 1, 1, 1}, {1, 1, 1, 6}, {2, 1, 1, 5}, {3, 2, 5, 7}, {2, 3, 33, 33}, {4, 2, 17, 9}, {1, 2, 3, 130},
      {8, 4, 64, 64}};
  static final float SCALE = 0.35f;

  static Stream<Arguments> cases() {
    Object[] s = new Object[SHAPES.length];
    for (int i = 0; i < s.length; i++) s[i] = SHAPES[i];
    return BackendSource.nonReferenceTimes(s, new Object[] {false, true}, new Object[] {false, true}, BackendSource.ints(Inputs.OFFSETS));
  }

  /** Scores: uniform rows, every third row shifted far up or down, some rows with one dominant score. */
  static float[] scores(long seed, int rows, int tk) {
    float[] x = Inputs.uniform(seed, rows * tk, -5, 5);
    for (int r = 0; r < rows; r++) {
      float shift = r % 3 == 1 ? 1e4f : r % 3 == 2 ? -1e4f : 0f;
      for (int j = 0; j < tk; j++) x[r * tk + j] += shift;
      if (r % 5 == 3) x[r * tk + (r % tk)] += 200f;
    }
    return x;
  }

  /**
   * A key mask (B, Tk): batch 0 pads its first key and its last two (when it has more than 3),
   * the last batch (when B > 1) is all padding, the others drop every third key, one of them as
   * -0.0 (which is 0: padding).
   */
  static float[] keyMask(int b, int tk) {
    float[] m = new float[b * tk];
    java.util.Arrays.fill(m, 1f);
    if (tk > 3) { m[0] = 0f; m[tk - 1] = 0f; m[tk - 2] = 0f; }
    else if (tk > 1) m[tk - 1] = 0f;
    if (b > 1) for (int j = 0; j < tk; j++) m[(b - 1) * tk + j] = 0f;
    for (int bi = 1; bi < b - 1; bi++)
      for (int j = 0; j < tk; j++) if (j % 3 == 1) m[bi * tk + j] = j == 1 ? -0f : 0f;
    return m;
  }

  @ParameterizedTest(name = "{0} {1} causal={2} mask={3} offset={4}")
  @MethodSource("cases")
  void maskedSoftmax(Candidate c, int[] shape, boolean causal, boolean masked, int off) {
    Backend be = BackendSource.require(c);
    int b = shape[0], h = shape[1], tq = shape[2], tk = shape[3];
    float[] x = scores(701, b * h * tq, tk), mask = masked ? keyMask(b, tk) : null;
    Parity.check("masked_softmax_forward", be, off, (k, ar, o) -> {
      Tensor y = ar.out("y", b, h, tq, tk);
      k.maskedSoftmaxForward(ar.in("x", x, b, h, tq, tk), mask == null ? null : ar.in("keyMask", mask, b, tk), causal, SCALE, y);
      o.put("masked_softmax_forward", "y", y, SOFTMAX_RTOL, SOFTMAX_ATOL);
    });
  }

  static Stream<Arguments> specialCases() {
    return BackendSource.nonReferenceTimes(new Object[] {0.5f, -0.5f, 0f}, new Object[] {false, true}, BackendSource.ints(Inputs.OFFSETS));
  }

  /**
   * NaN, +-inf among kept and left-out keys: a kept NaN or +inf makes its row NaN (as exp(x - max)
   * does), a left-out one changes nothing, a kept -inf has probability 0, a row whose kept scores
   * are all -inf is zeros; with a negative scale the roles of +inf and -inf swap, with scale 0 an
   * infinite score is NaN (0 inf).
   */
  @ParameterizedTest(name = "{0} scale={1} causal={2} offset={3}")
  @MethodSource("specialCases")
  void specialValues(Candidate c, float scale, boolean causal, int off) {
    Backend be = BackendSource.require(c);
    int b = 2, h = 2, tq = 4, tk = 6;
    float[] x = scores(711, b * h * tq, tk), mask = keyMask(b, tk);
    float inf = Float.POSITIVE_INFINITY;
    x[0 * tk + 2] = Float.NaN;          // row 0 (query 0): kept unless causal
    x[1 * tk + 0] = Float.NaN;          // row 1: key 0 is padding in batch 0
    x[2 * tk + 1] = inf;                // row 2: kept
    x[3 * tk + 3] = -inf;               // row 3: kept
    for (int j = 0; j < tk; j++) x[5 * tk + j] = -inf;   // row 5: every score -inf
    x[6 * tk + 2] = -inf;
    x[6 * tk + 3] = inf;                // row 6: both infinities
    Parity.check("masked_softmax_forward", be, off, (k, ar, o) -> {
      Tensor y = ar.out("y", b, h, tq, tk);
      k.maskedSoftmaxForward(ar.in("x", x, b, h, tq, tk), ar.in("keyMask", mask, b, tk), causal, scale, y);
      o.put("masked_softmax_forward", "y", y, SOFTMAX_RTOL, SOFTMAX_ATOL);
    });
    Parity.check("masked_softmax_forward", be, off, (k, ar, o) -> {
      Tensor y = ar.out("y", b, h, tq, tk);
      k.maskedSoftmaxForward(ar.in("x", x, b, h, tq, tk), null, causal, scale, y);
      o.put("masked_softmax_forward", "y (no mask)", y, SOFTMAX_RTOL, SOFTMAX_ATOL);
    });
  }

  static Stream<Arguments> inPlaceCases() {
    return BackendSource.nonReferenceTimes(new Object[] {new int[] {3, 2, 5, 7}, new int[] {8, 4, 64, 64}}, BackendSource.ints(Inputs.OFFSETS));
  }

  /** y = x (the same view) gives the reference's out-of-place result. */
  @ParameterizedTest(name = "{0} {1} offset={2}")
  @MethodSource("inPlaceCases")
  void inPlace(Candidate c, int[] shape, int off) {
    Backend be = BackendSource.require(c);
    int b = shape[0], h = shape[1], tq = shape[2], tk = shape[3];
    float[] x = scores(721, b * h * tq, tk), mask = keyMask(b, tk);
    for (boolean causal : new boolean[] {false, true}) {
      Tensor want = Tensor.zeros(Device.JAVA, b, h, tq, tk);
      Backends.java().maskedSoftmaxForward(Tensor.of(Device.JAVA, x, b, h, tq, tk), Tensor.of(Device.JAVA, mask, b, tk), causal, SCALE, want);
      Parity.run("masked_softmax_forward in place", be, off, (k, ar, o) -> {
        Tensor xy = ar.in("x", x, b, h, tq, tk);
        k.maskedSoftmaxForward(xy, ar.in("keyMask", mask, b, tk), causal, SCALE, xy);
        Outputs.assertClose("masked_softmax_forward y = x (causal " + causal + ") on " + be.name(), want.toArray(), xy.toArray(), SOFTMAX_RTOL, SOFTMAX_ATOL);
      });
    }
  }

  // ------------------------------------------------------------------ the definition, on every backend (reference included)

  /**
   * Every row against softmax over its kept keys computed in double here; left-out keys are exactly
   * 0 and a row without keys is all 0. Covers the mask, causal and both at once.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.jnn.backend.BackendSource#all")
  void matchesTheDefinition(Candidate c) {
    Backend be = BackendSource.require(c);
    Device d = be.device();
    int b = 3, h = 2, tq = 6, tk = 6;
    float[] x = scores(731, b * h * tq, tk), mask = keyMask(b, tk);
    for (boolean causal : new boolean[] {false, true})
      for (boolean masked : new boolean[] {false, true}) {
        double[] want = new double[x.length];
        for (int r = 0; r < b * h * tq; r++) {
          int bi = r / (h * tq), i = r % tq;
          double max = Double.NEGATIVE_INFINITY, sum = 0;
          for (int j = 0; j < tk; j++) if (kept(masked, mask, bi, tk, causal, i, j)) max = Math.max(max, (double) SCALE * x[r * tk + j]);
          for (int j = 0; j < tk; j++) if (kept(masked, mask, bi, tk, causal, i, j)) sum += Math.exp((double) SCALE * x[r * tk + j] - max);
          for (int j = 0; j < tk; j++)
            want[r * tk + j] = kept(masked, mask, bi, tk, causal, i, j) ? Math.exp((double) SCALE * x[r * tk + j] - max) / sum : 0;
        }
        Tensor y = Tensor.zeros(d, b, h, tq, tk);
        be.maskedSoftmaxForward(Arena.of(d, x, b, h, tq, tk), masked ? Arena.of(d, mask, b, tk) : null, causal, SCALE, y);
        float[] got = y.toArray();
        String what = "masked_softmax_forward (causal " + causal + ", mask " + masked + ") on " + be.name();
        Outputs.assertClose(what + " vs definition", want, Outputs.toDouble(got), SOFTMAX_RTOL, SOFTMAX_ATOL);
        for (int i = 0; i < got.length; i++)
          if (want[i] == 0) assertEquals(0f, got[i], what + ": left-out key at " + i + " has probability " + got[i]);
      }
  }

  private static boolean kept(boolean masked, float[] mask, int b, int tk, boolean causal, int i, int j) {
    return (!masked || mask[b * tk + j] != 0f) && !(causal && j > i);
  }

  /** scale 0: every kept key is equally likely, whatever the scores. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.jnn.backend.BackendSource#all")
  void zeroScaleIsUniformOverKeptKeys(Candidate c) {
    Backend be = BackendSource.require(c);
    Device d = be.device();
    int b = 2, tk = 5;
    float[] x = scores(741, b, tk), mask = {1, 0, 1, 1, 0, 0, 1, 1, 1, 1};
    Tensor y = Tensor.zeros(d, b, 1, 1, tk);
    be.maskedSoftmaxForward(Arena.of(d, x, b, 1, 1, tk), Arena.of(d, mask, b, tk), false, 0f, y);
    double[] want = {1 / 3.0, 0, 1 / 3.0, 1 / 3.0, 0, 0, 0.25, 0.25, 0.25, 0.25};
    Outputs.assertClose("masked_softmax_forward scale 0 on " + be.name(), want, Outputs.toDouble(y.toArray()), SOFTMAX_RTOL, SOFTMAX_ATOL);
  }
}
