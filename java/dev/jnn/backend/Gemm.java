package dev.jnn.backend;

/**
 * Options of a GEMM call: {@code c = alpha * op(a) op(b) + beta * c (+ bias)}, where op transposes
 * its argument when the flag is set (BLAS conventions, row-major storage).
 *
 * <pre>{@code
 * backend.gemm(Gemm.NT, x, w, b, y);   // y = x w^T + b, the Dense forward
 * backend.gemm(Gemm.TN, dy, x, null, dw); // dw = dy^T x
 * }</pre>
 */
public record Gemm(boolean transA, boolean transB, float alpha, float beta) {
  public static final Gemm NN = new Gemm(false, false, 1f, 0f);
  public static final Gemm NT = new Gemm(false, true, 1f, 0f);
  public static final Gemm TN = new Gemm(true, false, 1f, 0f);
  public static final Gemm TT = new Gemm(true, true, 1f, 0f);

  public Gemm withAlpha(float a) { return new Gemm(transA, transB, a, beta); }
  public Gemm withBeta(float b) { return new Gemm(transA, transB, alpha, b); }
}
