package dev.jnn.backend;

import static dev.jnn.Tolerances.CONV_ATOL;
import static dev.jnn.Tolerances.CONV_EPS_FACTOR;
import static dev.jnn.Tolerances.FLOAT_EPS;

import dev.jnn.backend.BackendSource.Candidate;
import dev.jnn.backend.cpu.CpuBackend;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * conv2d forward, backward data and backward filter (with and without bias): every backend vs the
 * Java reference over a spread of geometries, and every backend (the reference included) vs the
 * direct 7-loop definition evaluated in double in this test. On the cpu backend every case runs
 * twice, on both of its paths: oneDNN (the default; the case checks that oneDNN ran, and no
 * fallback happened) and jnn's im2col kernels ({@link CpuBackend.ConvImpl#IM2COL}), same bounds.
 *
 * <p>Bounds are GEMM-style: CONV_EPS_FACTOR * eps * (k_eff + 1) * mag, where mag is the same
 * convolution of |x| and |w| (of |dy| and |w|, of |x| and |dy|) plus |bias|: the magnitude of the
 * terms summed, not of the (possibly cancelling) result.
 */
class ConvParityTest {

  /** A named geometry and whether the case has a bias. */
  record Shape(String name, Conv2dGeometry g, boolean bias) {
    @Override public String toString() { return name; }
  }

