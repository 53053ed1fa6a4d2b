package dev.jnn.backend;

import static dev.jnn.Tolerances.FLOAT_EPS;
import static dev.jnn.Tolerances.GEMM_ATOL;
import static dev.jnn.Tolerances.GEMM_EPS_FACTOR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Parity of gemm_batched: densely packed batches with every transpose combination and
 * (alpha, beta), k = 0, one matrix and many (32 of the attention shape 64x64x32, run in parallel
 * on cpu); and the strided layouts attention uses, reading heads in place from a (B, T, 3d) qkv
 * buffer and writing them side by side into a (B, T, d) output (MultiHeadAttention's six products
 * per head, and the per-sample form of the BatchedGemm javadoc), with beta != 0. Elements of c
 * outside every C matrix must keep their values. Bounds per element as in GemmParityTest.
 */
class BatchedGemmParityTest {

  /** (batch, m, n, k). */
  static final int[][] SIZES = {{1, 1, 1, 1}, {3, 7, 13, 5}, {32, 64, 64, 32}, {4, 3, 5, 0}, {2, 65, 1, 130}};
  static final float[][] ALPHA_BETA = {{1f, 0f}, {0.5f, 0f}, {-1.5f, 0.75f}};

  static Stream<Arguments> denseCases() {
    List<Object> layouts = new ArrayList<>();
    for (int[] s : SIZES)
      for (boolean ta : new boolean[] {false, true})
        for (boolean tb : new boolean[] {false, true})
          for (float[] ab : ALPHA_BETA) layouts.add(BatchedGemm.dense(ta, tb, s[0], s[1], s[2], s[3]).withAlpha(ab[0]).withBeta(ab[1]));
    return BackendSource.nonReferenceTimes(layouts.toArray(), BackendSource.ints(Inputs.OFFSETS));
  }

  /** op(A_p)[i][l] of the layout g in a. */
  static float opA(BatchedGemm g, float[] a, int p, int i, int l) {
    long base = g.offA() + p * g.strideA();
    return a[(int) (base + (g.transA() ? (long) l * g.lda() + i : (long) i * g.lda() + l))];
  }

  static float opB(BatchedGemm g, float[] b, int p, int l, int j) {
    long base = g.offB() + p * g.strideB();
    return b[(int) (base + (g.transB() ? (long) j * g.ldb() + l : (long) l * g.ldb() + j))];
  }

  /**
   * Per-element bounds over c: GEMM_ATOL + GEMM_EPS_FACTOR eps (k + 2) (|alpha| sum_l |a b| + |beta c|)
   * inside the C matrices, 0 outside them (those elements must not change).
   */
  static double[] bound(BatchedGemm g, float[] a, float[] b, float[] c0) {
    double[] bd = new double[c0.length];
    for (int p = 0; p < g.batch(); p++)
      for (int i = 0; i < g.m(); i++)
        for (int j = 0; j < g.n(); j++) {
          int ci = (int) (g.offC() + p * g.strideC() + (long) i * g.ldc() + j);
          double mag = 0;
          for (int l = 0; l < g.k(); l++) mag += Math.abs((double) opA(g, a, p, i, l) * opB(g, b, p, l, j));
          mag = Math.abs(g.alpha()) * mag + (g.beta() == 0 ? 0 : Math.abs(g.beta() * (double) c0[ci]));
          bd[ci] = Math.max(bd[ci], GEMM_ATOL + GEMM_EPS_FACTOR * FLOAT_EPS * (g.k() + 2) * mag);
        }
    return bd;
  }

  /** Tensor sizes that hold the layout (at least 1 float each). */
  static int sizeA(BatchedGemm g) { return (int) Math.max(1, g.extentA()); }
  static int sizeB(BatchedGemm g) { return (int) Math.max(1, g.extentB()); }
  static int sizeC(BatchedGemm g) { return (int) Math.max(1, g.extentC()); }

  @ParameterizedTest(name = "{0} {1} offset={2}")
  @MethodSource("denseCases")
  void dense(Candidate cand, BatchedGemm g, int off) {
    Backend be = BackendSource.require(cand);
    float[] a = Inputs.uniform(801 + g.m(), sizeA(g), -1, 1), b = Inputs.uniform(802 + g.n(), sizeB(g), -1, 1), c0 = Inputs.uniform(803, sizeC(g), -1, 1);
    double[] bd = bound(g, a, b, c0);
    Parity.check("gemm_batched", be, off, (k, ar, o) -> {
      Tensor c = ar.in("c", c0, c0.length);
      k.gemmBatched(g, ar.in("a", a, a.length), ar.in("b", b, b.length), c);
      o.putBounded("gemm_batched", "c", c, bd);
    });
  }

  // ------------------------------------------------------------------ attention layouts

