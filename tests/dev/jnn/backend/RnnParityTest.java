package dev.jnn.backend;

import static dev.jnn.Tolerances.EMBEDDING_GRAD_ATOL;
import static dev.jnn.Tolerances.EMBEDDING_GRAD_RTOL;
import static dev.jnn.Tolerances.EXACT_ATOL;
import static dev.jnn.Tolerances.EXACT_RTOL;
import static dev.jnn.Tolerances.RNN_KERNEL_ORACLE_ATOL;
import static dev.jnn.Tolerances.RNN_KERNEL_ORACLE_RTOL;
import static dev.jnn.Tolerances.RNN_KERNEL_PARITY_ATOL;
import static dev.jnn.Tolerances.RNN_KERNEL_PARITY_RTOL;

import dev.jnn.backend.BackendSource.Candidate;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LSTM, GRU and embedding kernels: every backend vs the Java reference (forward outputs, final
 * states and every gradient of a forward+backward pair on one workspace) over steps {1, 37}, batch
 * {1, 8}, reverse, hidden {1, 5, 16}, input {1, 3, 7}, with/without initial states and final-state
 * gradients, plus batch 19 (H 16) and 40 (H 128) over 37 steps; and every backend (the reference included) vs a naive double implementation of
 * PyTorch's formulas in this test (forward values; gradients by central differences of the double
 * forward, an oracle independent of any backward code).
 *
 * <p>RNN bounds are relative to the largest |value| of each compared tensor (see Tolerances).
 */
class RnnParityTest {

  /** One case: cell (4 = LSTM, 3 = GRU), geometry, whether h0/c0 and dhT/dcT are given. */
  record Shape(int gates, RnnGeometry g, boolean init, boolean finalGrad) {
    @Override public String toString() {
      return (gates == 4 ? "lstm" : "gru") + " B" + g.batch() + " T" + g.steps() + " I" + g.inputSize() + " H" + g.hiddenSize()
          + (g.reverse() ? " rev" : "") + (init ? " h0" : "") + (finalGrad ? " dhT" : "");
    }
  }

  static Object[] shapes(int gates) {
    List<Shape> l = new ArrayList<>();
    for (int t : new int[] {1, 37}) for (int b : new int[] {1, 8}) for (boolean rev : new boolean[] {false, true})
      for (int h : new int[] {1, 5, 16}) for (int i : new int[] {1, 3, 7}) for (boolean init : new boolean[] {false, true})
        for (boolean fg : new boolean[] {false, true}) l.add(new Shape(gates, new RnnGeometry(b, t, i, h, rev), init, fg));
    // The cpu kernels split the recurrence by batch rows over threads and cut each thread's
    // recurrent products into tiles (rnn.cpp): an uneven split (19 rows), and several row and
    // column tiles per thread and step (40 rows, H 128).
    for (int b : new int[] {19, 40}) for (boolean rev : new boolean[] {false, true}) for (boolean init : new boolean[] {false, true})
      l.add(new Shape(gates, new RnnGeometry(b, 37, 7, b == 40 ? 128 : 16, rev), init, true));
    return l.toArray();
  }

  static Stream<Arguments> lstmShapes() { return BackendSource.nonReferenceTimes(shapes(4)); }
  static Stream<Arguments> gruShapes() { return BackendSource.nonReferenceTimes(shapes(3)); }