  static Shape s(String name, boolean bias, int... v) {
    return new Shape(name, new Conv2dGeometry(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]), bias);
  }

  //                    N  C   H   W   K  R  S sh sw ph pw dh dw
  static final Shape[] SHAPES = {
      s("3x3 odd", true,        2, 3, 7, 9, 4, 3, 3, 1, 1, 0, 0, 1, 1),
      s("batch1 C1 pad1 nobias", false, 1, 1, 5, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1),
      s("stride2x1 3x2 kernel", true, 3, 2, 9, 8, 5, 3, 2, 2, 1, 1, 0, 1, 1),
      s("stride2 pad2", true,   2, 3, 11, 10, 4, 3, 3, 2, 2, 2, 2, 1, 1),
      s("dilation2 pad2", true, 2, 2, 9, 9, 3, 3, 3, 1, 1, 2, 2, 2, 2),
      s("dilation 2x1 nobias", false, 2, 3, 8, 7, 2, 2, 3, 1, 2, 1, 1, 2, 1),
      s("1x1", true,            2, 5, 6, 7, 4, 1, 1, 1, 1, 0, 0, 1, 1),
      s("1x1 batch1 nobias", false, 1, 4, 6, 6, 3, 1, 1, 1, 1, 0, 0, 1, 1),
      s("1x1 stride2", true,    3, 2, 5, 4, 3, 1, 1, 2, 2, 0, 0, 1, 1),
      s("batch1 C3 pad1", true, 1, 3, 8, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1),
      s("5x4 kernel stride1x2", true, 2, 1, 5, 4, 3, 5, 4, 1, 2, 2, 1, 1, 1),
      s("kernel covers input", false, 2, 2, 3, 3, 2, 3, 3, 1, 1, 0, 0, 1, 1),
      s("tutorial conv1 N8", true, 8, 1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 1, 1),
      s("tutorial conv2 N4", true, 4, 32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 1, 1),
      s("tutorial conv3 N4", true, 4, 64, 5, 5, 64, 3, 3, 1, 1, 0, 0, 1, 1),
      s("cifar conv1 pad1 N2", true, 2, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1),
      // odd channel counts and planes, batch 1, strides and paddings that oneDNN runs on other kernels
      // (brgconv_strided backward data, its gemm-based kernels where the padding exceeds the kernel)
      s("batch1 odd C5 K7 stride2 pad1", true, 1, 5, 13, 11, 7, 3, 3, 2, 2, 1, 1, 1, 1),
      s("stride3 odd", true,    2, 3, 9, 9, 4, 3, 3, 3, 3, 0, 0, 1, 1),
      s("pad exceeds kernel", true, 2, 3, 5, 5, 4, 3, 3, 1, 1, 4, 4, 1, 1),
      s("7x7 pad3 batch1 nobias", false, 1, 7, 7, 7, 5, 7, 7, 1, 1, 3, 3, 1, 1),
      s("K17 C19 5x5 batch3", true, 3, 19, 5, 5, 17, 3, 3, 1, 1, 1, 1, 1, 1),
      // one channel, 3x3, stride 1 (the cpu backend's direct forward on AVX-512): rows of 19 and 33
      // outputs (a partial second and third 16-lane block) with the padding masked at both ends
      s("C1 pad1 19 wide batch3", true, 3, 1, 7, 19, 5, 3, 3, 1, 1, 1, 1, 1, 1),
      s("C1 pad2 33 wide nobias", false, 2, 1, 4, 33, 3, 3, 3, 1, 1, 2, 2, 1, 1),
  };

  static Stream<Arguments> shapes() { return BackendSource.nonReferenceTimes(SHAPES, BackendSource.ints(Inputs.OFFSETS)); }

  static float[] abs(float[] v) {
    float[] a = new float[v.length];
    for (int i = 0; i < v.length; i++) a[i] = Math.abs(v[i]);
    return a;
  }

  /** Per-element bound from the magnitudes mag and k_eff terms. */
  /** CONV_EPS_FACTOR, widened on cuda where cuDNN may pick Winograd/FFT algorithms (Tolerances.CUDA_CONV_EPS_FACTOR). */
  static double factor(Backend be) { return be.name().equals("cuda") ? dev.jnn.Tolerances.CUDA_CONV_EPS_FACTOR : CONV_EPS_FACTOR; }

  static double[] bound(Backend be, float[] mag, long kEff) {
    double[] b = new double[mag.length];
    for (int i = 0; i < mag.length; i++) b[i] = CONV_ATOL + factor(be) * FLOAT_EPS * (kEff + 1) * mag[i];
    return b;
  }

  /** The three magnitude tensors (forward y, dx, dw) and dbias magnitude, from the Java reference on absolute values. */
  record Mags(float[] y, float[] dx, float[] dw, float[] db) {}

  static Mags mags(Conv2dGeometry g, float[] x, float[] w, float[] bias, float[] dy) {
    Backend j = Backends.java();
    Device d = Device.JAVA;
    Tensor ws = Tensor.zeros(d, (int) j.conv2dWorkspaceSize(g));
    Tensor y = Tensor.zeros(d, g.yShape()), dx = Tensor.zeros(d, g.xShape()), dw = Tensor.zeros(d, g.wShape());
    Tensor db = Tensor.zeros(d, g.outChannels());
    j.conv2dForward(g, Arena.of(d, abs(x), g.xShape()), Arena.of(d, abs(w), g.wShape()),
        bias == null ? null : Arena.of(d, abs(bias), g.outChannels()), y, ws);
    j.conv2dBackwardData(g, Arena.of(d, abs(dy), g.yShape()), Arena.of(d, abs(w), g.wShape()), dx, ws);
    j.conv2dBackwardFilter(g, Arena.of(d, abs(x), g.xShape()), Arena.of(d, abs(dy), g.yShape()), dw, db, ws);
    return new Mags(y.toArray(), dx.toArray(), dw.toArray(), db.toArray());
  }

  static long crs(Conv2dGeometry g) { return (long) g.inChannels() * g.kernelH() * g.kernelW(); }
  static long krs(Conv2dGeometry g) { return (long) g.outChannels() * g.kernelH() * g.kernelW(); }
  static long npq(Conv2dGeometry g) { return (long) g.batch() * g.outH() * g.outW(); }

  static Tensor workspace(Backend be, Arena ar, Conv2dGeometry g) {
    long n = be.conv2dWorkspaceSize(g);
    return n == 0 ? null : ar.out("workspace", (int) n);
  }

  /**
   * Runs body on be; on the cpu backend with the default policy (asserting that each of the three
   * directions ran where {@link CpuBackend#convImplFor} says, oneDNN or a jnn kernel by choice, and
   * none fell back) and with the im2col kernels chosen, each with jnn's own AVX-512 kernels on (where
   * the CPU has them) and off (the portable code a CPU without AVX-512 runs).
   */
  static void onEveryConvPath(Backend be, Conv2dGeometry g, String what, Runnable body) {
    if (!(be instanceof CpuBackend)) {
      body.run();
      return;
    }
    boolean avx512 = CpuBackend.avx512Kernels();
    try {
      onEveryConvImpl(g, what + (avx512 ? " (AVX-512 kernels)" : ""), body);
      if (avx512) {
        CpuBackend.setAvx512Kernels(false);
        onEveryConvImpl(g, what + " (portable kernels)", body);
      }
    } finally {
      CpuBackend.setAvx512Kernels(avx512);
    }
  }

  private static void onEveryConvImpl(Conv2dGeometry g, String what, Runnable body) {
    CpuBackend.ConvImpl prev = CpuBackend.setConvImpl(CpuBackend.ConvImpl.AUTO);
    try {
      long[] a = CpuBackend.convStats();
      body.run();
      long[] b = CpuBackend.convStats();
      for (int dir = 0; dir < 3; dir++) {
        int ran = CpuBackend.convImplFor(dir, g).startsWith("oneDNN ") ? 0 : 1;   // 1: im2col by the AUTO policy
        if (b[3 * dir + ran] <= a[3 * dir + ran])
          throw new AssertionError(what + ": direction " + dir + " did not run on " + CpuBackend.convImplFor(dir, g) + ": " + java.util.Arrays.toString(b));
        if (b[3 * dir + 2] != a[3 * dir + 2]) throw new AssertionError(what + ": direction " + dir + " fell back to im2col: " + java.util.Arrays.toString(b));
      }
      CpuBackend.setConvImpl(CpuBackend.ConvImpl.IM2COL);
      body.run();
      long[] d = CpuBackend.convStats();
      for (int dir = 0; dir < 3; dir++) {
        if (d[3 * dir + 1] <= b[3 * dir + 1]) throw new AssertionError(what + ": direction " + dir + " did not run on im2col: " + java.util.Arrays.toString(d));
        if (d[3 * dir] != b[3 * dir]) throw new AssertionError(what + ": direction " + dir + " ran on oneDNN with im2col chosen");
      }
    } finally {
      CpuBackend.setConvImpl(prev);
    }
  }

  @ParameterizedTest(name = "{0} {1} offset={2}")
  @MethodSource("shapes")
  void conv2d(Candidate c, Shape s, int off) {
    Backend be = BackendSource.require(c);
    onEveryConvPath(be, s.g(), s.name(), () -> conv2dChecks(be, s, off));
  }

  static void conv2dChecks(Backend be, Shape s, int off) {
    Conv2dGeometry g = s.g();
    float[] x = Inputs.uniform(601, Tensor.sizeOf(g.xShape()), -1, 1), w = Inputs.uniform(602, Tensor.sizeOf(g.wShape()), -1, 1);
    float[] bias = s.bias() ? Inputs.uniform(603, g.outChannels(), -1, 1) : null;
    float[] dy = Inputs.uniform(604, Tensor.sizeOf(g.yShape()), -1, 1);
    Mags m = mags(g, x, w, bias, dy);
    Parity.check("conv2d_forward", be, off, (k, ar, o) -> {
      Tensor y = ar.out("y", g.yShape());
      k.conv2dForward(g, ar.in("x", x, g.xShape()), ar.in("w", w, g.wShape()), bias == null ? null : ar.in("bias", bias, g.outChannels()), y,
          workspace(k, ar, g));
      o.putBounded("conv2d_forward", "y", y, bound(be, m.y(), crs(g)));
    });
    Parity.check("conv2d_backward_data", be, off, (k, ar, o) -> {
      Tensor dx = ar.out("dx", g.xShape());
      k.conv2dBackwardData(g, ar.in("dy", dy, g.yShape()), ar.in("w", w, g.wShape()), dx, workspace(k, ar, g));
      o.putBounded("conv2d_backward_data", "dx", dx, bound(be, m.dx(), krs(g)));
    });
    Parity.check("conv2d_backward_filter", be, off, (k, ar, o) -> {
      Tensor dw = ar.out("dw", g.wShape());
      Tensor db = s.bias() ? ar.out("dbias", g.outChannels()) : null;
      k.conv2dBackwardFilter(g, ar.in("x", x, g.xShape()), ar.in("dy", dy, g.yShape()), dw, db, workspace(k, ar, g));
      o.putBounded("conv2d_backward_filter", "dw", dw, bound(be, m.dw(), npq(g)));
      if (db != null) o.putBounded("conv2d_backward_filter", "dbias", db, bound(be, m.db(), npq(g)));
    });
  }

  /**
   * Batches whose column buffers exceed the native workspace cap (64 MiB): the native kernels then
   * run in several chunks, including a last chunk of one sample; cheap shapes (C = K = 1).
   */
  static Stream<Arguments> chunked() {
    return BackendSource.nonReferenceTimes(new Object[] {
        s("chunked 1x1 1500x1500 N4", true, 4, 1, 1500, 1500, 1, 1, 1, 1, 1, 0, 0, 1, 1),
        s("chunked 3x3 pad1 1200x1200 N3", true, 3, 1, 1200, 1200, 1, 3, 3, 1, 1, 1, 1, 1, 1)});
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("chunked")
  void conv2dInChunks(Candidate c, Shape s) {
    conv2d(c, s, 1);
  }

  // ---------------------------------------------------------------- the definition, in double

  /** y = bias + sum w x, straight from the definition; returns {y, |y| terms} as double arrays. */
  static double[][] direct(Conv2dGeometry g, float[] x, float[] w, float[] bias) {
    int N = g.batch(), C = g.inChannels(), H = g.height(), W = g.width(), K = g.outChannels(), R = g.kernelH(), S = g.kernelW();
    int P = g.outH(), Q = g.outW();
    double[] y = new double[N * K * P * Q], mag = new double[y.length];
    for (int n = 0; n < N; n++) for (int k = 0; k < K; k++) for (int p = 0; p < P; p++) for (int q = 0; q < Q; q++) {
      double acc = bias == null ? 0 : bias[k], m = bias == null ? 0 : Math.abs(bias[k]);
      for (int c = 0; c < C; c++) for (int r = 0; r < R; r++) for (int t = 0; t < S; t++) {
        int h = p * g.strideH() - g.padH() + r * g.dilationH(), v = q * g.strideW() - g.padW() + t * g.dilationW();
        if (h < 0 || h >= H || v < 0 || v >= W) continue;
        double term = (double) w[((k * C + c) * R + r) * S + t] * x[((n * C + c) * H + h) * W + v];
        acc += term;
        m += Math.abs(term);
      }
      int i = ((n * K + k) * P + p) * Q + q;
      y[i] = acc;
      mag[i] = m;
    }
    return new double[][] {y, mag};
  }

  static final Shape[] ORACLE = {SHAPES[3], SHAPES[4], SHAPES[6], SHAPES[10], SHAPES[17], SHAPES[18]};

  static Stream<Arguments> oracleShapes() { return BackendSource.allTimes(ORACLE); }

  /**
   * Every backend against the definition in double: forward by the loops above, backward data and
   * filter by scattering each term w*x of the forward sum into dx (dy * w) and dw (dy * x).
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("oracleShapes")
  void conv2dMatchesTheDefinition(Candidate c, Shape s) {
    Backend be = BackendSource.require(c);
    onEveryConvPath(be, s.g(), s.name(), () -> matchesTheDefinition(be, s));
  }

  static void matchesTheDefinition(Backend be, Shape s) {
    Conv2dGeometry g = s.g();
    Device d = be.device();
    float[] x = Inputs.uniform(611, Tensor.sizeOf(g.xShape()), -1, 1), w = Inputs.uniform(612, Tensor.sizeOf(g.wShape()), -1, 1);
    float[] bias = s.bias() ? Inputs.uniform(613, g.outChannels(), -1, 1) : null;
    float[] dy = Inputs.uniform(614, Tensor.sizeOf(g.yShape()), -1, 1);
    long wsn = be.conv2dWorkspaceSize(g);
    Tensor ws = wsn == 0 ? null : Tensor.zeros(d, (int) wsn);

    double[][] ref = direct(g, x, w, bias);
    Tensor y = Tensor.zeros(d, g.yShape());
    be.conv2dForward(g, Arena.of(d, x.clone(), g.xShape()), Arena.of(d, w.clone(), g.wShape()), bias == null ? null : Arena.of(d, bias.clone(), g.outChannels()), y, ws);
    Outputs.assertWithin("conv2d_forward on " + be.name() + " vs definition " + s, ref[0], Outputs.toDouble(y.toArray()), bounds(be, ref[1], crs(g)));

    // backward: scatter each term of the forward sum into the gradients, in double
    int N = g.batch(), C = g.inChannels(), H = g.height(), W = g.width(), K = g.outChannels(), R = g.kernelH(), S = g.kernelW();
    int P = g.outH(), Q = g.outW();
    double[] dx = new double[x.length], dxm = new double[x.length], dw = new double[w.length], dwm = new double[w.length];
    double[] db = new double[K], dbm = new double[K];
    for (int n = 0; n < N; n++) for (int k = 0; k < K; k++) for (int p = 0; p < P; p++) for (int q = 0; q < Q; q++) {
      double gy = dy[((n * K + k) * P + p) * Q + q];
      db[k] += gy;
      dbm[k] += Math.abs(gy);
      for (int cc = 0; cc < C; cc++) for (int r = 0; r < R; r++) for (int t = 0; t < S; t++) {
        int h = p * g.strideH() - g.padH() + r * g.dilationH(), v = q * g.strideW() - g.padW() + t * g.dilationW();
        if (h < 0 || h >= H || v < 0 || v >= W) continue;
        int xi = ((n * C + cc) * H + h) * W + v, wi = ((k * C + cc) * R + r) * S + t;
        dx[xi] += gy * w[wi];
        dxm[xi] += Math.abs(gy * w[wi]);
        dw[wi] += gy * x[xi];
        dwm[wi] += Math.abs(gy * x[xi]);
      }
    }
    Tensor tdx = Tensor.zeros(d, g.xShape()), tdw = Tensor.zeros(d, g.wShape()), tdb = Tensor.zeros(d, K);
    be.conv2dBackwardData(g, Arena.of(d, dy.clone(), g.yShape()), Arena.of(d, w.clone(), g.wShape()), tdx, ws);
    Outputs.assertWithin("conv2d_backward_data on " + be.name() + " vs definition " + s, dx, Outputs.toDouble(tdx.toArray()), bounds(be, dxm, krs(g)));
    be.conv2dBackwardFilter(g, Arena.of(d, x.clone(), g.xShape()), Arena.of(d, dy.clone(), g.yShape()), tdw, tdb, ws);
    Outputs.assertWithin("conv2d_backward_filter dw on " + be.name() + " vs definition " + s, dw, Outputs.toDouble(tdw.toArray()), bounds(be, dwm, npq(g)));
    Outputs.assertWithin("conv2d_backward_filter dbias on " + be.name() + " vs definition " + s, db, Outputs.toDouble(tdb.toArray()), bounds(be, dbm, npq(g)));
  }

  static double[] bounds(Backend be, double[] mag, long kEff) {
    double[] b = new double[mag.length];
    for (int i = 0; i < mag.length; i++) b[i] = CONV_ATOL + factor(be) * FLOAT_EPS * (kEff + 1) * mag[i];
    return b;
  }
}