  /** One product of an attention layer over its buffers (qkv, dqkv (B, T, 3d), scores (B, H, T, T), out (B, T, d)). */
  record Layout(String name, BatchedGemm g, int aBuf, int bBuf, int cBuf) {
    @Override public String toString() { return name; }
  }

  static final int QKV = 0, SCORES = 1, OUT = 2, DQKV = 3;

  /**
   * MultiHeadAttention's products for head i (batch B over samples): scores = Q K^T, out = P V,
   * dP = dO V^T, dV = P^T dO, dQ = dS K, dK = dS^T Q, each reading or writing the head's columns
   * in place; plus the javadoc's per-sample form (batch H over heads of sample 1) and P V into the
   * heads side by side of one sample's output rows (C matrices interleaved by columns).
   */
  static List<Layout> layouts(int batch, int t, int d, int heads) {
    int hd = d / heads;
    long rowQkv = (long) t * 3 * d, rowD = (long) t * d, htt = (long) heads * t * t;
    float scale = (float) (1 / Math.sqrt(hd));
    List<Layout> l = new ArrayList<>();
    for (int i : heads == 1 ? new int[] {0} : new int[] {0, heads - 1}) {
      long q = (long) i * hd, k = d + (long) i * hd, v = 2L * d + (long) i * hd, s = (long) i * t * t, o = (long) i * hd;
      String h = " head " + i;
      l.add(new Layout("scores = Q K^T" + h, BatchedGemm.dense(false, true, batch, t, t, hd).withA(q, 3 * d, rowQkv).withB(k, 3 * d, rowQkv)
          .withC(s, t, htt).withAlpha(scale), QKV, QKV, SCORES));
      l.add(new Layout("out = P V" + h, BatchedGemm.dense(false, false, batch, t, hd, t).withA(s, t, htt).withB(v, 3 * d, rowQkv).withC(o, d, rowD),
          SCORES, QKV, OUT));
      l.add(new Layout("dP = dO V^T" + h, BatchedGemm.dense(false, true, batch, t, t, hd).withA(o, d, rowD).withB(v, 3 * d, rowQkv).withC(s, t, htt),
          OUT, QKV, SCORES));
      l.add(new Layout("dV = P^T dO" + h, BatchedGemm.dense(true, false, batch, t, hd, t).withA(s, t, htt).withB(o, d, rowD).withC(v, 3 * d, rowQkv),
          SCORES, OUT, DQKV));
      l.add(new Layout("dQ = dS K, beta 1" + h, BatchedGemm.dense(false, false, batch, t, hd, t).withA(s, t, htt).withB(k, 3 * d, rowQkv)
          .withC(q, 3 * d, rowQkv).withAlpha(scale).withBeta(1f), SCORES, QKV, DQKV));
      l.add(new Layout("dK = dS^T Q, beta -0.5" + h, BatchedGemm.dense(true, false, batch, t, hd, t).withA(s, t, htt).withB(q, 3 * d, rowQkv)
          .withC(k, 3 * d, rowQkv).withAlpha(scale).withBeta(-0.5f), SCORES, QKV, DQKV));
    }
    int b1 = Math.min(1, batch - 1);
    l.add(new Layout("javadoc scores of sample " + b1, BatchedGemm.dense(false, true, heads, t, t, hd).withA(b1 * rowQkv, 3 * d, hd)
        .withB(b1 * rowQkv + d, 3 * d, hd).withC(b1 * htt, t, (long) t * t).withAlpha(scale), QKV, QKV, SCORES));
    l.add(new Layout("P V, heads side by side, sample " + b1, BatchedGemm.dense(false, false, heads, t, hd, t).withA(b1 * htt, t, (long) t * t)
        .withB(b1 * rowQkv + 2L * d, 3 * d, hd).withC(b1 * rowD, d, hd), SCORES, QKV, OUT));
    return l;
  }

  /** (B, T, d, H): odd sizes with head dim 1 and one head; the attention shape of the benchmarks (64x64x32 per head) at batch 32. */
  static final int[][] ATTENTION = {{2, 5, 3, 3}, {3, 7, 12, 1}, {3, 7, 12, 3}, {32, 64, 128, 4}};

  /** One attention layout at one size. */
  record AttentionCase(int[] btdh, Layout layout) {
    @Override public String toString() { return "BTdH=" + java.util.Arrays.toString(btdh) + " " + layout; }
  }

  static Stream<Arguments> attentionCases() {
    List<Object> cases = new ArrayList<>();
    for (int[] s : ATTENTION)
      for (Layout l : layouts(s[0], s[1], s[2], s[3])) cases.add(new AttentionCase(s, l));
    return BackendSource.nonReferenceTimes(cases.toArray(), BackendSource.ints(Inputs.OFFSETS));
  }