  /** Inputs of a case: weights uniform in +-1/sqrt(H) (PyTorch's init), x, states and output gradients in +-1. */
  record Data(float[] x, float[] h0, float[] c0, float[] wIh, float[] wHh, float[] bIh, float[] bHh, float[] dy, float[] dhT, float[] dcT) {
    static Data of(Shape s, long seed) {
      RnnGeometry g = s.g();
      int gh = s.gates() * g.hiddenSize(), bh = g.batch() * g.hiddenSize();
      double k = 1 / Math.sqrt(g.hiddenSize());
      return new Data(Inputs.uniform(seed, Tensor.sizeOf(g.xShape()), -1, 1),
          s.init() ? Inputs.uniform(seed + 1, bh, -1, 1) : null, s.init() && s.gates() == 4 ? Inputs.uniform(seed + 2, bh, -1, 1) : null,
          Inputs.uniform(seed + 3, gh * g.inputSize(), -k, k), Inputs.uniform(seed + 4, gh * g.hiddenSize(), -k, k),
          Inputs.uniform(seed + 5, gh, -k, k), Inputs.uniform(seed + 6, gh, -k, k), Inputs.uniform(seed + 7, Tensor.sizeOf(g.yShape()), -1, 1),
          s.finalGrad() ? Inputs.uniform(seed + 8, bh, -1, 1) : null, s.finalGrad() && s.gates() == 4 ? Inputs.uniform(seed + 9, bh, -1, 1) : null);
    }
  }

  /** |got - ref| <= rtol * max|t| + atol for every element of t (the bound of the reference's run is used). */
  static void put(Outputs o, String kernel, String name, Tensor t, double rtol, double atol) {
    float[] v = t.toArray();
    double m = 0;
    for (float f : v) m = Math.max(m, Math.abs(f));
    double[] b = new double[v.length];
    java.util.Arrays.fill(b, rtol * m + atol);
    o.putBounded(kernel, name, t, b);
  }

  static Tensor opt(Arena ar, String n, float[] v, int... shape) { return v == null ? null : ar.in(n, v, shape); }

