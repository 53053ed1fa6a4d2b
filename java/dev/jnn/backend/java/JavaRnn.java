package dev.jnn.backend.java;

import dev.jnn.backend.RnnGeometry;
import dev.jnn.tensor.Tensor;

/**
 * Reference LSTM/GRU/embedding kernels of {@link JavaBackend}: plain loops that mirror the
 * structure of native/cpu/rnn.cpp step for step (input projection of all steps, then per step the
 * recurrent product and one fused gate pass; backward: per step a fused gate-gradient pass and the
 * recurrent dh product, then dx, dW_ih, dW_hh and the biases over all steps at the end). The
 * all-steps products (input projection, dx, dW_ih, dW_hh) run on {@link JavaGemm} (float, blocked,
 * multithreaded); the per-step recurrent products and the gate math accumulate in double; gate
 * values are rounded to float where the native kernel stores them, so both read the same saved
 * state. The oracle test in RnnParityTest checks this reference against PyTorch's formulas in double.
 *
 * <p>Workspace layout (floats, R = B*T rows, row r = b*T + t, the same on every backend):
 * <pre>
 * LSTM (G = 4H): gates R*G (activated i,f,g,o) | cells R*H (c_t)        -- saved by the forward
 *                dgates R*G | hprev R*H | dh B*H | dc B*H               -- backward scratch
 * GRU  (G = 3H): gates R*G (activated r,z,n) | hn R*H (W_hn h + b_hn)   -- saved by the forward
 *                dgi R*G | dgh R*G | hprev R*H | dh B*H | hh B*G        -- scratch (hh: forward)
 * </pre>
 */
final class JavaRnn {
  private JavaRnn() {}

  static long lstmWorkspaceSize(RnnGeometry g) {
    long r = (long) g.batch() * g.steps(), h = g.hiddenSize();
    return r * 10 * h + 2L * g.batch() * h;
  }

  static long gruWorkspaceSize(RnnGeometry g) {
    long r = (long) g.batch() * g.steps(), h = g.hiddenSize();
    return r * 11 * h + 4L * g.batch() * h;
  }

  private static float sigmoid(double v) { return (float) (1.0 / (1.0 + Math.exp(-v))); }

  // ------------------------------------------------------------------ shared GEMM-shaped loops