  @ParameterizedTest(name = "{0} {1} offset={2}")
  @MethodSource("attentionCases")
  void attention(Candidate cand, AttentionCase ac, int off) {
    Backend be = BackendSource.require(cand);
    int batch = ac.btdh()[0], t = ac.btdh()[1], d = ac.btdh()[2], heads = ac.btdh()[3];
    Layout l = ac.layout();
    int[][] shapes = {{batch, t, 3 * d}, {batch, heads, t, t}, {batch, t, d}, {batch, t, 3 * d}};
    float[][] data = {Inputs.uniform(811, batch * t * 3 * d, -1, 1), Inputs.uniform(812, batch * heads * t * t, 0, 1),
        Inputs.uniform(813, batch * t * d, -1, 1), Inputs.uniform(814, batch * t * 3 * d, -1, 1)};
    String[] names = {"qkv", "scores", "out", "dqkv"};
    double[] bd = bound(l.g(), data[l.aBuf()], data[l.bBuf()], data[l.cBuf()]);
    Parity.check("gemm_batched", be, off, (k, ar, o) -> {
      Tensor[] bufs = new Tensor[4];
      for (int i : new int[] {l.cBuf(), l.aBuf(), l.bBuf()}) if (bufs[i] == null) bufs[i] = ar.in(names[i], data[i], shapes[i]);
      k.gemmBatched(l.g(), bufs[l.aBuf()], bufs[l.bBuf()], bufs[l.cBuf()]);
      o.putBounded("gemm_batched", "c", bufs[l.cBuf()], bd);
    });
  }

  // ------------------------------------------------------------------ semantics on every backend (reference included)

  /** beta = 0 never reads c (BLAS): NaN left in a reused buffer does not leak into the result; elements outside the C matrices stay NaN. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.jnn.backend.BackendSource#all")
  void betaZeroIgnoresGarbageInC(Candidate cand) {
    Backend be = BackendSource.require(cand);
    Device d = be.device();
    BatchedGemm g = BatchedGemm.dense(false, true, 3, 4, 5, 6).withC(2, 7, 30);   // rows of 5 in rows of 7, matrices 30 apart
    float[] c = new float[(int) g.extentC()];
    java.util.Arrays.fill(c, Float.NaN);
    Tensor ct = Arena.of(d, c, c.length);
    be.gemmBatched(g, Arena.of(d, Inputs.uniform(821, 72, -1, 1), 72), Arena.of(d, Inputs.uniform(822, 90, -1, 1), 90), ct);
    float[] got = ct.toArray();
    int inside = 0;
    for (int p = 0; p < 3; p++)
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 5; j++) {
          int ci = 2 + p * 30 + i * 7 + j;
          assertTrue(Float.isFinite(got[ci]), "gemm_batched on " + be.name() + " with beta = 0 let NaN from c through at " + ci);
          got[ci] = Float.NaN;
          inside++;
        }
    assertEquals(60, inside);
    for (int i = 0; i < got.length; i++) assertTrue(Float.isNaN(got[i]), "gemm_batched on " + be.name() + " wrote outside the C matrices at " + i);
  }

  /** A known product per matrix: A_p = [[1,2],[3,4]] + p, B_p = [[5,6],[7,8]]; alpha 2, beta 3 onto ones, with each transpose flag. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.jnn.backend.BackendSource#all")
  void knownProducts(Candidate cand) {
    Backend be = BackendSource.require(cand);
    Device d = be.device();
    for (boolean ta : new boolean[] {false, true})
      for (boolean tb : new boolean[] {false, true}) {
        float[] a = new float[8], b = new float[8];
        for (int p = 0; p < 2; p++)
          for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
              a[p * 4 + (ta ? j * 2 + i : i * 2 + j)] = 1 + i * 2 + j + p;
              b[p * 4 + (tb ? j * 2 + i : i * 2 + j)] = 5 + i * 2 + j;
            }
        Tensor c = Arena.of(d, new float[] {1, 1, 1, 1, 1, 1, 1, 1}, 8);
        be.gemmBatched(BatchedGemm.dense(ta, tb, 2, 2, 2, 2).withAlpha(2f).withBeta(3f), Arena.of(d, a, 8), Arena.of(d, b, 8), c);
        // p = 0: [[19,22],[43,50]]; p = 1 adds [[1,1],[1,1]] [[5,6],[7,8]] = [[12,14],[12,14]]
        float[] want = {2 * 19 + 3, 2 * 22 + 3, 2 * 43 + 3, 2 * 50 + 3, 2 * 31 + 3, 2 * 36 + 3, 2 * 55 + 3, 2 * 64 + 3};
        org.junit.jupiter.api.Assertions.assertArrayEquals(want, c.toArray(), "gemm_batched " + (ta ? "T" : "N") + (tb ? "T" : "N") + " on " + be.name());
      }
  }
}