  /** The outputs of one forward + backward pair: y, hT, cT (LSTM) and every gradient (dx null when not asked for). */
  record Run(Tensor y, Tensor hT, Tensor cT, Tensor dx, Tensor dh0, Tensor dc0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {}

  /** Runs forward then backward on one workspace, every tensor from ar; withDx false passes dx = null. */
  static Run forwardBackward(Shape s, Data d, Backend k, Arena ar, boolean withDx) {
    RnnGeometry g = s.g();
    int gh = s.gates() * g.hiddenSize();
    int[] st = g.stateShape();
    Tensor x = ar.in("x", d.x(), g.xShape()), h0 = opt(ar, "h0", d.h0(), st), c0 = opt(ar, "c0", d.c0(), st);
    Tensor wIh = ar.in("wIh", d.wIh(), gh, g.inputSize()), wHh = ar.in("wHh", d.wHh(), gh, g.hiddenSize());
    Tensor bIh = ar.in("bIh", d.bIh(), gh), bHh = ar.in("bHh", d.bHh(), gh);
    Tensor y = ar.out("y", g.yShape()), hT = ar.out("hT", st), cT = s.gates() == 4 ? ar.out("cT", st) : null;
    Tensor ws = ar.out("workspace", (int) (s.gates() == 4 ? k.lstmWorkspaceSize(g) : k.gruWorkspaceSize(g)));
    Tensor dy = ar.in("dy", d.dy(), g.yShape()), dhT = opt(ar, "dhT", d.dhT(), st), dcT = opt(ar, "dcT", d.dcT(), st);
    Tensor dx = withDx ? ar.out("dx", g.xShape()) : null, dh0 = ar.out("dh0", st), dc0 = s.gates() == 4 ? ar.out("dc0", st) : null;
    Tensor dwIh = ar.out("dwIh", gh, g.inputSize()), dwHh = ar.out("dwHh", gh, g.hiddenSize()), dbIh = ar.out("dbIh", gh), dbHh = ar.out("dbHh", gh);
    if (s.gates() == 4) {
      k.lstmForward(g, x, h0, c0, wIh, wHh, bIh, bHh, y, hT, cT, ws);
      k.lstmBackward(g, x, h0, c0, wIh, wHh, y, ws, dy, dhT, dcT, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh);
    } else {
      k.gruForward(g, x, h0, wIh, wHh, bIh, bHh, y, hT, ws);
      k.gruBackward(g, x, h0, wIh, wHh, y, ws, dy, dhT, dx, dh0, dwIh, dwHh, dbIh, dbHh);
    }
    return new Run(y, hT, cT, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh);
  }

  /** Runs forward then backward on one workspace and records every output. */
  static void run(Shape s, Data d, Backend k, Arena ar, Outputs o, double rtol, double atol) {
    Run r = forwardBackward(s, d, k, ar, true);
    String fk = s.gates() == 4 ? "lstm_forward" : "gru_forward", bk = s.gates() == 4 ? "lstm_backward" : "gru_backward";
    put(o, fk, "y", r.y(), rtol, atol); put(o, fk, "hT", r.hT(), rtol, atol); if (r.cT() != null) put(o, fk, "cT", r.cT(), rtol, atol);
    put(o, bk, "dx", r.dx(), rtol, atol); put(o, bk, "dh0", r.dh0(), rtol, atol); if (r.dc0() != null) put(o, bk, "dc0", r.dc0(), rtol, atol);
    put(o, bk, "dwIh", r.dwIh(), rtol, atol); put(o, bk, "dwHh", r.dwHh(), rtol, atol);
    put(o, bk, "dbIh", r.dbIh(), rtol, atol); put(o, bk, "dbHh", r.dbHh(), rtol, atol);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("lstmShapes")
  void lstm(Candidate c, Shape s) { parity(c, s); }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("gruShapes")
  void gru(Candidate c, Shape s) { parity(c, s); }

  static Stream<Candidate> candidates() { return BackendSource.nonReference(); }

  /** Several Java threads in the kernels at once (inference replicas): each call still matches. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("candidates")
  void concurrentCalls(Candidate c) throws Exception {
    BackendSource.require(c);
    List<Shape> cases = new ArrayList<>();
    for (int gates : new int[] {4, 3}) for (boolean rev : new boolean[] {false, true})
      cases.add(new Shape(gates, new RnnGeometry(19, 37, 7, 40, rev), true, true));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<?>> runs = new ArrayList<>();
      for (int r = 0; r < 3; r++) for (Shape s : cases) runs.add(pool.submit(() -> parity(c, s)));
      for (java.util.concurrent.Future<?> f : runs) f.get();
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The cpu kernels' paths: the batch-row split (uneven at B 19; several row tiles per thread at B
   * 40, H 128) and the per-step path (B 1), for the portable and the no-dx runs below.
   */
  static final Shape[] PATHS = {
      new Shape(4, new RnnGeometry(19, 37, 7, 16, false), true, true), new Shape(4, new RnnGeometry(40, 37, 7, 128, true), false, false),
      new Shape(4, new RnnGeometry(1, 5, 3, 5, false), true, true),
      new Shape(3, new RnnGeometry(19, 37, 7, 16, true), true, true), new Shape(3, new RnnGeometry(40, 37, 7, 128, false), false, false),
      new Shape(3, new RnnGeometry(1, 5, 3, 5, true), false, false),
  };

  static Stream<Arguments> portableShapes() { return BackendSource.nonReferenceTimes(PATHS); }

  /**
   * On the cpu backend with jnn's own AVX-512 kernels off: the recurrent products the split path
   * makes with OpenBLAS tiles on each thread, as on a CPU without AVX-512, against the reference
   * (on other backends the same check as {@link #lstm}).
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("portableShapes")
  void portableKernels(Candidate c, Shape s) {
    Backend be = BackendSource.require(c);
    if (!(be instanceof dev.jnn.backend.cpu.CpuBackend)) {
      parity(c, s);
      return;
    }
    boolean prev = dev.jnn.backend.cpu.CpuBackend.setAvx512Kernels(false);
    try {
      parity(c, s);
    } finally {
      dev.jnn.backend.cpu.CpuBackend.setAvx512Kernels(prev);
    }
  }

  static Stream<Arguments> noDxShapes() { return BackendSource.allTimes(PATHS); }

  /**
   * dx = null (a model's first layer): every other gradient is bit-identical to the backward that
   * computes dx on the same backend.
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("noDxShapes")
  void withoutInputGradient(Candidate c, Shape s) {
    Backend be = BackendSource.require(c);
    Data d = Data.of(s, 900 + s.hashCode() % 89);
    float[][] with = grads(be, s, d, true), without = grads(be, s, d, false);
    String[] names = {"dh0", "dc0", "dwIh", "dwHh", "dbIh", "dbHh"};
    for (int i = 0; i < names.length; i++) {
      if (with[i] == null) continue;
      for (int j = 0; j < with[i].length; j++)
        if (Float.floatToIntBits(with[i][j]) != Float.floatToIntBits(without[i][j]))
          throw new AssertionError(c + " " + s + ": " + names[i] + "[" + j + "] " + without[i][j] + " without dx, " + with[i][j] + " with it");
    }
  }

  /** dh0, dc0 (LSTM), dwIh, dwHh, dbIh, dbHh of a forward + backward, with or without dx. */
  static float[][] grads(Backend k, Shape s, Data d, boolean withDx) {
    try (Arena ar = new Arena(k.device(), 0)) {
      Run r = forwardBackward(s, d, k, ar, withDx);
      return new float[][] {r.dh0().toArray(), r.dc0() == null ? null : r.dc0().toArray(), r.dwIh().toArray(), r.dwHh().toArray(),
          r.dbIh().toArray(), r.dbHh().toArray()};
    }
  }

  static void parity(Candidate c, Shape s) {
    Backend be = BackendSource.require(c);
    Data d = Data.of(s, 700 + s.hashCode() % 97);
    int off = s.g().reverse() ? 3 : 0;
    Parity.check(s.gates() == 4 ? "lstm" : "gru", be, off, (k, ar, o) -> run(s, d, k, ar, o, RNN_KERNEL_PARITY_RTOL, RNN_KERNEL_PARITY_ATOL));
  }

  // ------------------------------------------------------------------ oracle: PyTorch's formulas in double

  static double sig(double v) { return 1 / (1 + Math.exp(-v)); }

  /** Double forward of one direction; returns {y, hT, cT (LSTM)} flattened, the loss weights dy/dhT/dcT applied by the caller. */
  static double[][] oracleForward(Shape s, double[] x, double[] h0, double[] c0, double[] wIh, double[] wHh, double[] bIh, double[] bHh) {
    RnnGeometry g = s.g();
    int b = g.batch(), tt = g.steps(), in = g.inputSize(), h = g.hiddenSize();
    double[] y = new double[b * tt * h], hs = new double[b * h], cs = new double[b * h];
    for (int bi = 0; bi < b; bi++) {
      double[] hv = new double[h], cv = new double[h];
      if (h0 != null) System.arraycopy(h0, bi * h, hv, 0, h);
      if (c0 != null) System.arraycopy(c0, bi * h, cv, 0, h);
      for (int s2 = 0; s2 < tt; s2++) {
        int t = g.reverse() ? tt - 1 - s2 : s2;
        double[] gi = new double[s.gates() * h], gr = new double[s.gates() * h];
        for (int q = 0; q < s.gates() * h; q++) {
          double a = bIh[q], r = bHh[q];
          for (int i = 0; i < in; i++) a += wIh[q * in + i] * x[(bi * tt + t) * in + i];
          for (int j = 0; j < h; j++) r += wHh[q * h + j] * hv[j];
          gi[q] = a; gr[q] = r;
        }
        double[] nh = new double[h];
        for (int j = 0; j < h; j++) {
          if (s.gates() == 4) {
            double ig = sig(gi[j] + gr[j]), fg = sig(gi[h + j] + gr[h + j]), cg = Math.tanh(gi[2 * h + j] + gr[2 * h + j]);
            double og = sig(gi[3 * h + j] + gr[3 * h + j]);
            cv[j] = fg * cv[j] + ig * cg;
            nh[j] = og * Math.tanh(cv[j]);
          } else {
            double r = sig(gi[j] + gr[j]), z = sig(gi[h + j] + gr[h + j]), n = Math.tanh(gi[2 * h + j] + r * gr[2 * h + j]);
            nh[j] = (1 - z) * n + z * hv[j];
          }
        }
        hv = nh;
        System.arraycopy(hv, 0, y, (bi * tt + t) * h, h);
      }
      System.arraycopy(hv, 0, hs, bi * h, h);
      System.arraycopy(cv, 0, cs, bi * h, h);
    }
    return new double[][] {y, hs, cs};
  }

  static double[] dbl(float[] f) { return f == null ? null : Outputs.toDouble(f); }

  static double dot(double[] a, float[] w) {
    if (w == null) return 0;
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * w[i];
    return s;
  }

  static final Shape[] ORACLE = {
      new Shape(4, new RnnGeometry(2, 5, 3, 4, false), true, true),
      new Shape(4, new RnnGeometry(3, 4, 2, 3, true), false, false),
      new Shape(3, new RnnGeometry(2, 5, 3, 4, true), true, true),
      new Shape(3, new RnnGeometry(3, 4, 2, 3, false), false, false),
  };

  static Stream<Arguments> oracleShapes() { return BackendSource.allTimes(ORACLE); }

  /** Forward values vs the double formulas, gradients vs central differences of the double forward of L = dy.y + dhT.hT + dcT.cT. */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("oracleShapes")
  void oracle(Candidate c, Shape s) {
    Backend be = BackendSource.require(c);
    Data d = Data.of(s, 900 + s.gates());
    Outputs got = Parity.run("rnn oracle", be, 0, (k, ar, o) -> run(s, d, k, ar, o, 0, 0));
    double[][] in = {dbl(d.x()), dbl(d.h0()), dbl(d.c0()), dbl(d.wIh()), dbl(d.wHh()), dbl(d.bIh()), dbl(d.bHh())};
    java.util.function.Supplier<double[][]> fwd = () -> oracleForward(s, in[0], in[1], in[2], in[3], in[4], in[5], in[6]);
    java.util.function.ToDoubleFunction<double[][]> loss = f -> dot(f[0], d.dy()) + dot(f[1], d.dhT()) + dot(f[2], d.dcT());
    double[][] f = fwd.get();
    check(s + " y", f[0], got.get("y"));
    check(s + " hT", f[1], got.get("hT"));
    if (s.gates() == 4) check(s + " cT", f[2], got.get("cT"));
    String[] names = {"dx", "dh0", "dc0", "dwIh", "dwHh", "dbIh", "dbHh"};
    for (int p = 0; p < names.length; p++) {
      if (s.gates() == 3 && p == 2) continue;
      double[] v = in[p];
      double[] fd = new double[p == 1 || p == 2 ? s.g().batch() * s.g().hiddenSize() : v.length];
      if (v != null) {
        for (int i = 0; i < v.length; i++) {
          double keep = v[i], e = 1e-6;
          v[i] = keep + e; double lp = loss.applyAsDouble(fwd.get());
          v[i] = keep - e; double lm = loss.applyAsDouble(fwd.get());
          v[i] = keep;
          fd[i] = (lp - lm) / (2 * e);
        }
      } else {
        // no h0/c0 given: the gradient w.r.t. the zero initial state, by differences around zeros
        double[] z = new double[fd.length];
        in[p] = z;
        for (int i = 0; i < z.length; i++) {
          double e = 1e-6;
          z[i] = e; double lp = loss.applyAsDouble(fwd.get());
          z[i] = -e; double lm = loss.applyAsDouble(fwd.get());
          z[i] = 0;
          fd[i] = (lp - lm) / (2 * e);
        }
        in[p] = null;
      }
      check(s + " " + names[p] + " on " + be.name(), fd, got.get(names[p]));
    }
  }

  static void check(String what, double[] ref, double[] got) {
    double m = 0;
    for (double v : ref) m = Math.max(m, Math.abs(v));
    double[] b = new double[ref.length];
    java.util.Arrays.fill(b, RNN_KERNEL_ORACLE_RTOL * m + RNN_KERNEL_ORACLE_ATOL);
    Outputs.assertWithin(what, ref, got, b);
  }

  // ------------------------------------------------------------------ embedding

  record Emb(String name, int v, int dim, int[] ids, int off, int n, int pad) {
    @Override public String toString() { return name; }
  }

  static final Emb[] EMB = {
      new Emb("V10 D4 repeats pad0", 10, 4, new int[] {9, 0, 3, 3, 7, 0, 3, 1}, 1, 6, 0),
      new Emb("V1 D1 all same no pad", 1, 1, new int[] {0, 0, 0, 0, 0}, 0, 5, -1),
      new Emb("V50 D33 no pad", 50, 33, Inputs.labels(31, 300, 50), 0, 300, -1),
      new Emb("V50 D33 pad 7", 50, 33, Inputs.labels(32, 301, 50), 1, 300, 7),
      new Emb("V1000 D64 n4096 pad 0", 1000, 64, Inputs.labels(33, 4096, 1000), 0, 4096, 0),
  };

  static Stream<Arguments> embShapes() { return BackendSource.nonReferenceTimes(EMB, BackendSource.ints(Inputs.OFFSETS)); }

  @ParameterizedTest(name = "{0} {1} offset={2}")
  @MethodSource("embShapes")
  void embedding(Candidate c, Emb e, int off) {
    Backend be = BackendSource.require(c);
    float[] w = Inputs.uniform(41, e.v() * e.dim(), -1, 1), dout = Inputs.uniform(42, e.n() * e.dim(), -1, 1);
    Parity.check("embedding_forward", be, off, (k, ar, o) -> {
      Tensor out = ar.out("out", e.n(), e.dim());
      k.embeddingForward(e.ids(), e.off(), ar.in("weight", w, e.v(), e.dim()), out);
      o.put("embedding_forward", "out", out, EXACT_RTOL, EXACT_ATOL);
    });
    Parity.check("embedding_backward", be, off, (k, ar, o) -> {
      Tensor dw = ar.out("dweight", e.v(), e.dim());
      k.embeddingBackward(e.ids(), e.off(), ar.in("dout", dout, e.n(), e.dim()), dw, e.pad());
      o.put("embedding_backward", "dweight", dw, EXACT_RTOL, EXACT_ATOL);
    });
  }

  /** The reference (and every backend) against the definition: row gather; zero, scatter-add, no gradient into the padding row. */
  static Stream<Arguments> embAll() { return BackendSource.allTimes(EMB); }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("embAll")
  void embeddingDefinition(Candidate c, Emb e) {
    Backend be = BackendSource.require(c);
    Device dv = be.device();
    float[] w = Inputs.uniform(41, e.v() * e.dim(), -1, 1), dout = Inputs.uniform(42, e.n() * e.dim(), -1, 1);
    Tensor out = Tensor.zeros(dv, e.n(), e.dim()), dw = Arena.of(dv, Inputs.uniform(43, e.v() * e.dim(), -1, 1), e.v(), e.dim());
    be.embeddingForward(e.ids(), e.off(), Arena.of(dv, w, e.v(), e.dim()), out);
    be.embeddingBackward(e.ids(), e.off(), Arena.of(dv, dout, e.n(), e.dim()), dw, e.pad());
    double[] ref = new double[e.n() * e.dim()], dref = new double[e.v() * e.dim()];
    for (int i = 0; i < e.n(); i++) {
      int id = e.ids()[e.off() + i];
      for (int q = 0; q < e.dim(); q++) {
        ref[i * e.dim() + q] = w[id * e.dim() + q];
        if (id != e.pad()) dref[id * e.dim() + q] += dout[i * e.dim() + q];
      }
    }
    Outputs.assertClose(e + " forward on " + be.name(), ref, Outputs.toDouble(out.toArray()), 0, 0);
    Outputs.assertClose(e + " backward on " + be.name(), dref, Outputs.toDouble(dw.toArray()), EMBEDDING_GRAD_RTOL, EMBEDDING_GRAD_ATOL);
  }
}