  /** c[r, n] = sum_k a[r, k] w[n, k] (+ c when accumulate): a (rows, K) with row stride lda, w (N, K), c row stride ldc. */
  private static void timesWT(float[] a, int ao, int lda, int rows, int kk, float[] w, int wo, int n, float[] c, int co, int ldc, boolean accumulate) {
    for (int r = 0; r < rows; r++)
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int q = 0; q < kk; q++) s += (double) a[ao + r * lda + q] * w[wo + j * kk + q];
        int ci = co + r * ldc + j;
        c[ci] = accumulate ? (float) (c[ci] + s) : (float) s;
      }
  }

  /** c[r, k] = sum_n a[r, n] w[n, k]: a (rows, N) row stride lda, w (N, K), c (rows, K) row stride ldc; accumulate or write. */
  private static void timesW(float[] a, int ao, int lda, int rows, int n, float[] w, int wo, int kk, float[] c, int co, int ldc, boolean accumulate) {
    double[] acc = new double[kk];
    for (int r = 0; r < rows; r++) {
      java.util.Arrays.fill(acc, 0.0);
      for (int j = 0; j < n; j++) {
        double v = a[ao + r * lda + j];
        int wr = wo + j * kk;
        for (int q = 0; q < kk; q++) acc[q] += v * w[wr + q];
      }
      for (int q = 0; q < kk; q++) {
        int ci = co + r * ldc + q;
        c[ci] = accumulate ? (float) (c[ci] + acc[q]) : (float) acc[q];
      }
    }
  }

  private static void colSum(float[] a, int ao, int rows, int n, float[] c, int co) {
    double[] acc = new double[n];
    for (int r = 0; r < rows; r++)
      for (int j = 0; j < n; j++) acc[j] += a[ao + r * n + j];
    for (int j = 0; j < n; j++) c[co + j] = (float) acc[j];
  }

  /** hprev row (b, t) = h before step t: y at the previous processed step, else h0 (or 0). */
  private static void gatherHprev(RnnGeometry g, Tensor h0, Tensor y, float[] w, int hp) {
    int b = g.batch(), tt = g.steps(), h = g.hiddenSize();
    for (int s = 0; s < tt; s++) {
      int t = g.stepAt(s);
      for (int bi = 0; bi < b; bi++) {
        int dst = hp + (bi * tt + t) * h;
        if (s > 0) System.arraycopy(y.data(), y.offset() + (bi * tt + g.stepAt(s - 1)) * h, w, dst, h);
        else if (h0 != null) System.arraycopy(h0.data(), h0.offset() + bi * h, w, dst, h);
        else java.util.Arrays.fill(w, dst, dst + h, 0f);
      }
    }
  }

  // ------------------------------------------------------------------ LSTM

  static void lstmForward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh,
                          Tensor y, Tensor hT, Tensor cT, Tensor ws) {
    int b = g.batch(), tt = g.steps(), in = g.inputSize(), h = g.hiddenSize(), gg = 4 * h, rows = b * tt;
    float[] w = ws.data();
    int gates = ws.offset(), cells = gates + rows * gg;
    float[] yd = y.data();
    int yo = y.offset();
    // input projection of all steps, both biases folded in
    for (int r = 0; r < rows; r++)
      for (int q = 0; q < gg; q++) w[gates + r * gg + q] = bIh.data()[bIh.offset() + q] + bHh.data()[bHh.offset() + q];
    JavaGemm.gemm(false, true, rows, gg, in, 1f, x.data(), x.offset(), wIh.data(), wIh.offset(), 1f, w, gates, null, 0);
    for (int s = 0; s < tt; s++) {
      int t = g.stepAt(s), tp = s > 0 ? g.stepAt(s - 1) : -1;
      // recurrent product, accumulated into this step's gate rows (row stride T*G)
      if (tp >= 0) timesWT(yd, yo + tp * h, tt * h, b, h, wHh.data(), wHh.offset(), gg, w, gates + t * gg, tt * gg, true);
      else if (h0 != null) timesWT(h0.data(), h0.offset(), h, b, h, wHh.data(), wHh.offset(), gg, w, gates + t * gg, tt * gg, true);
      // fused gates + cell update
      for (int bi = 0; bi < b; bi++) {
        int gr = gates + (bi * tt + t) * gg;
        for (int j = 0; j < h; j++) {
          float ig = sigmoid(w[gr + j]), fg = sigmoid(w[gr + h + j]), cg = (float) Math.tanh(w[gr + 2 * h + j]), og = sigmoid(w[gr + 3 * h + j]);
          float cp = tp >= 0 ? w[cells + (bi * tt + tp) * h + j] : c0 != null ? c0.data()[c0.offset() + bi * h + j] : 0f;
          float c = (float) ((double) fg * cp + (double) ig * cg);
          w[gr + j] = ig; w[gr + h + j] = fg; w[gr + 2 * h + j] = cg; w[gr + 3 * h + j] = og;
          w[cells + (bi * tt + t) * h + j] = c;
          yd[yo + (bi * tt + t) * h + j] = (float) (og * Math.tanh(c));
        }
      }
    }
    int last = g.stepAt(tt - 1);
    for (int bi = 0; bi < b; bi++) {
      System.arraycopy(yd, yo + (bi * tt + last) * h, hT.data(), hT.offset() + bi * h, h);
      System.arraycopy(w, cells + (bi * tt + last) * h, cT.data(), cT.offset() + bi * h, h);
    }
  }

  static void lstmBackward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y, Tensor ws,
                           Tensor dy, Tensor dhT, Tensor dcT, Tensor dx, Tensor dh0, Tensor dc0,
                           Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    int b = g.batch(), tt = g.steps(), in = g.inputSize(), h = g.hiddenSize(), gg = 4 * h, rows = b * tt;
    float[] w = ws.data();
    int gates = ws.offset(), cells = gates + rows * gg, dg = cells + rows * h, hp = dg + rows * gg, dh = hp + rows * h, dc = dh + b * h;
    for (int i = 0; i < b * h; i++) {
      w[dh + i] = dhT == null ? 0f : dhT.data()[dhT.offset() + i];
      w[dc + i] = dcT == null ? 0f : dcT.data()[dcT.offset() + i];
    }
    float[] dyd = dy.data();
    for (int s = tt - 1; s >= 0; s--) {
      int t = g.stepAt(s), tp = s > 0 ? g.stepAt(s - 1) : -1;
      for (int bi = 0; bi < b; bi++) {
        int gr = gates + (bi * tt + t) * gg, dr = dg + (bi * tt + t) * gg;
        for (int j = 0; j < h; j++) {
          float ig = w[gr + j], fg = w[gr + h + j], cg = w[gr + 2 * h + j], og = w[gr + 3 * h + j];
          float c = w[cells + (bi * tt + t) * h + j];
          float cp = tp >= 0 ? w[cells + (bi * tt + tp) * h + j] : c0 != null ? c0.data()[c0.offset() + bi * h + j] : 0f;
          double tc = Math.tanh(c);
          double dhv = (double) dyd[dy.offset() + (bi * tt + t) * h + j] + w[dh + bi * h + j];
          double dct = w[dc + bi * h + j] + dhv * og * (1 - tc * tc);
          w[dr + j] = (float) (dct * cg * ig * (1 - ig));
          w[dr + h + j] = (float) (dct * cp * fg * (1 - fg));
          w[dr + 2 * h + j] = (float) (dct * ig * (1 - (double) cg * cg));
          w[dr + 3 * h + j] = (float) (dhv * tc * og * (1 - og));
          w[dc + bi * h + j] = (float) (dct * fg);
        }
      }
      // dh before step t = dgates_t W_hh
      timesW(w, dg + t * gg, tt * gg, b, gg, wHh.data(), wHh.offset(), h, w, dh, h, false);
    }
    System.arraycopy(w, dh, dh0.data(), dh0.offset(), b * h);
    System.arraycopy(w, dc, dc0.data(), dc0.offset(), b * h);
    gatherHprev(g, h0, y, w, hp);
    if (dx != null) JavaGemm.gemm(false, false, rows, in, gg, 1f, w, dg, wIh.data(), wIh.offset(), 0f, dx.data(), dx.offset(), null, 0);
    JavaGemm.gemm(true, false, gg, in, rows, 1f, w, dg, x.data(), x.offset(), 0f, dwIh.data(), dwIh.offset(), null, 0);
    JavaGemm.gemm(true, false, gg, h, rows, 1f, w, dg, w, hp, 0f, dwHh.data(), dwHh.offset(), null, 0);
    colSum(w, dg, rows, gg, dbIh.data(), dbIh.offset());
    System.arraycopy(dbIh.data(), dbIh.offset(), dbHh.data(), dbHh.offset(), gg);
  }

  // ------------------------------------------------------------------ GRU

  static void gruForward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, Tensor y, Tensor hT, Tensor ws) {
    int b = g.batch(), tt = g.steps(), in = g.inputSize(), h = g.hiddenSize(), gg = 3 * h, rows = b * tt;
    float[] w = ws.data(), bi_ = bIh.data(), bh = bHh.data();
    int gates = ws.offset(), hn = gates + rows * gg, hh = hn + rows * h + 2 * rows * gg + rows * h + b * h;
    float[] yd = y.data();
    int yo = y.offset(), bio = bIh.offset(), bho = bHh.offset();
    for (int r = 0; r < rows; r++)
      for (int q = 0; q < gg; q++) w[gates + r * gg + q] = bi_[bio + q] + (q < 2 * h ? bh[bho + q] : 0f);
    JavaGemm.gemm(false, true, rows, gg, in, 1f, x.data(), x.offset(), wIh.data(), wIh.offset(), 1f, w, gates, null, 0);
    for (int s = 0; s < tt; s++) {
      int t = g.stepAt(s), tp = s > 0 ? g.stepAt(s - 1) : -1;
      if (tp >= 0) timesWT(yd, yo + tp * h, tt * h, b, h, wHh.data(), wHh.offset(), gg, w, hh, gg, false);
      else if (h0 != null) timesWT(h0.data(), h0.offset(), h, b, h, wHh.data(), wHh.offset(), gg, w, hh, gg, false);
      else java.util.Arrays.fill(w, hh, hh + b * gg, 0f);
      for (int bi = 0; bi < b; bi++) {
        int gr = gates + (bi * tt + t) * gg, hr = hh + bi * gg;
        for (int j = 0; j < h; j++) {
          float r = sigmoid((double) w[gr + j] + w[hr + j]);
          float z = sigmoid((double) w[gr + h + j] + w[hr + h + j]);
          float hnv = (float) ((double) w[hr + 2 * h + j] + bh[bho + 2 * h + j]);
          float n = (float) Math.tanh((double) w[gr + 2 * h + j] + (double) r * hnv);
          float hpv = tp >= 0 ? yd[yo + (bi * tt + tp) * h + j] : h0 != null ? h0.data()[h0.offset() + bi * h + j] : 0f;
          w[gr + j] = r; w[gr + h + j] = z; w[gr + 2 * h + j] = n;
          w[hn + (bi * tt + t) * h + j] = hnv;
          yd[yo + (bi * tt + t) * h + j] = (float) ((1.0 - z) * n + (double) z * hpv);
        }
      }
    }
    int last = g.stepAt(tt - 1);
    for (int bi = 0; bi < b; bi++) System.arraycopy(yd, yo + (bi * tt + last) * h, hT.data(), hT.offset() + bi * h, h);
  }

  static void gruBackward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor y, Tensor ws, Tensor dy, Tensor dhT,
                          Tensor dx, Tensor dh0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    int b = g.batch(), tt = g.steps(), in = g.inputSize(), h = g.hiddenSize(), gg = 3 * h, rows = b * tt;
    float[] w = ws.data(), yd = y.data(), dyd = dy.data();
    int gates = ws.offset(), hn = gates + rows * gg, dgi = hn + rows * h, dgh = dgi + rows * gg, hp = dgh + rows * gg, dh = hp + rows * h;
    int yo = y.offset();
    for (int i = 0; i < b * h; i++) w[dh + i] = dhT == null ? 0f : dhT.data()[dhT.offset() + i];
    for (int s = tt - 1; s >= 0; s--) {
      int t = g.stepAt(s), tp = s > 0 ? g.stepAt(s - 1) : -1;
      for (int bi = 0; bi < b; bi++) {
        int row = bi * tt + t, gr = gates + row * gg, ir = dgi + row * gg, hr = dgh + row * gg;
        for (int j = 0; j < h; j++) {
          double r = w[gr + j], z = w[gr + h + j], n = w[gr + 2 * h + j], hnv = w[hn + row * h + j];
          double hpv = tp >= 0 ? yd[yo + (bi * tt + tp) * h + j] : h0 != null ? h0.data()[h0.offset() + bi * h + j] : 0.0;
          double dhv = (double) dyd[dy.offset() + row * h + j] + w[dh + bi * h + j];
          double dnp = dhv * (1 - z) * (1 - n * n);
          double dzp = dhv * (hpv - n) * z * (1 - z);
          double drp = dnp * hnv * r * (1 - r);
          w[ir + j] = (float) drp; w[ir + h + j] = (float) dzp; w[ir + 2 * h + j] = (float) dnp;
          w[hr + j] = (float) drp; w[hr + h + j] = (float) dzp; w[hr + 2 * h + j] = (float) (dnp * r);
          w[dh + bi * h + j] = (float) (dhv * z);
        }
      }
      timesW(w, dgh + t * gg, tt * gg, b, gg, wHh.data(), wHh.offset(), h, w, dh, h, true);
    }
    System.arraycopy(w, dh, dh0.data(), dh0.offset(), b * h);
    gatherHprev(g, h0, y, w, hp);
    if (dx != null) JavaGemm.gemm(false, false, rows, in, gg, 1f, w, dgi, wIh.data(), wIh.offset(), 0f, dx.data(), dx.offset(), null, 0);
    JavaGemm.gemm(true, false, gg, in, rows, 1f, w, dgi, x.data(), x.offset(), 0f, dwIh.data(), dwIh.offset(), null, 0);
    JavaGemm.gemm(true, false, gg, h, rows, 1f, w, dgh, w, hp, 0f, dwHh.data(), dwHh.offset(), null, 0);
    colSum(w, dgi, rows, gg, dbIh.data(), dbIh.offset());
    colSum(w, dgh, rows, gg, dbHh.data(), dbHh.offset());
  }

  // ------------------------------------------------------------------ embedding

  static void embeddingForward(int[] ids, int off, int n, Tensor weight, Tensor out) {
    int d = weight.dim(1);
    for (int i = 0; i < n; i++) System.arraycopy(weight.data(), weight.offset() + ids[off + i] * d, out.data(), out.offset() + i * d, d);
  }

  static void embeddingBackward(int[] ids, int off, int n, Tensor dout, Tensor dweight, int paddingIdx) {
    int d = dweight.dim(1);
    float[] dw = dweight.data(), g = dout.data();
    java.util.Arrays.fill(dw, dweight.offset(), dweight.offset() + dweight.size(), 0f);
    for (int i = 0; i < n; i++) {
      int id = ids[off + i];
      if (id == paddingIdx) continue;
      int dst = dweight.offset() + id * d, src = dout.offset() + i * d;
      for (int q = 0; q < d; q++) dw[dst + q] += g[src + q];
    }
  }
}
