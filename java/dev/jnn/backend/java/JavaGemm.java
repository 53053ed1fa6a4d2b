package dev.jnn.backend.java;

/**
 * Single-precision GEMM in plain Java: {@code C = alpha op(A) op(B) + beta C + bias}, row-major.
 *
 * <p>How it reaches tens of GFLOP/s without the Vector API: HotSpot C2 auto-vectorizes (SuperWord)
 * a loop of the form {@code c[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]} into AVX/AVX-512
 * code, but (JDK 17) only when every array is indexed by the bare loop variable: an access like
 * {@code c[offset + j]} with a run-time offset, or a larger loop body (two or more rows of C per
 * loop, or 8 values of k), falls back to scalar code, 5-8x slower, or vectorizes only sometimes
 * (measured on JDK 17; the vector code of axpy4 was checked in the JIT's output).
 * Hence the layout:
 *
 * <ul>
 *   <li>op(B) is packed, KC rows by NC columns at a time, into a panel of separate
 *       {@code float[]} rows (one array per k), so the inner loop indexes each B row from 0;
 *   <li>each row of C is accumulated in a separate {@code float[]} buffer (copied in before and
 *       out after each k block), for the same reason;
 *   <li>the inner kernel {@link #axpy4} folds 4 values of k into each load/store of C; a block of
 *       {@link #MR} rows of C reuses every 4 B rows while they are hot in L1;
 *   <li>op(A) needs no packing: the kernel takes its entries as scalars ({@code alpha} folded in),
 *       gathered per row and k block;
 *   <li>the KC x NC panel (512 KiB) stays in the core's L2 while the rows of C stream past it;
 *   <li>a C with short rows (n < {@link #LONG_ROW}, m > n: a 10-class output layer) is computed
 *       as C^T = op(B)^T op(A)^T, whose rows are long, and written back transposed;
 *   <li>threads split C by columns when it is wide or has few rows (each thread then packs only
 *       its share of op(B)), else by rows; each thread has its own workspace.
 * </ul>
 *
 * <p>About 40 GFLOP/s per core on a Zen 4 EPYC with JDK 17 (n = 1024), 80 on its 2 cores:
 * roughly 0.3x OpenBLAS. beta == 0 never reads C (it may hold NaN); alpha == 0 or k == 0 never
 * reads A or B. Rounding: alpha is applied to A's entries and partial sums are float, so results
 * differ from a double-accumulated product by about sqrt(k) float ulps.
 */
final class JavaGemm {
  private JavaGemm() {}

  /** Depth of a packed panel (values of k). */
  static final int KC = 128;
  /** Width of a packed panel (columns of C): 4 B rows + MR C rows of NC floats fit in L1. */
  static final int NC = 1024;
  /** Rows of C that share each group of 4 B rows. */
  static final int MR = 4;
  /** Rows at least this long use {@link #axpy4}, shorter ones {@link #axpy4Short}. */
  static final int LONG_ROW = 128;
  /** Below this many multiply-adds one thread is faster than waking others. */
  static final long PARALLEL_MIN_MACS = 1L << 19;

  /** Per-thread packing buffers: grown on demand, reused across calls. */
  private static final class Workspace {
    float[][] b = new float[0][];      // b[p] is row p of the packed op(B) panel, length >= nc
    float[][] c = new float[MR][0];    // c[r] accumulates row r of the current block of C
    float[][] a = new float[MR][0];    // a[r][p] = alpha * op(A)[i + r][k0 + p]

    void ensure(int kc, int nc) {
      if (b.length < kc || (kc > 0 && b[0].length < nc)) {
        int cols = Math.max(nc, b.length > 0 ? b[0].length : 0);
        float[][] nb = new float[Math.max(kc, b.length)][];
        for (int p = 0; p < nb.length; p++) nb[p] = new float[cols];
        b = nb;
      }
      if (c[0].length < nc) for (int r = 0; r < MR; r++) c[r] = new float[nc];
      if (a[0].length < kc) for (int r = 0; r < MR; r++) a[r] = new float[kc];
    }
  }

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

