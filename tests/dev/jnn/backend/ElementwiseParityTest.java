package dev.jnn.backend;

import static dev.jnn.Tolerances.AXPY_ATOL;
import static dev.jnn.Tolerances.EXACT_ATOL;
import static dev.jnn.Tolerances.EXACT_RTOL;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.jnn.backend.BackendSource.Candidate;
import dev.jnn.tensor.Tensor;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity of the elementwise family (add, mul, scale, axpy, fill, copy) on every non-reference
 * backend against the Java reference, at sizes from 1 to past the native threshold, on contiguous
 * and offset views. These kernels round once per element, so the bound is a couple of ulps.
 */
class ElementwiseParityTest {

  static Stream<Arguments> sizes() { return BackendSource.nonReferenceTimes(BackendSource.ints(Inputs.SIZES), BackendSource.ints(Inputs.OFFSETS)); }

  private static float[] data(long seed, int n) {
    // values across many binades, plus signed zeros, infinities and NaN: all must propagate identically
    float[] v = Inputs.uniform(seed, n, -4, 4);
    for (int i = 0; i < n; i += 11) v[i] *= (float) Math.pow(10, (i % 7) - 3);
    return Inputs.splice(v, 0.5f, -0f, 0f, 1e30f, -1e-30f, Float.POSITIVE_INFINITY, Float.NaN, Float.MIN_VALUE);
  }

  @ParameterizedTest(name = "{0} n={1} offset={2}")
  @MethodSource("sizes")
  void add(Candidate c, int n, int off) {
    Backend be = BackendSource.require(c);
    float[] a = data(1, n), b = data(2, n);
    Parity.check("add", be, off, (k, ar, o) -> {
      Tensor out = ar.out("out", n);
      k.add(ar.in("a", a, n), ar.in("b", b, n), out);
      o.put("add", "out", out, EXACT_RTOL, EXACT_ATOL);
    });
  }

  @ParameterizedTest(name = "{0} n={1} offset={2}")
  @MethodSource("sizes")
  void mul(Candidate c, int n, int off) {
    Backend be = BackendSource.require(c);
    float[] a = data(3, n), b = data(4, n);
    Parity.check("mul", be, off, (k, ar, o) -> {
      Tensor out = ar.out("out", n);
      k.mul(ar.in("a", a, n), ar.in("b", b, n), out);
      o.put("mul", "out", out, EXACT_RTOL, EXACT_ATOL);
    });
  }

  @ParameterizedTest(name = "{0} n={1} offset={2}")
  @MethodSource("sizes")
  void scale(Candidate c, int n, int off) {
    Backend be = BackendSource.require(c);
    float[] x = data(5, n);
    for (float alpha : new float[] {-2.5f, 0f, 1f}) {
      Parity.check("scale", be, off, (k, ar, o) -> {
        Tensor out = ar.out("out", n);
        k.scale(ar.in("x", x, n), alpha, out);
        o.put("scale", "out(alpha=" + alpha + ")", out, EXACT_RTOL, EXACT_ATOL);
      });
    }
  }

  @ParameterizedTest(name = "{0} n={1} offset={2}")
  @MethodSource("sizes")
  void axpy(Candidate c, int n, int off) {
    Backend be = BackendSource.require(c);
    float[] x = Inputs.uniform(6, n, -3, 3), y = Inputs.uniform(7, n, -3, 3);
    for (float alpha : new float[] {0.37f, -1f}) {
      Parity.check("axpy", be, off, (k, ar, o) -> {
        Tensor yt = ar.in("y", y, n);
        k.axpy(alpha, ar.in("x", x, n), yt);
        assertNotEquals(y[0], yt.at(0), "axpy did not change y");
        o.putInPlace("y(alpha=" + alpha + ")", yt, EXACT_RTOL, AXPY_ATOL);
      });
    }
  }

  @ParameterizedTest(name = "{0} n={1} offset={2}")
  @MethodSource("sizes")
  void fill(Candidate c, int n, int off) {
    Backend be = BackendSource.require(c);
    for (float v : new float[] {0f, -0f, 3.25f, Float.NaN}) {
      Parity.check("fill", be, off, (k, ar, o) -> {
        Tensor x = ar.out("x", n);
        k.fill(x, v);
        o.put("fill", "x(" + v + ")", x, 0, 0);
      });
    }
  }

  @ParameterizedTest(name = "{0} n={1} offset={2}")
  @MethodSource("sizes")
  void copy(Candidate c, int n, int off) {
    Backend be = BackendSource.require(c);
    float[] s = data(8, n);
    Parity.check("copy", be, off, (k, ar, o) -> {
      Tensor dst = ar.out("dst", n);
      k.copy(ar.in("src", s, n), dst);
      o.put("copy", "dst", dst, 0, 0);
    });
  }
}
