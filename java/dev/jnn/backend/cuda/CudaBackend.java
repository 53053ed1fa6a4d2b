package dev.jnn.backend.cuda;

import static dev.jnn.backend.cuda.JnnCuda.*;
import static org.bytedeco.cuda.global.cudnn.*;

import dev.jnn.backend.Backend;
import dev.jnn.backend.BatchedGemm;
import dev.jnn.backend.Conv2dGeometry;
import dev.jnn.backend.Gemm;
import dev.jnn.backend.OptimizerConfigs;
import dev.jnn.backend.Pool2dGeometry;
import dev.jnn.backend.RnnGeometry;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.DeviceMemory;
import dev.jnn.tensor.Tensor;
import java.util.Objects;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The CUDA backend of one device ({@code cuda:N}): every kernel of {@link Backend} on device
 * tensors, queued on the device's stream ({@link CudaContext}).
 *
 * <ul>
 *   <li>gemm: cuBLAS {@code cublasSgemm_v2}, row-major through the transpose identity
 *       {@code C^T = op(B)^T op(A)^T} (a row-major (m,n) matrix is a column-major (n,m) one), bias
 *       added by jnn's {@code bias_add} kernel; TF32 only with {@code -Djnn.cuda.tf32=true}.</li>
 *   <li>conv2d: cuDNN, descriptors and algorithm candidates once per geometry ({@link CudnnConv}),
 *       tried in order until one runs ({@link ConvAlgorithms}), deterministic ones only unless
 *       {@code -Djnn.cuda.deterministic=false}; workspace from the call's {@link Scratch}, so
 *       {@link #conv2dWorkspaceSize} is 0.</li>
 *   <li>batch norm: cuDNN spatial batch norm (BatchNorm1d's (N,C) is (N,C,1,1)). cuDNN's
 *       conventions are jnn's: the running variance is updated with the UNBIASED batch variance
 *       (as PyTorch, which hands its running stats to cuDNN unchanged), the normalization uses the
 *       biased one, and what cuDNN calls {@code resultSaveInvVariance} is 1/sqrt(var + eps), i.e.
 *       jnn's save_inv_std (onnxruntime and MXNet report the same measurements).</li>
 *   <li>LSTM/GRU: cuDNN's RNN v8 API ({@link CudnnRnn}), jnn's weights copied into cuDNN's weight
 *       space by four device copies ({@link CudnnRnnLayout}); the reverse direction runs on
 *       time-flipped copies ({@code reverse_time}); jnn's workspace tensor holds cuDNN's reserve
 *       space and the packed weights of the forward, so {@link #lstmWorkspaceSize} asks cuDNN
 *       (once per shape: unlike the host backends, computing this size calls the library).</li>
 *   <li>everything else: jnn's own kernels (libjnn_cuda, {@link JnnCuda}). Host int arrays (ids,
 *       labels, argmax) go through scratch buffers of the call.</li>
 * </ul>
 *
 * <p>Memory: every buffer a call needs besides its tensors comes from a per-call {@link Scratch}
 * (back to the pool when the call returns); the per-shape cuDNN state is kept in bounded LRU caches
 * ({@link #CONV_CACHE}, {@link #BN_CACHE}, {@link #RNN_CACHE} entries) that destroy what they evict.
 *
 * <p>Every call checks its status and throws {@link CudaException} naming kernel and shapes.
 * Kernels run asynchronously: results that come back to Java (losses, sums, argmax) synchronize.
 *
 * <pre>{@code
 * Backend be = Backends.get(Device.cuda(0));           // a CudaBackend where a GPU is present
 * try (Tensor x = Tensor.zeros(Device.cuda(0), 4, 8); Tensor y = Tensor.zeros(Device.cuda(0), 4, 8)) {
 *   x.copyFrom(hostValues, 0);
 *   be.reluForward(x, y);
 *   float[] out = y.toArray();                          // synchronizes
 * }
 * }</pre>
 */
public final class CudaBackend extends Backend {
  private static final FloatPointer ONE = new FloatPointer(1).put(1f);
  private static final FloatPointer ZERO = new FloatPointer(1).put(0f);

  private final CudaContext ctx;
  private final Device device;
  /** alpha, beta of the current gemm (host pointer mode: cuBLAS reads them before the call returns). */
  private final ThreadLocal<FloatPointer> gemmScalars = ThreadLocal.withInitial(() -> new FloatPointer(2));
  /** Convolution geometries, batch-norm shapes and RNN shapes whose cuDNN state is kept (least recently used evicted). */
  static final int CONV_CACHE = 64, BN_CACHE = 64, RNN_CACHE = 32;
  private final BoundedCache<Conv2dGeometry, CudnnConv> convs;
  private final BoundedCache<BnKey, CudnnBatchNorm> bns;
  private final BoundedCache<RnnKey, CudnnRnn> rnns;

  private record BnKey(int n, int c, int s) {}
  private record RnnKey(CudnnRnnLayout.Cell cell, int batch, int steps, int input, int hidden) {}

  /** The backend of the context's device. */
  public CudaBackend(CudaContext ctx) {
    this.ctx = Objects.requireNonNull(ctx, "ctx");
    this.device = Device.cuda(ctx.device());
    this.convs = new BoundedCache<>(CONV_CACHE, g -> CudnnConv.create(ctx, g), CudnnConv::close);
    this.bns = new BoundedCache<>(BN_CACHE, k -> CudnnBatchNorm.create(ctx, k.n(), k.c(), k.s()), CudnnBatchNorm::close);
    this.rnns = new BoundedCache<>(RNN_CACHE, k -> CudnnRnn.create(ctx, CudnnRnnLayout.of(k.cell(), k.input(), k.hidden()), k.batch(), k.steps()),
        CudnnRnn::close);
  }

  /** The per-shape cuDNN caches' sizes and counts (for {@code jnn info} and the GPU check). */
  public String cacheStats() {
    return "cuDNN state: conv " + convs + "; batchnorm " + bns + "; rnn " + rnns;
  }

  /** The device context (stream, handles, pool) this backend queues on. */
  public CudaContext context() { return ctx; }

  @Override public Device device() { return device; }

  @Override public String describe() {
    CudaRuntime.Probe p = CudaRuntime.probe();
    String gpu = "?";
    org.bytedeco.cuda.cudart.cudaDeviceProp prop = new org.bytedeco.cuda.cudart.cudaDeviceProp();
    if (cudart.cudaGetDeviceProperties(prop, ctx.device()) == 0) gpu = prop.name().getString() + " (sm_" + prop.major() + prop.minor() + ")";
    prop.close();
    return "cuda:" + ctx.device() + " " + gpu + ", driver " + p.driverVersion() + ", runtime " + p.runtimeVersion() + ", cuBLAS "
        + p.cublasVersion() + ", cuDNN " + p.cudnnVersion() + ", TF32 " + (CudaRuntime.tf32() ? "on" : "off") + ", jnn_cuda "
        + jnn_cuda_build_info();
  }

  @Override public DeviceMemory allocate(long floats) { return ctx.allocate(floats); }

  @Override public void synchronize() { ctx.synchronize(); }

  // ---------------------------------------------------------------- plumbing

  /** Device address of a tensor's element 0 (0 for null). */
  private static long p(Tensor t) { return t == null ? 0 : t.memory().address() + 4L * t.offset(); }

  private static Pointer ptr(Tensor t) { return t == null ? null : new DevicePointer(p(t)); }

  /**
   * Status of a JnnCuda kernel call, then the launch check; shapes are only formatted on failure.
   * The kernel is recorded in the context's launch log, so an asynchronous fault found later names
   * it among its suspects; with sync-debug every launch synchronizes and a fault names its kernel.
   */
  private void launched(int status, String kernel, Tensor t) {
    ctx.launched(kernel);
    if (status != 0) throw kernelError(status, kernel, t == null ? "" : t.shapeString());
    if (ctx.syncDebug()) ctx.afterLaunch(kernel, t == null ? "" : t.shapeString());
  }

  private void launched(int status, String kernel, Object shapes) {
    ctx.launched(kernel);
    if (status != 0) throw kernelError(status, kernel, String.valueOf(shapes));
    if (ctx.syncDebug()) ctx.afterLaunch(kernel, String.valueOf(shapes));
  }

  private static CudaException kernelError(int status, String kernel, String shapes) {
    String msg = jnn_cuda_error_string(status);
    return new CudaException(kernel, shapes, "CUDA", status, status == JNN_CUDA_ERR_NOT_COMPILED ? "JNN_CUDA_ERR_NOT_COMPILED" : "cudaError",
        msg == null ? "" : msg);
  }

  private void cudnnCheck(int status, String kernel, Object shapes) {
    ctx.launched(kernel);
    if (status != 0) ctx.checkCudnn(status, kernel, String.valueOf(shapes));
    if (ctx.syncDebug()) ctx.afterLaunch(kernel, String.valueOf(shapes));
  }

  private void copy(long src, long dst, long floats, String what) {
    if (floats > 0) ctx.copyDeviceToDevice(src, dst, 4L * floats, what);
  }

  // ---------------------------------------------------------------- gemm (cuBLAS)

  @Override protected void gemm(boolean ta, boolean tb, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c, Tensor bias) {
    if (m == 0 || n == 0) return;
    FloatPointer s = gemmScalars.get();
    s.put(0, alpha).put(1, beta);
    // row-major C (m,n) = op(A) op(B)  <=>  column-major C^T (n,m) = op(B)^T op(A)^T: swap the operands, keep the flags
    int st = cublas.cublasSgemm_v2(ctx.cublas(), tb ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, ta ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
        n, m, k, s.position(0), new FloatPointer(ptr(b)), Math.max(1, b.dim(1)), new FloatPointer(ptr(a)), Math.max(1, a.dim(1)),
        s.getPointer(1), new FloatPointer(ptr(c)), n);
    ctx.launched("gemm");
    if (st != 0) ctx.checkCublas(st, "gemm", "m=" + m + " n=" + n + " k=" + k + (ta ? " A^T" : "") + (tb ? " B^T" : ""));
    if (bias != null) launched(jnn_cuda_bias_add(ctx.stream(), p(c), p(bias), m, n), "gemm (bias_add)", c);
    else if (ctx.syncDebug()) ctx.afterLaunch("gemm", "m=" + m + " n=" + n + " k=" + k);
  }

  /**
   * The (m, n, k) of a strided-batched GEMM {@code c[i] = alpha op(a[i]) op(b[i]) + beta c[i]}
   * over rank-3 tensors (batch first); throws {@link IllegalArgumentException} naming the shapes
   * when they do not fit. No device access: usable (and tested) without a GPU.
   */
  static int[] stridedBatchedDims(Gemm op, Tensor a, Tensor b, Tensor c) {
    Objects.requireNonNull(op, "gemm_strided_batched options");
    Objects.requireNonNull(a, "gemm_strided_batched: a is null");
    Objects.requireNonNull(b, "gemm_strided_batched: b is null");
    Objects.requireNonNull(c, "gemm_strided_batched: c is null");
    if (a.rank() != 3 || b.rank() != 3 || c.rank() != 3)
      throw new IllegalArgumentException("gemm_strided_batched: a, b, c must have rank 3 (batch, rows, cols), got a " + a.shapeString() + " b "
          + b.shapeString() + " c " + c.shapeString());
    if (a.dim(0) != b.dim(0) || a.dim(0) != c.dim(0))
      throw new IllegalArgumentException("gemm_strided_batched: batch sizes differ: a " + a.shapeString() + " b " + b.shapeString() + " c "
          + c.shapeString());
    int m = op.transA() ? a.dim(2) : a.dim(1), ka = op.transA() ? a.dim(1) : a.dim(2);
    int kb = op.transB() ? b.dim(2) : b.dim(1), n = op.transB() ? b.dim(1) : b.dim(2);
    if (ka != kb || c.dim(1) != m || c.dim(2) != n)
      throw new IllegalArgumentException("gemm_strided_batched: op(a[i]) of a " + a.shapeString() + (op.transA() ? "^T" : "") + " times op(b[i]) of b "
          + b.shapeString() + (op.transB() ? "^T" : "") + " does not give c[i] of c " + c.shapeString());
    return new int[] {m, n, ka};
  }

  /**
   * Batched GEMM over rank-3 tensors, one cuBLAS call ({@code cublasSgemmStridedBatched}): for
   * every i, {@code c[i] = alpha op(a[i]) op(b[i]) + beta c[i]} (row-major, as {@link #gemm}).
   *
   * <pre>{@code
   * // attention scores: q (B, T, D) times k (B, T, D)^T -> s (B, T, T)
   * cuda.gemmStridedBatched(Gemm.NT.withAlpha(1f / (float) Math.sqrt(D)), q, k, s);
   * }</pre>
   */
  public void gemmStridedBatched(Gemm op, Tensor a, Tensor b, Tensor c) {
    int[] mnk = stridedBatchedDims(op, a, b, c);
    on("gemm_strided_batched", "a", a); on("gemm_strided_batched", "b", b); on("gemm_strided_batched", "c", c);
    int m = mnk[0], n = mnk[1], k = mnk[2], batch = a.dim(0);
    if (m == 0 || n == 0 || batch == 0) return;
    FloatPointer s = gemmScalars.get();
    s.put(0, op.alpha()).put(1, op.beta());
    int st = cublas.cublasSgemmStridedBatched(ctx.cublas(), op.transB() ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
        op.transA() ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, n, m, k, s.position(0),
        new FloatPointer(ptr(b)), Math.max(1, b.dim(2)), (long) b.dim(1) * b.dim(2),
        new FloatPointer(ptr(a)), Math.max(1, a.dim(2)), (long) a.dim(1) * a.dim(2),
        s.getPointer(1), new FloatPointer(ptr(c)), n, (long) m * n, batch);
    if (st != 0) ctx.checkCublas(st, "gemm_strided_batched", "batch=" + batch + " m=" + m + " n=" + n + " k=" + k);
    if (ctx.syncDebug()) ctx.afterLaunch("gemm_strided_batched", "batch=" + batch + " m=" + m + " n=" + n + " k=" + k);
  }

  // ---------------------------------------------------------------- batched gemm (cuBLAS), layer norm, attention softmax

  @Override protected void gemm_batched(BatchedGemm g, Tensor a, Tensor b, Tensor c) {
    FloatPointer s = gemmScalars.get();
    s.put(0, g.alpha()).put(1, g.beta());
    // row-major C_p (m,n) = op(A_p) op(B_p)  <=>  column-major C_p^T (n,m) = op(B_p)^T op(A_p)^T: swap the operands, keep the flags;
    // a row-major matrix with rows ld apart is a column-major one with columns ld apart
    int st = cublas.cublasSgemmStridedBatched(ctx.cublas(), g.transB() ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
        g.transA() ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, g.n(), g.m(), g.k(), s.position(0),
        new FloatPointer(new DevicePointer(p(b) + 4L * g.offB())), g.ldb(), g.strideB(),
        new FloatPointer(new DevicePointer(p(a) + 4L * g.offA())), g.lda(), g.strideA(),
        s.getPointer(1), new FloatPointer(new DevicePointer(p(c) + 4L * g.offC())), g.ldc(), g.strideC(), g.batch());
    ctx.launched("gemm_batched");
    if (st != 0) ctx.checkCublas(st, "gemm_batched", g.toString());
    if (ctx.syncDebug()) ctx.afterLaunch("gemm_batched", g.toString());
  }

  @Override protected void layernorm_forward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd, int r, int c) {
    launched(jnn_cuda_layernorm_forward(ctx.stream(), p(x), p(gamma), p(beta), eps, p(y), p(mean), p(rstd), r, c), "layernorm_forward", x);
  }

  @Override protected void layernorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx, Tensor dgamma, Tensor dbeta,
                                              int r, int c) {
    long partials = ctx.scratch("layernorm_backward.partials", 16L * JNN_CUDA_LAYERNORM_CHUNKS * c);   // 2 JNN_CUDA_LAYERNORM_CHUNKS c doubles
    launched(jnn_cuda_layernorm_backward(ctx.stream(), p(x), p(dy), p(gamma), p(mean), p(rstd), p(dx), p(dgamma), p(dbeta), partials, r, c),
        "layernorm_backward", x);
  }

  @Override protected void masked_softmax_forward(Tensor x, Tensor keyMask, boolean causal, float scale, Tensor y, int batch, int heads, int tq, int tk) {
    launched(jnn_cuda_masked_softmax_forward(ctx.stream(), p(x), p(keyMask), causal ? 1 : 0, scale, p(y), batch, heads, tq, tk),
        "masked_softmax_forward", x);
  }

  // ---------------------------------------------------------------- elementwise and activations

  @Override protected void add_(Tensor a, Tensor b, Tensor o) { launched(jnn_cuda_add(ctx.stream(), p(a), p(b), p(o), o.size()), "add", o); }
  @Override protected void mul_(Tensor a, Tensor b, Tensor o) { launched(jnn_cuda_mul(ctx.stream(), p(a), p(b), p(o), o.size()), "mul", o); }
  @Override protected void scale_(Tensor x, float alpha, Tensor o) { launched(jnn_cuda_scale(ctx.stream(), p(x), alpha, p(o), o.size()), "scale", o); }
  @Override protected void axpy_(float alpha, Tensor x, Tensor y) { launched(jnn_cuda_axpy(ctx.stream(), alpha, p(x), p(y), y.size()), "axpy", y); }
  @Override protected void fill_(Tensor x, float v) { launched(jnn_cuda_fill(ctx.stream(), p(x), v, x.size()), "fill", x); }
  @Override protected void copy_(Tensor s, Tensor d) {
    // copy's contract allows overlapping views (the host backends copy like memmove); cudaMemcpyAsync
    // does not, so overlapping ranges go through a scratch buffer, and a copy onto itself is a no-op
    long src = p(s), dst = p(d), bytes = 4L * d.size();
    if (src == dst) return;
    if (Math.abs(src - dst) < bytes) {
      try (Scratch scratch = ctx.scratchScope()) {
        long tmp = scratch.get(bytes);
        copy(src, tmp, d.size(), "copy (overlapping) " + d.shapeString());
        copy(tmp, dst, d.size(), "copy " + d.shapeString());
      }
      return;
    }
    copy(src, dst, d.size(), "copy " + d.shapeString());
  }

  @Override protected void relu_forward(Tensor x, Tensor y) { launched(jnn_cuda_relu_forward(ctx.stream(), p(x), p(y), y.size()), "relu_forward", x); }
  @Override protected void relu_backward(Tensor x, Tensor dy, Tensor dx) { launched(jnn_cuda_relu_backward(ctx.stream(), p(x), p(dy), p(dx), dx.size()), "relu_backward", x); }
  @Override protected void leaky_relu_forward(Tensor x, Tensor y, float s) { launched(jnn_cuda_leaky_relu_forward(ctx.stream(), p(x), p(y), y.size(), s), "leaky_relu_forward", x); }
  @Override protected void leaky_relu_backward(Tensor x, Tensor dy, Tensor dx, float s) { launched(jnn_cuda_leaky_relu_backward(ctx.stream(), p(x), p(dy), p(dx), dx.size(), s), "leaky_relu_backward", x); }
  @Override protected void sigmoid_forward(Tensor x, Tensor y) { launched(jnn_cuda_sigmoid_forward(ctx.stream(), p(x), p(y), y.size()), "sigmoid_forward", x); }
  @Override protected void sigmoid_backward(Tensor y, Tensor dy, Tensor dx) { launched(jnn_cuda_sigmoid_backward(ctx.stream(), p(y), p(dy), p(dx), dx.size()), "sigmoid_backward", y); }
  @Override protected void tanh_forward(Tensor x, Tensor y) { launched(jnn_cuda_tanh_forward(ctx.stream(), p(x), p(y), y.size()), "tanh_forward", x); }
  @Override protected void tanh_backward(Tensor y, Tensor dy, Tensor dx) { launched(jnn_cuda_tanh_backward(ctx.stream(), p(y), p(dy), p(dx), dx.size()), "tanh_backward", y); }
  @Override protected void gelu_forward(Tensor x, Tensor y) { launched(jnn_cuda_gelu_forward(ctx.stream(), p(x), p(y), y.size()), "gelu_forward", x); }
  @Override protected void gelu_backward(Tensor x, Tensor dy, Tensor dx) { launched(jnn_cuda_gelu_backward(ctx.stream(), p(x), p(dy), p(dx), dx.size()), "gelu_backward", x); }

  // ---------------------------------------------------------------- softmax, losses, reductions

  @Override protected void softmax_forward(Tensor x, Tensor y, int r, int c) { launched(jnn_cuda_softmax_forward(ctx.stream(), p(x), p(y), r, c), "softmax_forward", x); }
  @Override protected void softmax_backward(Tensor y, Tensor dy, Tensor dx, int r, int c) { launched(jnn_cuda_softmax_backward(ctx.stream(), p(y), p(dy), p(dx), r, c), "softmax_backward", y); }
  @Override protected void log_softmax_forward(Tensor x, Tensor y, int r, int c) { launched(jnn_cuda_log_softmax_forward(ctx.stream(), p(x), p(y), r, c), "log_softmax_forward", x); }
  @Override protected void log_softmax_backward(Tensor y, Tensor dy, Tensor dx, int r, int c) { launched(jnn_cuda_log_softmax_backward(ctx.stream(), p(y), p(dy), p(dx), r, c), "log_softmax_backward", y); }

  /** One device float that receives a loss (read back with a synchronizing download before the scratch closes). */
  private static long lossSlot(Scratch s) { return s.get(4); }

  @Override protected float mse_forward(Tensor pr, Tensor t) {
    try (Scratch s = ctx.scratchScope()) {
      long out = lossSlot(s);
      launched(jnn_cuda_mse_forward(ctx.stream(), p(pr), p(t), pr.size(), out), "mse_forward", pr);
      return ctx.downloadFloat(out);
    }
  }
  @Override protected void mse_backward(Tensor pr, Tensor t, Tensor d) { launched(jnn_cuda_mse_backward(ctx.stream(), p(pr), p(t), p(d), d.size()), "mse_backward", pr); }
  @Override protected float bce_forward(Tensor pr, Tensor t) {
    try (Scratch s = ctx.scratchScope()) {
      long out = lossSlot(s);
      launched(jnn_cuda_bce_forward(ctx.stream(), p(pr), p(t), pr.size(), out), "bce_forward", pr);
      return ctx.downloadFloat(out);
    }
  }
  @Override protected void bce_backward(Tensor pr, Tensor t, Tensor d) { launched(jnn_cuda_bce_backward(ctx.stream(), p(pr), p(t), p(d), d.size()), "bce_backward", pr); }
  @Override protected float bce_logits_forward(Tensor z, Tensor t) {
    try (Scratch s = ctx.scratchScope()) {
      long out = lossSlot(s);
      launched(jnn_cuda_bce_logits_forward(ctx.stream(), p(z), p(t), z.size(), out), "bce_logits_forward", z);
      return ctx.downloadFloat(out);
    }
  }
  @Override protected void bce_logits_backward(Tensor z, Tensor t, Tensor d) { launched(jnn_cuda_bce_logits_backward(ctx.stream(), p(z), p(t), p(d), d.size()), "bce_logits_backward", z); }

  /** Uploads {@code n} host ints into a buffer of the call's scratch; returns its address. */
  private long ints(Scratch s, int[] src, int off, int n) {
    long addr = s.get(4L * Math.max(n, 1));
    ctx.uploadInts(src, off, n, addr);
    return addr;
  }

  @Override protected float softmax_cross_entropy_forward(Tensor l, int[] labels, int lo, Tensor pr, int r, int c) {
    try (Scratch s = ctx.scratchScope()) {
      long lab = ints(s, labels, lo, r), out = lossSlot(s);
      launched(jnn_cuda_softmax_cross_entropy_forward(ctx.stream(), p(l), lab, p(pr), r, c, out), "softmax_cross_entropy_forward", l);
      return ctx.downloadFloat(out);
    }
  }
  @Override protected void softmax_cross_entropy_backward(Tensor pr, int[] labels, int lo, Tensor d, int r, int c) {
    try (Scratch s = ctx.scratchScope()) {
      long lab = ints(s, labels, lo, r);
      launched(jnn_cuda_softmax_cross_entropy_backward(ctx.stream(), p(pr), lab, p(d), r, c), "softmax_cross_entropy_backward", pr);
    }
  }

  @Override protected void sum_rows(Tensor x, Tensor o, int r, int c) { launched(jnn_cuda_sum_rows(ctx.stream(), p(x), p(o), r, c), "sum_rows", x); }
  @Override protected double sum_squares(Tensor x) {
    try (Scratch s = ctx.scratchScope()) {
      long out = s.get(8);
      launched(jnn_cuda_sum_squares(ctx.stream(), p(x), x.size(), out), "sum_squares", x);
      return ctx.downloadDouble(out);
    }
  }

  // ---------------------------------------------------------------- dropout, optimizers

  @Override protected void dropout_forward(Tensor x, Tensor y, Tensor m, float pr, long seed, long counter) {
    launched(jnn_cuda_dropout_forward(ctx.stream(), p(x), p(y), p(m), y.size(), pr, seed, counter), "dropout_forward", x);
  }
  @Override protected void dropout_backward(Tensor dy, Tensor m, Tensor dx) { launched(jnn_cuda_dropout_backward(ctx.stream(), p(dy), p(m), p(dx), dx.size()), "dropout_backward", dy); }

  @Override protected void sgd_update(Tensor pa, Tensor g, Tensor v, float lr, OptimizerConfigs.Sgd c, long step) {
    launched(jnn_cuda_sgd_update(ctx.stream(), p(pa), p(g), p(v), pa.size(), lr, c.momentum(), c.dampening(), c.weightDecay(), c.nesterov() ? 1 : 0, step),
        "sgd_update", pa);
  }
  @Override protected void adam_update(Tensor pa, Tensor g, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam c, long step) {
    launched(jnn_cuda_adam_update(ctx.stream(), p(pa), p(g), p(m), p(v), pa.size(), lr, c.beta1(), c.beta2(), c.eps(), c.weightDecay(), step), "adam_update", pa);
  }
  @Override protected void adamw_update(Tensor pa, Tensor g, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam c, long step) {
    launched(jnn_cuda_adamw_update(ctx.stream(), p(pa), p(g), p(m), p(v), pa.size(), lr, c.beta1(), c.beta2(), c.eps(), c.weightDecay(), step), "adamw_update", pa);
  }
  @Override protected void rmsprop_update(Tensor pa, Tensor g, Tensor s, float lr, OptimizerConfigs.RmsProp c) {
    launched(jnn_cuda_rmsprop_update(ctx.stream(), p(pa), p(g), p(s), pa.size(), lr, c.alpha(), c.eps(), c.weightDecay()), "rmsprop_update", pa);
  }
  @Override protected void adagrad_update(Tensor pa, Tensor g, Tensor s, float lr, OptimizerConfigs.Adagrad c, long step) {
    launched(jnn_cuda_adagrad_update(ctx.stream(), p(pa), p(g), p(s), pa.size(), lr, c.lrDecay(), c.eps(), c.weightDecay(), step), "adagrad_update", pa);
  }

  // ---------------------------------------------------------------- convolution (cuDNN)

  /** 0: cuDNN's workspace comes from the call's {@link Scratch}, sized per algorithm. */
  @Override public long conv2dWorkspaceSize(Conv2dGeometry g) {
    Objects.requireNonNull(g, "conv2d_workspace_size: geometry is null");
    return 0;
  }

  /** After a cuDNN call whose status was already checked: the launch log, and the sync-debug check. */
  private void afterCudnn(String kernel, Object shapes) {
    ctx.launched(kernel);
    if (ctx.syncDebug()) ctx.afterLaunch(kernel, String.valueOf(shapes));
  }

  /*
   * cuDNN is handed 16-byte aligned pointers only (PyTorch never passes it less). Tensors a layer
   * allocates start a pool block and are aligned; a view at an odd element offset (the parity tests
   * use offset 3) is copied into an aligned scratch buffer (inputs) or computed there and copied
   * back (outputs): convolution, batch norm, and the RNN's data and state tensors alike, because
   * some cuDNN kernels assume 128-bit aligned rows and the legacy API documents no fallback.
   */
  private static boolean aligned(Tensor t) { return t == null || (p(t) & 15) == 0; }

  /** The address cuDNN reads input t from: t itself if aligned, else an aligned copy in the call's scratch. */
  private long alignedIn(Scratch s, Tensor t) {
    if (t == null) return 0;
    if (aligned(t)) return p(t);
    long a = s.get(4L * t.size());
    copy(p(t), a, t.size(), "align " + t.shapeString());
    return a;
  }

  /** The address cuDNN writes output t to: t itself if aligned, else a buffer of the call's scratch (then {@link #alignedBack}). */
  private static long alignedOut(Scratch s, Tensor t) {
    if (t == null) return 0;
    return aligned(t) ? p(t) : s.get(4L * t.size());
  }

  private void alignedBack(long written, Tensor t) {
    if (t != null && written != p(t)) copy(written, p(t), t.size(), "align back " + t.shapeString());
  }

  @Override protected void conv2d_forward(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y, Tensor ws) {
    try (BoundedCache.Lease<CudnnConv> lease = convs.acquire(g); Scratch s = ctx.scratchScope()) {
      CudnnConv c = lease.value();
      long xa = alignedIn(s, x), wa = alignedIn(s, w), ba = alignedIn(s, bias), ya = alignedOut(s, y);
      c.run(ctx, s, c.fwd, (algo, work, bytes) -> cudnnConvolutionForward(ctx.cudnn(), ONE, c.x, at(xa), c.w, at(wa), c.conv, algo, work, bytes,
          ZERO, c.y, at(ya)));
      afterCudnn("conv2d_forward", c);
      if (bias != null) cudnnCheck(cudnnAddTensor(ctx.cudnn(), ONE, c.bias, at(ba), ONE, c.y, at(ya)), "conv2d_forward (bias)", g);
      alignedBack(ya, y);
    }
  }

  @Override protected void conv2d_backward_data(Conv2dGeometry g, Tensor dy, Tensor w, Tensor dx, Tensor ws) {
    try (BoundedCache.Lease<CudnnConv> lease = convs.acquire(g); Scratch s = ctx.scratchScope()) {
      CudnnConv c = lease.value();
      long dya = alignedIn(s, dy), wa = alignedIn(s, w), dxa = alignedOut(s, dx);
      c.run(ctx, s, c.bwdData, (algo, work, bytes) -> cudnnConvolutionBackwardData(ctx.cudnn(), ONE, c.w, at(wa), c.y, at(dya), c.conv, algo,
          work, bytes, ZERO, c.x, at(dxa)));
      afterCudnn("conv2d_backward_data", c);
      alignedBack(dxa, dx);
    }
  }

  @Override protected void conv2d_backward_filter(Conv2dGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias, Tensor ws) {
    try (BoundedCache.Lease<CudnnConv> lease = convs.acquire(g); Scratch s = ctx.scratchScope()) {
      CudnnConv c = lease.value();
      long xa = alignedIn(s, x), dya = alignedIn(s, dy), dwa = alignedOut(s, dw), dba = alignedOut(s, dbias);
      c.run(ctx, s, c.bwdFilter, (algo, work, bytes) -> cudnnConvolutionBackwardFilter(ctx.cudnn(), ONE, c.x, at(xa), c.y, at(dya), c.conv,
          algo, work, bytes, ZERO, c.w, at(dwa)));
      afterCudnn("conv2d_backward_filter", c);
      if (dbias != null) cudnnCheck(cudnnConvolutionBackwardBias(ctx.cudnn(), ONE, c.y, at(dya), ZERO, c.bias, at(dba)), "conv2d_backward_filter (bias)", g);
      alignedBack(dwa, dw);
      alignedBack(dba, dbias);
    }
  }

  // ---------------------------------------------------------------- batch normalization (cuDNN, spatial)

  /**
   * Where cuDNN writes an output: the tensor itself, unless it is misaligned or aliases its input
   * (jnn allows y = x and dx = dy; cuDNN's batch norm documents no in-place mode): then a buffer of
   * the call's scratch, copied back by {@link #alignedBack}.
   */
  private static long bnOut(Scratch sc, Tensor in, Tensor out) {
    return p(in) == p(out) || !aligned(out) ? sc.get(4L * out.size()) : p(out);
  }

  @Override protected void batchnorm_forward_training(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor rm, Tensor rv, Tensor sm, Tensor sis,
                                                      float momentum, float eps, int n, int c, int s) {
    try (BoundedCache.Lease<CudnnBatchNorm> lease = bns.acquire(new BnKey(n, c, s)); Scratch sc = ctx.scratchScope()) {
      CudnnBatchNorm d = lease.value();
      long xa = alignedIn(sc, x), ya = bnOut(sc, x, y), ga = alignedIn(sc, gamma), ba = alignedIn(sc, beta);
      long rma = alignedIn(sc, rm), rva = alignedIn(sc, rv);
      long sma = alignedOut(sc, sm), sisa = alignedOut(sc, sis);
      cudnnCheck(cudnnBatchNormalizationForwardTraining(ctx.cudnn(), CUDNN_BATCHNORM_SPATIAL, ONE, ZERO, d.x, at(xa), d.x, at(ya), d.channel,
          at(ga), at(ba), momentum, at(rma), at(rva), eps, at(sma), at(sisa)), "batchnorm_forward_training", x.shapeString());
      alignedBack(ya, y); alignedBack(rma, rm); alignedBack(rva, rv); alignedBack(sma, sm); alignedBack(sisa, sis);
    }
  }

  @Override protected void batchnorm_forward_inference(Tensor x, Tensor gamma, Tensor beta, Tensor rm, Tensor rv, Tensor y, float eps, int n, int c, int s) {
    try (BoundedCache.Lease<CudnnBatchNorm> lease = bns.acquire(new BnKey(n, c, s)); Scratch sc = ctx.scratchScope()) {
      CudnnBatchNorm d = lease.value();
      long xa = alignedIn(sc, x), ya = bnOut(sc, x, y), ga = alignedIn(sc, gamma), ba = alignedIn(sc, beta);
      long rma = alignedIn(sc, rm), rva = alignedIn(sc, rv);
      cudnnCheck(cudnnBatchNormalizationForwardInference(ctx.cudnn(), CUDNN_BATCHNORM_SPATIAL, ONE, ZERO, d.x, at(xa), d.x, at(ya), d.channel,
          at(ga), at(ba), at(rma), at(rva), eps), "batchnorm_forward_inference", x.shapeString());
      alignedBack(ya, y);
    }
  }

  /** cuDNN's backward takes an epsilon but does not use it when the saved mean and inverse std are given (they always are here). */
  private static final double BN_BACKWARD_UNUSED_EPS = 1e-5;

  @Override protected void batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor sm, Tensor sis, Tensor dx, Tensor dgamma, Tensor dbeta,
                                              int n, int c, int s) {
    try (BoundedCache.Lease<CudnnBatchNorm> lease = bns.acquire(new BnKey(n, c, s)); Scratch sc = ctx.scratchScope()) {
      CudnnBatchNorm d = lease.value();
      long xa = alignedIn(sc, x), dya = alignedIn(sc, dy), dxa = bnOut(sc, dy, dx), ga = alignedIn(sc, gamma);
      long sma = alignedIn(sc, sm), sisa = alignedIn(sc, sis);
      long dga = alignedOut(sc, dgamma), dba = alignedOut(sc, dbeta);
      cudnnCheck(cudnnBatchNormalizationBackward(ctx.cudnn(), CUDNN_BATCHNORM_SPATIAL, ONE, ZERO, ONE, ZERO, d.x, at(xa), d.x, at(dya), d.x,
          at(dxa), d.channel, at(ga), at(dga), at(dba), BN_BACKWARD_UNUSED_EPS, at(sma), at(sisa)), "batchnorm_backward", x.shapeString());
      alignedBack(dxa, dx); alignedBack(dga, dgamma); alignedBack(dba, dbeta);
    }
  }

  // ---------------------------------------------------------------- recurrent (cuDNN RNN v8)

  private BoundedCache.Lease<CudnnRnn> rnn(CudnnRnnLayout.Cell cell, RnnGeometry g) {
    return rnns.acquire(new RnnKey(cell, g.batch(), g.steps(), g.inputSize(), g.hiddenSize()));
  }

  /** cuDNN's reserve space and the packed weights (both kept from forward to backward) plus 256-byte alignment slack, in floats. */
  @Override public long lstmWorkspaceSize(RnnGeometry g) {
    Objects.requireNonNull(g, "lstm_workspace_size: geometry is null");
    try (BoundedCache.Lease<CudnnRnn> r = rnn(CudnnRnnLayout.Cell.LSTM, g)) {
      return r.value().workspaceFloats();
    }
  }

  @Override public long gruWorkspaceSize(RnnGeometry g) {
    Objects.requireNonNull(g, "gru_workspace_size: geometry is null");
    try (BoundedCache.Lease<CudnnRnn> r = rnn(CudnnRnnLayout.Cell.GRU, g)) {
      return r.value().workspaceFloats();
    }
  }

  /** Copies jnn's four weight tensors into the weight space inside the workspace (four device copies: the regions are contiguous). */
  private long packWeights(CudnnRnn r, Tensor workspace, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh) {
    CudnnRnnLayout l = r.layout;
    long ws = r.weightsAddress(p(workspace));
    copy(p(wIh), ws + 4 * l.wIhOffset(), l.wIhElements(), "rnn pack wIh");
    copy(p(wHh), ws + 4 * l.wHhOffset(), l.wHhElements(), "rnn pack wHh");
    copy(p(bIh), ws + 4 * l.bIhOffset(), l.biasElements(), "rnn pack bIh");
    copy(p(bHh), ws + 4 * l.bHhOffset(), l.biasElements(), "rnn pack bHh");
    return ws;
  }

  /** src (B,T,W) flipped in time into a buffer of the call's scratch; returns its address. */
  private long flipped(Scratch s, long src, RnnGeometry g, int width) {
    long dst = s.get(4L * g.batch() * g.steps() * width);
    launched(jnn_cuda_reverse_time(ctx.stream(), src, dst, g.batch(), g.steps(), width), "reverse_time", g);
    return dst;
  }

  private static IntPointer seqLengths(CudnnRnn r) { return new IntPointer(new DevicePointer(r.devSeqLengths.address())); }

  private static Pointer at(long address) { return address == 0 ? null : new DevicePointer(address); }

  /** Where cuDNN writes a (B,T,W) output: the tensor if aligned and not time-reversed, else the call's scratch (reversed or copied back after). */
  private static long seqOut(Scratch s, Tensor t, RnnGeometry g) {
    return g.reverse() || !aligned(t) ? s.get(4L * t.size()) : p(t);
  }

  private void seqBack(long written, Tensor t, RnnGeometry g, int width) {
    if (g.reverse()) launched(jnn_cuda_reverse_time(ctx.stream(), written, p(t), g.batch(), g.steps(), width), "reverse_time", g);
    else alignedBack(written, t);
  }

  private void rnnForward(CudnnRnnLayout.Cell cell, String k, RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh,
                          Tensor bHh, Tensor y, Tensor hT, Tensor cT, Tensor workspace) {
    try (BoundedCache.Lease<CudnnRnn> lease = rnn(cell, g); Scratch s = ctx.scratchScope()) {
      CudnnRnn r = lease.value();
      long weights = packWeights(r, workspace, wIh, wHh, bIh, bHh);
      long xs = g.reverse() ? flipped(s, p(x), g, g.inputSize()) : alignedIn(s, x);
      long ys = seqOut(s, y, g);
      long h0a = alignedIn(s, h0), c0a = alignedIn(s, c0), hTa = alignedOut(s, hT), cTa = alignedOut(s, cT);
      long work = s.get(r.workSpaceBytes);
      cudnnCheck(cudnnRNNForward(ctx.cudnn(), r.rnn, CUDNN_FWD_MODE_TRAINING, seqLengths(r), r.x, at(xs), r.y, at(ys), r.h, at(h0a), at(hTa),
          r.h, at(c0a), at(cTa), r.weightSpaceBytes, at(weights), r.workSpaceBytes, at(work), r.reserveBytes,
          at(CudnnRnn.reserveAddress(p(workspace)))), k, g);
      seqBack(ys, y, g, g.hiddenSize());
      alignedBack(hTa, hT);
      alignedBack(cTa, cT);
    }
  }

  private void rnnBackward(CudnnRnnLayout.Cell cell, String k, RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y,
                           Tensor workspace, Tensor dy, Tensor dhT, Tensor dcT, Tensor dx, Tensor dh0, Tensor dc0,
                           Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    try (BoundedCache.Lease<CudnnRnn> lease = rnn(cell, g); Scratch s = ctx.scratchScope()) {
      CudnnRnn r = lease.value();
      CudnnRnnLayout l = r.layout;
      long weights = r.weightsAddress(p(workspace));   // packed by the forward that filled this workspace (same weights, by contract)
      long xs = g.reverse() ? flipped(s, p(x), g, g.inputSize()) : alignedIn(s, x);
      long ys = g.reverse() ? flipped(s, p(y), g, g.hiddenSize()) : alignedIn(s, y);
      long dys = g.reverse() ? flipped(s, p(dy), g, g.hiddenSize()) : alignedIn(s, dy);
      long dxs = dx == null ? s.get(4L * g.batch() * g.steps() * g.inputSize()) : seqOut(s, dx, g);   // cuDNN always writes dx
      long h0a = alignedIn(s, h0), c0a = alignedIn(s, c0), dhTa = alignedIn(s, dhT), dcTa = alignedIn(s, dcT);
      long dh0a = alignedOut(s, dh0), dc0a = alignedOut(s, dc0);
      long work = s.get(r.workSpaceBytes);
      // cudnnRNNBackwardData_v8 writes into the reserve space and cudnnRNNBackwardWeights_v8 reads what it wrote (PyTorch
      // orders them so): both run on a copy, so the forward's reserve space stays intact and a backward may run again
      long reserve = s.get(r.reserveBytes);
      if (r.reserveBytes > 0) ctx.copyDeviceToDevice(CudnnRnn.reserveAddress(p(workspace)), reserve, r.reserveBytes, k + " (reserve copy) " + g);
      cudnnCheck(cudnnRNNBackwardData_v8(ctx.cudnn(), r.rnn, seqLengths(r), r.y, at(ys), at(dys), r.x, at(dxs), r.h, at(h0a), at(dhTa), at(dh0a),
          r.h, at(c0a), at(dcTa), at(dc0a), r.weightSpaceBytes, at(weights), r.workSpaceBytes, at(work), r.reserveBytes, at(reserve)), k + " (data)", g);
      // weight gradients are ADDED by cuDNN: into a zeroed gradient space, then copied out to jnn's four tensors (written, not accumulated)
      long dweights = s.get(r.weightSpaceBytes);
      ctx.check(cudart.cudaMemsetAsync(new DevicePointer(dweights), 0, r.weightSpaceBytes, ctx.streamHandle()), k + " (zero dweights)", g.toString());
      cudnnCheck(cudnnRNNBackwardWeights_v8(ctx.cudnn(), r.rnn, CUDNN_WGRAD_MODE_ADD, seqLengths(r), r.x, at(xs), r.h, at(h0a), r.y, at(ys),
          r.weightSpaceBytes, at(dweights), r.workSpaceBytes, at(work), r.reserveBytes, at(reserve)), k + " (weights)", g);
      copy(dweights + 4 * l.wIhOffset(), p(dwIh), l.wIhElements(), "rnn unpack dwIh");
      copy(dweights + 4 * l.wHhOffset(), p(dwHh), l.wHhElements(), "rnn unpack dwHh");
      copy(dweights + 4 * l.bIhOffset(), p(dbIh), l.biasElements(), "rnn unpack dbIh");
      copy(dweights + 4 * l.bHhOffset(), p(dbHh), l.biasElements(), "rnn unpack dbHh");
      if (dx != null) seqBack(dxs, dx, g, g.inputSize());
      alignedBack(dh0a, dh0);
      alignedBack(dc0a, dc0);
    }
  }

  @Override protected void lstm_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh,
                                        Tensor y, Tensor hT, Tensor cT, Tensor ws) {
    rnnForward(CudnnRnnLayout.Cell.LSTM, "lstm_forward", g, x, h0, c0, wIh, wHh, bIh, bHh, y, hT, cT, ws);
  }
  @Override protected void lstm_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y, Tensor ws,
                                         Tensor dy, Tensor dhT, Tensor dcT, Tensor dx, Tensor dh0, Tensor dc0,
                                         Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    rnnBackward(CudnnRnnLayout.Cell.LSTM, "lstm_backward", g, x, h0, c0, wIh, wHh, y, ws, dy, dhT, dcT, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh);
  }
  @Override protected void gru_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, Tensor y, Tensor hT,
                                       Tensor ws) {
    rnnForward(CudnnRnnLayout.Cell.GRU, "gru_forward", g, x, h0, null, wIh, wHh, bIh, bHh, y, hT, null, ws);
  }
  @Override protected void gru_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor y, Tensor ws, Tensor dy, Tensor dhT,
                                        Tensor dx, Tensor dh0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    rnnBackward(CudnnRnnLayout.Cell.GRU, "gru_backward", g, x, h0, null, wIh, wHh, y, ws, dy, dhT, null, dx, dh0, null, dwIh, dwHh, dbIh, dbHh);
  }

  // ---------------------------------------------------------------- embedding

  @Override protected void embedding_forward(int[] ids, int idsOffset, int n, Tensor weight, Tensor out) {
    try (Scratch s = ctx.scratchScope()) {
      long dev = ints(s, ids, idsOffset, n);
      launched(jnn_cuda_embedding_forward(ctx.stream(), dev, p(weight), p(out), n, weight.dim(1)), "embedding_forward", out);
    }
  }
  @Override protected void embedding_backward(int[] ids, int idsOffset, int n, Tensor dout, Tensor dweight, int paddingIdx) {
    try (Scratch s = ctx.scratchScope()) {
      long dev = ints(s, ids, idsOffset, n);
      launched(jnn_cuda_embedding_backward(ctx.stream(), dev, p(dout), p(dweight), n, dweight.dim(0), dweight.dim(1), paddingIdx), "embedding_backward", dweight);
    }
  }

  // ---------------------------------------------------------------- pooling (jnn's kernels)

  /**
   * Max pooling's argmax is a HOST int[] in jnn's contract (the layer keeps one per shape, and
   * {@link Backend#maxPool2dBackward} validates its values on the host). The forward computes it
   * into a device scratch buffer and downloads it into the array; the backward uploads the array
   * again. A device twin per array (a WeakHashMap keyed by the int[]) would save the upload, but it
   * would go stale when a caller changes the array between the calls, and the map cannot return a
   * twin's memory to the pool when its key dies; the upload (N*C*P*Q ints, async through pinned
   * staging) is the cheaper of the two risks.
   */
  @Override protected void maxpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y, int[] argmax) {
    int n = y.size();
    float[] bits = new float[n];
    try (Scratch s = ctx.scratchScope()) {
      long dev = s.get(4L * Math.max(n, 1));
      launched(jnn_cuda_maxpool2d_forward(ctx.stream(), p(x), p(y), dev, g.batch(), g.channels(), g.height(), g.width(), g.kernelH(), g.kernelW(),
          g.strideH(), g.strideW(), g.padH(), g.padW()), "maxpool2d_forward", g);
      // int32 bits through the float download path (a raw memcpy: no value conversion), then reinterpreted
      ctx.download(dev, bits, 0, n);
    }
    for (int i = 0; i < n; i++) argmax[i] = Float.floatToRawIntBits(bits[i]);
  }
  @Override protected void maxpool2d_backward(Pool2dGeometry g, Tensor dy, int[] argmax, Tensor dx) {
    try (Scratch s = ctx.scratchScope()) {
      long dev = ints(s, argmax, 0, dy.size());
      launched(jnn_cuda_maxpool2d_backward(ctx.stream(), p(dy), dev, p(dx), g.batch(), g.channels(), g.height(), g.width(), g.kernelH(), g.kernelW(),
          g.strideH(), g.strideW(), g.padH(), g.padW()), "maxpool2d_backward", g);
    }
  }
  @Override protected void avgpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y) {
    launched(jnn_cuda_avgpool2d_forward(ctx.stream(), p(x), p(y), g.batch(), g.channels(), g.height(), g.width(), g.kernelH(), g.kernelW(),
        g.strideH(), g.strideW(), g.padH(), g.padW()), "avgpool2d_forward", g);
  }
  @Override protected void avgpool2d_backward(Pool2dGeometry g, Tensor dy, Tensor dx) {
    launched(jnn_cuda_avgpool2d_backward(ctx.stream(), p(dy), p(dx), g.batch(), g.channels(), g.height(), g.width(), g.kernelH(), g.kernelW(),
        g.strideH(), g.strideW(), g.padH(), g.padW()), "avgpool2d_backward", g);
  }
  @Override protected void global_avgpool2d_forward(Tensor x, Tensor y, int planes, int hw) {
    launched(jnn_cuda_global_avgpool2d_forward(ctx.stream(), p(x), p(y), planes, hw), "global_avgpool2d_forward", x);
  }
  @Override protected void global_avgpool2d_backward(Tensor dy, Tensor dx, int planes, int hw) {
    launched(jnn_cuda_global_avgpool2d_backward(ctx.stream(), p(dy), p(dx), planes, hw), "global_avgpool2d_backward", dx);
  }
}
