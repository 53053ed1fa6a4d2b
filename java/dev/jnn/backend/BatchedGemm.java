package dev.jnn.backend;

/**
 * The shape and memory layout of a batched GEMM ({@link Backend#gemmBatched}): for every batch
 * index p, {@code C_p = alpha op(A_p) op(B_p) + beta C_p}, row-major like {@link Gemm}, where
 * op(A_p) is m x k, op(B_p) is k x n and C_p is m x n. Matrix p of A starts at float
 * {@code offA + p * strideA} of the tensor passed as a; rows are {@code lda} floats apart
 * (A is stored m x k, or k x m when transA). Leading dimensions and strides let one call read
 * the heads of an attention projection in place: head h of q in a (B, T, 3 d) buffer is a T x hd
 * matrix with lda = 3 d, starting at float h hd of the batch's rows.
 *
 * <pre>{@code
 * // scores (per batch b, for each of H heads) S_h = Q_h K_h^T, Q and K read in place from qkv (T, 3d)
 * BatchedGemm g = BatchedGemm.dense(false, true, H, T, T, hd)
 *     .withA(0, 3 * d, hd).withB(d, 3 * d, hd).withC(0, T, (long) T * T).withAlpha(1f / (float) Math.sqrt(hd));
 * backend.gemmBatched(g, qkv, qkv, scores);
 * }</pre>
 *
 * Build it once per shape and reuse it: the training step then allocates nothing.
 */
public record BatchedGemm(boolean transA, boolean transB, int batch, int m, int n, int k, long offA, int lda, long strideA, long offB, int ldb,
                          long strideB, long offC, int ldc, long strideC, float alpha, float beta) {

  public BatchedGemm {
    if (batch < 0 || m < 0 || n < 0 || k < 0)
      throw new IllegalArgumentException("gemm_batched: batch, m, n, k must be >= 0, got " + batch + ", " + m + ", " + n + ", " + k);
    if (offA < 0 || offB < 0 || offC < 0 || strideA < 0 || strideB < 0 || strideC < 0)
      throw new IllegalArgumentException("gemm_batched: offsets and strides must be >= 0");
    if (lda < Math.max(1, transA ? m : k) || ldb < Math.max(1, transB ? k : n) || ldc < Math.max(1, n))
      throw new IllegalArgumentException("gemm_batched: leading dimensions lda " + lda + ", ldb " + ldb + ", ldc " + ldc + " are shorter than the rows of A ("
          + (transA ? m : k) + "), B (" + (transB ? k : n) + "), C (" + n + ")");
    if (!Float.isFinite(alpha) || !Float.isFinite(beta)) throw new IllegalArgumentException("gemm_batched: alpha and beta must be finite");
  }

  /** Densely packed matrices one after another (offsets 0, leading dimensions the row lengths, strides the matrix sizes), alpha 1, beta 0. */
  public static BatchedGemm dense(boolean transA, boolean transB, int batch, int m, int n, int k) {
    int lda = Math.max(1, transA ? m : k), ldb = Math.max(1, transB ? k : n), ldc = Math.max(1, n);
    return new BatchedGemm(transA, transB, batch, m, n, k, 0, lda, (long) m * k, 0, ldb, (long) k * n, 0, ldc, (long) m * n, 1f, 0f);
  }

  public BatchedGemm withA(long off, int ld, long stride) { return new BatchedGemm(transA, transB, batch, m, n, k, off, ld, stride, offB, ldb, strideB, offC, ldc, strideC, alpha, beta); }
  public BatchedGemm withB(long off, int ld, long stride) { return new BatchedGemm(transA, transB, batch, m, n, k, offA, lda, strideA, off, ld, stride, offC, ldc, strideC, alpha, beta); }
  public BatchedGemm withC(long off, int ld, long stride) { return new BatchedGemm(transA, transB, batch, m, n, k, offA, lda, strideA, offB, ldb, strideB, off, ld, stride, alpha, beta); }
  public BatchedGemm withAlpha(float a) { return new BatchedGemm(transA, transB, batch, m, n, k, offA, lda, strideA, offB, ldb, strideB, offC, ldc, strideC, a, beta); }
  public BatchedGemm withBeta(float b) { return new BatchedGemm(transA, transB, batch, m, n, k, offA, lda, strideA, offB, ldb, strideB, offC, ldc, strideC, alpha, b); }

  /** One past the last float of A, B or C the call touches (0 when empty). */
  long extentA() { return extent(offA, strideA, transA ? k : m, lda, transA ? m : k); }
  long extentB() { return extent(offB, strideB, transB ? n : k, ldb, transB ? k : n); }
  long extentC() { return extent(offC, strideC, m, ldc, n); }

  private long extent(long off, long stride, int rows, int ld, int cols) {
    if (batch == 0 || rows == 0 || cols == 0) return 0;
    return off + (long) (batch - 1) * stride + (long) (rows - 1) * ld + cols;
  }

  @Override
  public String toString() {
    return "gemm_batched(batch " + batch + ", m " + m + ", n " + n + ", k " + k + (transA ? ", A^T" : "") + (transB ? ", B^T" : "") + ", A @" + offA + " ld "
        + lda + " stride " + strideA + ", B @" + offB + " ld " + ldb + " stride " + strideB + ", C @" + offC + " ld " + ldc + " stride " + strideC + ")";
  }
}
