package dev.jnn.backend;

import static dev.jnn.Tolerances.LOSS_ATOL;
import static dev.jnn.Tolerances.FLOAT_EPS;
import static dev.jnn.Tolerances.LOGIT_MAGNITUDE_ULPS;
import static dev.jnn.Tolerances.LOSS_GRAD_ATOL_TIMES_N;
import static dev.jnn.Tolerances.LOSS_GRAD_RTOL;
import static dev.jnn.Tolerances.LOSS_RTOL;
import static dev.jnn.Tolerances.SOFTMAX_ATOL;
import static dev.jnn.Tolerances.SOFTMAX_RTOL;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.backend.BackendSource.Candidate;
import dev.jnn.tensor.Tensor;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity of the losses (mse, bce, bce_logits, softmax_cross_entropy), forward (the mean, a scalar)
 * and backward (the gradient of that mean). BCE probabilities include 0, 1 and values within an
 * ulp of them (where the log clamp at -100 and the gradient's denominator matter); logits reach
 * +-1e4, where log(1 + exp(z)) overflows unless computed stably.
 */
class LossParityTest {

  static Stream<Arguments> sizes() { return BackendSource.nonReferenceTimes(BackendSource.ints(Inputs.SIZES), BackendSource.ints(Inputs.OFFSETS)); }

  /** Targets in [0, 1]: half hard (0 or 1), half soft. */
  static float[] targets(long seed, int n) {
    float[] t = Inputs.uniform(seed, n, 0, 1);
    for (int i = 0; i < n; i += 2) t[i] = t[i] < 0.5f ? 0f : 1f;
    return t;
  }

  @ParameterizedTest(name = "{0} n={1} offset={2}")
  @MethodSource("sizes")
  void mse(Candidate c, int n, int off) {
    Backend be = BackendSource.require(c);
    float[] p = Inputs.uniform(101, n, -3, 3), t = Inputs.uniform(102, n, -3, 3);
    Parity.check("mse", be, off, (k, ar, o) -> {
      Tensor pt = ar.in("pred", p, n), tt = ar.in("target", t, n), d = ar.out("dpred", n);
      o.scalar("loss", k.mseForward(pt, tt), LOSS_RTOL, LOSS_ATOL);
      k.mseBackward(pt, tt, d);
      o.put("mse_backward", "dpred", d, LOSS_GRAD_RTOL, LOSS_GRAD_ATOL_TIMES_N / n);
    });
  }

  @ParameterizedTest(name = "{0} n={1} offset={2}")
  @MethodSource("sizes")
  void bce(Candidate c, int n, int off) {
    Backend be = BackendSource.require(c);
    float[] p = Inputs.uniform(111, n, 0.001, 0.999);
    float[] t = targets(112, n);
    if (n >= 33) {
      // probabilities at and next to the ends, against both hard targets: log clamps at -100 (PyTorch)
      float[] ends = {0f, 1f, 1e-7f, 0.99999994f, 1e-30f, Float.MIN_VALUE, 0.5f, 0f, 1f, 1e-7f, 0.99999994f};
      float[] endT = {0f, 1f, 1f, 0f, 1f, 1f, 0.5f, 1f, 0f, 0f, 1f};
      for (int j = 0; j < ends.length; j++) { int i = (int) ((long) j * n / ends.length) | 1; p[i] = ends[j]; t[i] = endT[j]; }
    }
    Parity.check("bce", be, off, (k, ar, o) -> {
      Tensor pt = ar.in("p", p, n), tt = ar.in("target", t, n), d = ar.out("dp", n);
      double loss = k.bceForward(pt, tt);
      assertTrue(Double.isFinite(loss), "bce_forward on " + k.name() + " is not finite: " + loss);
      o.scalar("loss", loss, LOSS_RTOL, LOSS_ATOL);
      k.bceBackward(pt, tt, d);
      o.put("bce_backward", "dp", d, LOSS_GRAD_RTOL, LOSS_GRAD_ATOL_TIMES_N / n);
    });
  }

  @ParameterizedTest(name = "{0} n={1} offset={2}")
  @MethodSource("sizes")
  void bceLogits(Candidate c, int n, int off) {
    Backend be = BackendSource.require(c);
    float[] z = Inputs.uniform(121, n, -8, 8);
    float[] t = targets(122, n);
    if (n >= 33) {
      // extreme logits with the target they predict: each term is ~0 (exactly 0 for |z| >= 1e4), so the mean stays
      // sensitive to every other term, and a naive -t log(sigmoid(z)) gives -inf * 0 = NaN; a few wrong ones cost ~|z|
      float[] ze = {1e4f, -1e4f, 100f, -100f, 88f, -88f, 1e30f, -1e30f, 20f, -20f, 0f, 30f};
      float[] te = {1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f, 0f, 1f, 0.5f, 0.25f};
      for (int j = 0; j < ze.length; j++) { int i = (int) ((long) j * n / ze.length) | 1; z[i] = ze[j]; t[i] = te[j]; }
    }
    Parity.check("bce_logits", be, off, (k, ar, o) -> {
      Tensor zt = ar.in("z", z, n), tt = ar.in("target", t, n), d = ar.out("dz", n);
      double loss = k.bceLogitsForward(zt, tt);
      assertTrue(Double.isFinite(loss), "bce_logits_forward on " + k.name() + " is not finite: " + loss);
      o.scalar("loss", loss, LOSS_RTOL, LOSS_ATOL);
      k.bceLogitsBackward(zt, tt, d);
      o.put("bce_logits_backward", "dz", d, LOSS_GRAD_RTOL, LOSS_GRAD_ATOL_TIMES_N / n);
    });
  }

  static double maxAbs(float[] x) {
    double m = 0;
    for (float v : x) m = Math.max(m, Math.abs(v));
    return m;
  }

  static Stream<Arguments> shapes() {
    Object[] s = new Object[SoftmaxParityTest.SHAPES.length];
    for (int i = 0; i < s.length; i++) s[i] = SoftmaxParityTest.SHAPES[i];
    return BackendSource.nonReferenceTimes(s, BackendSource.ints(Inputs.OFFSETS));
  }

  @ParameterizedTest(name = "{0} {1} offset={2}")
  @MethodSource("shapes")
  void softmaxCrossEntropy(Candidate c, int[] shape, int off) {
    Backend be = BackendSource.require(c);
    int rows = shape[0], cols = shape[1];
    float[] x = SoftmaxParityTest.logits(131, rows, cols);
    // labels start at an offset into a larger array (labelsOffset plumbing), surrounded by out-of-range junk
    int lo = 2 + off;
    int[] labels = new int[lo + rows + 3];
    java.util.Arrays.fill(labels, -7);
    System.arraycopy(Inputs.labels(132, rows, cols), 0, labels, lo, rows);
    Parity.check("softmax_cross_entropy", be, off, (k, ar, o) -> {
      Tensor probs = ar.out("probs", rows, cols);
      double loss = k.softmaxCrossEntropyForward(ar.in("logits", x, rows, cols), labels, lo, probs);
      assertTrue(Double.isFinite(loss), "softmax_cross_entropy_forward on " + k.name() + " is not finite: " + loss);
      o.scalar("loss", loss, LOSS_RTOL, LOSS_ATOL + LOGIT_MAGNITUDE_ULPS * FLOAT_EPS * maxAbs(x));
      o.put("softmax_cross_entropy_forward", "probs", probs, SOFTMAX_RTOL, SOFTMAX_ATOL);
    });
    float[] p = SoftmaxParityTest.probs(133, rows, cols);
    Parity.check("softmax_cross_entropy_backward", be, off, (k, ar, o) -> {
      Tensor d = ar.out("dlogits", rows, cols);
      k.softmaxCrossEntropyBackward(ar.in("probs", p, rows, cols), labels, lo, d);
      o.put("softmax_cross_entropy_backward", "dlogits", d, LOSS_GRAD_RTOL, LOSS_GRAD_ATOL_TIMES_N / rows);
    });
  }
}