  /**
   * One GEMM problem: C(m, n) = alpha op(A) op(B) + beta C + bias, with A stored (m, k), or (k, m)
   * when transA, and B stored (k, n), or (n, k) when transB (row-major, dense, from their offsets).
   * Element (i, j) of C lives at {@code c[cOff + i * rowStride + j * colStride]}: (n, 1) for C
   * itself, (1, m) when the problem computes C transposed (see {@link #gemm}; its m is then the
 * number of columns of the caller's C). The bias is indexed
   * by column j, or by row i when biasPerRow.
   */
  private record Problem(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                         float[] b, int bOff, float beta, float[] c, int cOff, int rowStride, int colStride,
                         float[] bias, int biasOff, boolean biasPerRow) {}

  /**
   * C(m, n) = alpha op(A) op(B) + beta C + bias. A is stored (m, k), or (k, m) when transA; B is
   * stored (k, n), or (n, k) when transB; C is (m, n); bias (length n, may be null) is added to
   * every row. Arrays are addressed from their offsets; storage is row-major and dense.
   */
  static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                   float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff, float[] bias, int biasOff) {
    if (m == 0 || n == 0) return;
    if (k == 0 || alpha == 0f) {  // no product: C = beta C + bias
      scaleAddBias(m, n, beta, c, cOff, bias, biasOff);
      return;
    }
    Problem pr;
    if (n < LONG_ROW && m > n) {
      // C has short rows (e.g. a 10-class output layer): compute C^T(n, m) = op(B)^T op(A)^T instead,
      // whose rows are long, and write it into C transposed. op(B)^T is B's storage with the
      // opposite transpose flag, and likewise op(A)^T.
      pr = new Problem(!transB, !transA, n, m, k, alpha, b, bOff, a, aOff, beta, c, cOff, 1, n, bias, biasOff, true);
    } else {
      pr = new Problem(transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff, n, 1, bias, biasOff, false);
    }
    int pm = pr.m(), pn = pr.n();
    long macs = (long) m * n * k;
    int threads = macs < PARALLEL_MIN_MACS ? 1 : Parallel.threads();
    if (threads <= 1) {
      block(pr, 0, pm, 0, pn);
    } else if (pn >= 256 * threads || pm < 4 * threads) {
      // split the columns, in multiples of 16 (one AVX-512 vector): each thread packs only its
      // share of op(B), which matters when m is small next to k
      int chunks = (pn + 15) / 16, tasks = Math.min(threads, chunks);
      Parallel.forTasks(tasks, t -> block(pr, 0, pm,
          Math.min(pn, 16 * (int) ((long) chunks * t / tasks)), Math.min(pn, 16 * (int) ((long) chunks * (t + 1) / tasks))));
    } else {  // split the rows
      int tasks = threads;
      Parallel.forTasks(tasks, t -> block(pr, (int) ((long) pm * t / tasks), (int) ((long) pm * (t + 1) / tasks), 0, pn));
    }
  }

  /** C = beta C + bias, without reading C when beta == 0. */
  private static void scaleAddBias(int m, int n, float beta, float[] c, int cOff, float[] bias, int biasOff) {
    for (int i = 0; i < m; i++) {
      int ci = cOff + i * n;
      for (int j = 0; j < n; j++) {
        float v = beta == 0f ? 0f : beta * c[ci + j];
        c[ci + j] = bias == null ? v : v + bias[biasOff + j];
      }
    }
  }

  /** Computes the block rows [i0, i1) x columns [jStart, jEnd) of the problem's C. */
  private static void block(Problem pr, int i0, int i1, int jStart, int jEnd) {
    int k = pr.k(), rs = pr.rowStride(), cs = pr.colStride();
    float[] c = pr.c(), bias = pr.bias();
    Workspace ws = WORKSPACE.get();
    ws.ensure(Math.min(k, KC), Math.min(jEnd - jStart, NC));
    float[][] bp = ws.b;
    for (int j0 = jStart; j0 < jEnd; j0 += NC) {
      int nc = Math.min(NC, jEnd - j0);
      for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = Math.min(KC, k - k0);
        packB(pr, k0, kc, j0, nc, bp);
        for (int i = i0; i < i1; i += MR) {
          int mr = Math.min(MR, i1 - i);
          // load MR rows of C (columns j0 .. j0+nc) into the row buffers, gather their A values
          for (int r = 0; r < mr; r++) {
            float[] acc = ws.c[r];
            int ci = pr.cOff() + (i + r) * rs + j0 * cs;
            if (k0 > 0) {
              if (cs == 1) System.arraycopy(c, ci, acc, 0, nc);
              else for (int j = 0; j < nc; j++) acc[j] = c[ci + j * cs];
            } else {  // first k block: start from beta C + bias
              float beta = pr.beta();
              for (int j = 0; j < nc; j++) {
                float v = beta == 0f ? 0f : beta * c[ci + j * cs];
                acc[j] = bias == null ? v : v + bias[pr.biasOff() + (pr.biasPerRow() ? i + r : j0 + j)];
              }
            }
            gatherA(pr, i + r, k0, kc, ws.a[r]);
          }
          // acc[r] += ar[r] . panel, 4 values of k at a time
          int p = 0;
          for (; p + 3 < kc; p += 4) {
            float[] b0 = bp[p], b1 = bp[p + 1], b2 = bp[p + 2], b3 = bp[p + 3];
            for (int r = 0; r < mr; r++) {
              float[] ar = ws.a[r];
              if (nc >= LONG_ROW) axpy4(ws.c[r], ar[p], b0, ar[p + 1], b1, ar[p + 2], b2, ar[p + 3], b3, nc);
              else axpy4Short(ws.c[r], ar[p], b0, ar[p + 1], b1, ar[p + 2], b2, ar[p + 3], b3, nc);
            }
          }
          for (; p < kc; p++)
            for (int r = 0; r < mr; r++) axpy1(ws.c[r], ws.a[r][p], bp[p], nc);
          // store the rows back
          for (int r = 0; r < mr; r++) {
            float[] acc = ws.c[r];
            int ci = pr.cOff() + (i + r) * rs + j0 * cs;
            if (cs == 1) System.arraycopy(acc, 0, c, ci, nc);
            else for (int j = 0; j < nc; j++) c[ci + j * cs] = acc[j];
          }
        }
      }
    }
  }

  /** bp[p][j] = op(B)[k0 + p][j0 + j] for p < kc, j < nc; op(B) is (k, n). */
  private static void packB(Problem pr, int k0, int kc, int j0, int nc, float[][] bp) {
    float[] b = pr.b();
    int n = pr.n(), k = pr.k();
    if (!pr.transB()) {  // B is (k, n): rows are contiguous
      for (int p = 0; p < kc; p++) System.arraycopy(b, pr.bOff() + (k0 + p) * n + j0, bp[p], 0, nc);
    } else {             // B is (n, k): a transpose, reading B along its rows
      for (int j = 0; j < nc; j++) {
        int bj = pr.bOff() + (j0 + j) * k + k0;
        for (int p = 0; p < kc; p++) bp[p][j] = b[bj + p];
      }
    }
  }

  /** ar[p] = alpha * op(A)[i][k0 + p] for p < kc; op(A) is (m, k). */
  private static void gatherA(Problem pr, int i, int k0, int kc, float[] ar) {
    float[] a = pr.a();
    float alpha = pr.alpha();
    if (!pr.transA()) {  // A is (m, k)
      int ai = pr.aOff() + i * pr.k() + k0;
      for (int p = 0; p < kc; p++) ar[p] = alpha * a[ai + p];
    } else {             // A is (k, m)
      int m = pr.m(), ai = pr.aOff() + k0 * m + i;
      for (int p = 0; p < kc; p++) ar[p] = alpha * a[ai + p * m];
    }
  }

  /**
   * c[j] += a0 b0[j] + a1 b1[j] + a2 b2[j] + a3 b3[j] for j < n: the hot loop. Every array is
   * indexed by j alone, which is what lets C2 vectorize it (see the class comment).
   */
  static void axpy4(float[] c, float a0, float[] b0, float a1, float[] b1, float a2, float[] b2, float a3, float[] b3, int n) {
    for (int j = 0; j < n; j++) c[j] += (a0 * b0[j] + a1 * b1[j]) + (a2 * b2[j] + a3 * b3[j]);
  }

  /**
   * {@link #axpy4} for short rows. Same code, separate method: C2 compiles a loop from the
   * profile of the method holding it, and a profile of short trip counts (small GEMMs run first)
   * gives the loop for long rows about 20% slower code.
   */
  static void axpy4Short(float[] c, float a0, float[] b0, float a1, float[] b1, float a2, float[] b2, float a3, float[] b3, int n) {
    for (int j = 0; j < n; j++) c[j] += (a0 * b0[j] + a1 * b1[j]) + (a2 * b2[j] + a3 * b3[j]);
  }

  /** c[j] += a0 b0[j] for j < n. */
  static void axpy1(float[] c, float a0, float[] b0, int n) {
    for (int j = 0; j < n; j++) c[j] += a0 * b0[j];
  }
}
