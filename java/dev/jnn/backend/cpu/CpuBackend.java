package dev.jnn.backend.cpu;

import static dev.jnn.backend.cpu.JnnCpu.*;

import dev.jnn.backend.Backend;
import dev.jnn.backend.BatchedGemm;
import dev.jnn.backend.Conv2dGeometry;
import dev.jnn.backend.NativeKernelException;
import dev.jnn.backend.OptimizerConfigs;
import dev.jnn.backend.Pool2dGeometry;
import dev.jnn.backend.RnnGeometry;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;

/**
 * The native CPU backend: each kernel is one call into libjnn_cpu (C++17, OpenMP, OpenBLAS, oneDNN),
 * on the tensors' Java arrays in place. Every kernel is native; none falls back to Java.
 * Arguments were validated by {@link Backend}; here they are only unpacked into (array, offset).
 *
 * <p>Convolutions run on oneDNN by default and on jnn's im2col + sgemm kernels where oneDNN offers
 * only its reference kernels (a fallback, counted by {@link #convStats()}, an error in strict mode)
 * or where the user chose them: {@code -Djnn.cpu.conv=im2col} or {@link #setConvImpl}.
 */
public final class CpuBackend extends Backend {
  /** Scalar outputs of the loss and reduction kernels; per thread, so calls never allocate. */
  private static final ThreadLocal<float[]> FLOAT_OUT = ThreadLocal.withInitial(() -> new float[1]);
  private static final ThreadLocal<double[]> DOUBLE_OUT = ThreadLocal.withInitial(() -> new double[1]);

  /** Which code runs the conv2d kernels (native/cpu/conv_dnnl.cpp; the values of JNN_CONV_IMPL_*). */
  public enum ConvImpl {
    /** oneDNN wherever it has more than its reference kernels, else im2col (a counted fallback; an error in strict mode). */
    AUTO,
    /** Always jnn's im2col + sgemm kernels. */
    IM2COL
  }

  /** Loads the native libraries; throws LinkageError (or RuntimeException) if they cannot load. */
  public CpuBackend() {
    JnnCpu.load();
    // Strict mode (tests): an unexpected fallback from oneDNN to im2col fails instead of passing.
    jnn_conv2d_set_strict(dev.jnn.backend.Backends.strict() ? 1 : 0);
    String impl = System.getProperty("jnn.cpu.conv", "auto");
    switch (impl) {
      case "auto", "onednn" -> jnn_conv2d_set_impl(ConvImpl.AUTO.ordinal());
      case "im2col" -> jnn_conv2d_set_impl(ConvImpl.IM2COL.ordinal());
      default -> throw new IllegalArgumentException("-Djnn.cpu.conv must be auto or im2col, got '" + impl + "'");
    }
  }

  @Override public Device device() { return Device.CPU; }

  @Override public String describe() {
    return "jnn_cpu " + jnn_version() + ", SIMD path " + jnn_cpu_dispatch() + ", OpenMP threads " + jnn_num_threads()
        + ", OpenBLAS threads " + jnn_blas_num_threads() + ", conv2d " + (convImpl() == ConvImpl.AUTO ? "oneDNN" : "im2col");
  }

  /** Sets which code runs the conv2d kernels, process-wide; returns the previous setting. */
  public static ConvImpl setConvImpl(ConvImpl impl) {
    java.util.Objects.requireNonNull(impl, "conv impl");
    return ConvImpl.values()[jnn_conv2d_set_impl(impl.ordinal())];
  }

  public static ConvImpl convImpl() { return ConvImpl.values()[jnn_conv2d_get_impl()]; }

  /**
   * Turns jnn's own AVX-512 kernels (the LSTM/GRU packed-panel product, the 9-tap direct
   * convolution, the small-plane im2col gather) off or back on, process-wide; returns the previous
   * setting. Off, the portable code beside each runs, as on a CPU without AVX-512: the parity tests
   * run both. On has no effect on a CPU without AVX-512F.
   */
  public static boolean setAvx512Kernels(boolean on) { return jnn_cpu_set_avx512(on ? 1 : 0) != 0; }

  /** Whether jnn's own AVX-512 kernels run (see {@link #setAvx512Kernels}). */
  public static boolean avx512Kernels() { return jnn_cpu_avx512() != 0; }

  /**
   * Conv2d calls since load, process-wide: {@code [3 * dir + i]} with dir 0 forward, 1 backward data,
   * 2 backward filter, and i 0 on oneDNN, 1 on a jnn kernel by choice (im2col chosen, or AUTO's measured choices: direct forward, small-plane im2col backward filter), 2 on im2col as a fallback.
   */
  public static long[] convStats() {
    long[] out = new long[9];
    jnn_conv2d_stats(out, 0);
    return out;
  }

  /** OpenMP threads the calling thread's last oneDNN convolution ran with (0 if none yet). */
  public static int convLastThreads() { return jnn_conv2d_last_threads(); }

  /** What runs direction dir (0 forward, 1 backward data, 2 backward filter) of g: "oneDNN jit:avx512_core", "im2col (...)". */
  public static String convImplFor(int dir, Conv2dGeometry g) {
    return jnn_conv2d_impl(dir, g.batch(), g.inChannels(), g.height(), g.width(), g.outChannels(), g.kernelH(), g.kernelW(),
        g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilationH(), g.dilationW());
  }

  /**
   * Which library runs each kernel family, with how many threads (the lines of {@code jnn info}).
   * The conv2d line names oneDNN's implementation for the tutorial CNN's 32->64 3x3 layer.
   */
  public java.util.List<String> kernelLibraries() {
    int omp = jnn_num_threads();
    Conv2dGeometry conv2 = Conv2dGeometry.of(64, 32, 13, 13, 64, 3, 3);
    String conv = convImpl() == ConvImpl.IM2COL
        ? "conv2d: jnn im2col + OpenBLAS sgemm (chosen: jnn.cpu.conv=im2col), " + omp + " OpenMP / " + jnn_blas_num_threads() + " OpenBLAS threads"
        : "conv2d: " + jnn_dnnl_version().replaceFirst(" \\(.*", "") + " (" + convImplFor(0, conv2).replaceFirst("^oneDNN ", "") + " forward, "
            + convImplFor(1, conv2).replaceFirst("^oneDNN ", "") + " backward data, " + convImplFor(2, conv2).replaceFirst("^oneDNN ", "")
            + " backward filter, for 32->64 3x3 on 13x13), " + omp + " threads (OpenMP, shared with jnn's loops)";
    long[] st = convStats();
    return java.util.List.of(conv,
        "conv2d calls so far: oneDNN " + (st[0] + st[3] + st[6]) + ", jnn kernels by choice " + (st[1] + st[4] + st[7]) + ", im2col fallbacks "
            + (st[2] + st[5] + st[8]),
        "gemm, gemm_batched, lstm/gru all-steps products, im2col products: oneDNN sgemm, " + omp + " threads (OpenMP, shared with jnn's loops); "
            + "products of at most 262144 multiply-adds: OpenBLAS on the calling thread",
        "lstm/gru recurrence: batch rows split over " + omp + " OpenMP threads, each with "
            + (avx512Kernels() ? "jnn's AVX-512 packed-panel product" : "single-threaded OpenBLAS tiles")
            + " (under 2 rows per thread: per-step products on all threads)",
        "other kernels: jnn (C++, OpenMP), " + omp + " threads");
  }

  /** Compiler, flags, OpenMP and OpenBLAS build configuration of the loaded libjnn_cpu. */
  public String buildInfo() {
    return jnn_build_info();
  }

  /** Sets the threads of jnn's own loops and of OpenBLAS. */
  public void setNumThreads(int n) {
    if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
    jnn_set_num_threads(n);
  }

  /** Number of native kernel calls so far (process-wide): tests use it to prove native code ran. */
  public static long nativeCalls() { return jnn_native_calls(); }

  private static void check(int rc, String kernel, Tensor t) {
    if (rc != 0) throw new NativeKernelException(kernel, t == null ? "" : t.shapeString(), rc, jnn_last_error());
  }

  @Override protected void gemm(boolean ta, boolean tb, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c, Tensor bias) {
    int rc = jnn_gemm(ta ? 1 : 0, tb ? 1 : 0, m, n, k, alpha, a.data(), a.offset(), b.data(), b.offset(), beta, c.data(), c.offset(),
        bias == null ? null : bias.data(), bias == null ? 0 : bias.offset());
    if (rc != 0) throw new NativeKernelException("gemm", "m=" + m + " n=" + n + " k=" + k, rc, jnn_last_error());
  }

  @Override protected void gemm_batched(BatchedGemm g, Tensor a, Tensor b, Tensor c) {
    int rc = jnn_gemm_batched(g.transA() ? 1 : 0, g.transB() ? 1 : 0, g.batch(), g.m(), g.n(), g.k(), g.alpha(),
        a.data(), a.offset() + g.offA(), g.lda(), g.strideA(), b.data(), b.offset() + g.offB(), g.ldb(), g.strideB(), g.beta(),
        c.data(), c.offset() + g.offC(), g.ldc(), g.strideC());
    if (rc != 0) throw new NativeKernelException("gemm_batched", g.toString(), rc, jnn_last_error());
  }

  @Override protected void layernorm_forward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd, int r, int c) {
    check(jnn_layernorm_forward(x.data(), x.offset(), gamma.data(), gamma.offset(), beta.data(), beta.offset(), eps, y.data(), y.offset(),
        mean.data(), mean.offset(), rstd.data(), rstd.offset(), r, c), "layernorm_forward", x);
  }
  @Override protected void layernorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx, Tensor dgamma, Tensor dbeta,
                                              int r, int c) {
    check(jnn_layernorm_backward(x.data(), x.offset(), dy.data(), dy.offset(), gamma.data(), gamma.offset(), mean.data(), mean.offset(),
        rstd.data(), rstd.offset(), dx.data(), dx.offset(), dgamma.data(), dgamma.offset(), dbeta.data(), dbeta.offset(), r, c), "layernorm_backward", x);
  }
  @Override protected void masked_softmax_forward(Tensor x, Tensor keyMask, boolean causal, float scale, Tensor y, int batch, int heads, int tq, int tk) {
    check(jnn_masked_softmax_forward(x.data(), x.offset(), keyMask == null ? null : keyMask.data(), keyMask == null ? 0 : keyMask.offset(),
        causal ? 1 : 0, scale, y.data(), y.offset(), batch, heads, tq, tk), "masked_softmax_forward", x);
  }

  @Override protected void add_(Tensor a, Tensor b, Tensor o) { check(jnn_add(a.data(), a.offset(), b.data(), b.offset(), o.data(), o.offset(), o.size()), "add", o); }
  @Override protected void mul_(Tensor a, Tensor b, Tensor o) { check(jnn_mul(a.data(), a.offset(), b.data(), b.offset(), o.data(), o.offset(), o.size()), "mul", o); }
  @Override protected void scale_(Tensor x, float alpha, Tensor o) { check(jnn_scale(x.data(), x.offset(), alpha, o.data(), o.offset(), o.size()), "scale", o); }
  @Override protected void axpy_(float alpha, Tensor x, Tensor y) { check(jnn_axpy(alpha, x.data(), x.offset(), y.data(), y.offset(), y.size()), "axpy", y); }
  @Override protected void fill_(Tensor x, float value) { check(jnn_fill(x.data(), x.offset(), value, x.size()), "fill", x); }
  @Override protected void copy_(Tensor s, Tensor d) { check(jnn_copy(s.data(), s.offset(), d.data(), d.offset(), d.size()), "copy", d); }

  @Override protected void relu_forward(Tensor x, Tensor y) { check(jnn_relu_forward(x.data(), x.offset(), y.data(), y.offset(), y.size()), "relu_forward", x); }
  @Override protected void relu_backward(Tensor x, Tensor dy, Tensor dx) { check(jnn_relu_backward(x.data(), x.offset(), dy.data(), dy.offset(), dx.data(), dx.offset(), dx.size()), "relu_backward", x); }
  @Override protected void leaky_relu_forward(Tensor x, Tensor y, float s) { check(jnn_leaky_relu_forward(x.data(), x.offset(), y.data(), y.offset(), y.size(), s), "leaky_relu_forward", x); }
  @Override protected void leaky_relu_backward(Tensor x, Tensor dy, Tensor dx, float s) { check(jnn_leaky_relu_backward(x.data(), x.offset(), dy.data(), dy.offset(), dx.data(), dx.offset(), dx.size(), s), "leaky_relu_backward", x); }
  @Override protected void sigmoid_forward(Tensor x, Tensor y) { check(jnn_sigmoid_forward(x.data(), x.offset(), y.data(), y.offset(), y.size()), "sigmoid_forward", x); }
  @Override protected void sigmoid_backward(Tensor y, Tensor dy, Tensor dx) { check(jnn_sigmoid_backward(y.data(), y.offset(), dy.data(), dy.offset(), dx.data(), dx.offset(), dx.size()), "sigmoid_backward", y); }
  @Override protected void tanh_forward(Tensor x, Tensor y) { check(jnn_tanh_forward(x.data(), x.offset(), y.data(), y.offset(), y.size()), "tanh_forward", x); }
  @Override protected void tanh_backward(Tensor y, Tensor dy, Tensor dx) { check(jnn_tanh_backward(y.data(), y.offset(), dy.data(), dy.offset(), dx.data(), dx.offset(), dx.size()), "tanh_backward", y); }
  @Override protected void gelu_forward(Tensor x, Tensor y) { check(jnn_gelu_forward(x.data(), x.offset(), y.data(), y.offset(), y.size()), "gelu_forward", x); }
  @Override protected void gelu_backward(Tensor x, Tensor dy, Tensor dx) { check(jnn_gelu_backward(x.data(), x.offset(), dy.data(), dy.offset(), dx.data(), dx.offset(), dx.size()), "gelu_backward", x); }

  @Override protected void softmax_forward(Tensor x, Tensor y, int r, int c) { check(jnn_softmax_forward(x.data(), x.offset(), y.data(), y.offset(), r, c), "softmax_forward", x); }
  @Override protected void softmax_backward(Tensor y, Tensor dy, Tensor dx, int r, int c) { check(jnn_softmax_backward(y.data(), y.offset(), dy.data(), dy.offset(), dx.data(), dx.offset(), r, c), "softmax_backward", y); }
  @Override protected void log_softmax_forward(Tensor x, Tensor y, int r, int c) { check(jnn_log_softmax_forward(x.data(), x.offset(), y.data(), y.offset(), r, c), "log_softmax_forward", x); }
  @Override protected void log_softmax_backward(Tensor y, Tensor dy, Tensor dx, int r, int c) { check(jnn_log_softmax_backward(y.data(), y.offset(), dy.data(), dy.offset(), dx.data(), dx.offset(), r, c), "log_softmax_backward", y); }

  @Override protected float mse_forward(Tensor p, Tensor t) {
    float[] out = FLOAT_OUT.get();
    check(jnn_mse_forward(p.data(), p.offset(), t.data(), t.offset(), p.size(), out, 0), "mse_forward", p);
    return out[0];
  }
  @Override protected void mse_backward(Tensor p, Tensor t, Tensor d) { check(jnn_mse_backward(p.data(), p.offset(), t.data(), t.offset(), d.data(), d.offset(), d.size()), "mse_backward", p); }
  @Override protected float bce_forward(Tensor p, Tensor t) {
    float[] out = FLOAT_OUT.get();
    check(jnn_bce_forward(p.data(), p.offset(), t.data(), t.offset(), p.size(), out, 0), "bce_forward", p);
    return out[0];
  }
  @Override protected void bce_backward(Tensor p, Tensor t, Tensor d) { check(jnn_bce_backward(p.data(), p.offset(), t.data(), t.offset(), d.data(), d.offset(), d.size()), "bce_backward", p); }
  @Override protected float bce_logits_forward(Tensor z, Tensor t) {
    float[] out = FLOAT_OUT.get();
    check(jnn_bce_logits_forward(z.data(), z.offset(), t.data(), t.offset(), z.size(), out, 0), "bce_logits_forward", z);
    return out[0];
  }
  @Override protected void bce_logits_backward(Tensor z, Tensor t, Tensor d) { check(jnn_bce_logits_backward(z.data(), z.offset(), t.data(), t.offset(), d.data(), d.offset(), d.size()), "bce_logits_backward", z); }
  @Override protected float softmax_cross_entropy_forward(Tensor l, int[] labels, int lo, Tensor p, int r, int c) {
    float[] out = FLOAT_OUT.get();
    check(jnn_softmax_cross_entropy_forward(l.data(), l.offset(), labels, lo, p.data(), p.offset(), r, c, out, 0), "softmax_cross_entropy_forward", l);
    return out[0];
  }
  @Override protected void softmax_cross_entropy_backward(Tensor p, int[] labels, int lo, Tensor d, int r, int c) {
    check(jnn_softmax_cross_entropy_backward(p.data(), p.offset(), labels, lo, d.data(), d.offset(), r, c), "softmax_cross_entropy_backward", p);
  }

  @Override protected void sum_rows(Tensor x, Tensor o, int r, int c) { check(jnn_sum_rows(x.data(), x.offset(), o.data(), o.offset(), r, c), "sum_rows", x); }
  @Override protected double sum_squares(Tensor x) {
    double[] out = DOUBLE_OUT.get();
    check(jnn_sum_squares(x.data(), x.offset(), x.size(), out, 0), "sum_squares", x);
    return out[0];
  }

  @Override protected void dropout_forward(Tensor x, Tensor y, Tensor m, float p, long seed, long counter) {
    check(jnn_dropout_forward(x.data(), x.offset(), y.data(), y.offset(), m.data(), m.offset(), y.size(), p, seed, counter), "dropout_forward", x);
  }
  @Override protected void dropout_backward(Tensor dy, Tensor m, Tensor dx) { check(jnn_dropout_backward(dy.data(), dy.offset(), m.data(), m.offset(), dx.data(), dx.offset(), dx.size()), "dropout_backward", dy); }

  @Override protected void sgd_update(Tensor p, Tensor g, Tensor v, float lr, OptimizerConfigs.Sgd c, long step) {
    check(jnn_sgd_update(p.data(), p.offset(), g.data(), g.offset(), v.data(), v.offset(), p.size(), lr, c.momentum(), c.dampening(), c.weightDecay(),
        c.nesterov() ? 1 : 0, step), "sgd_update", p);
  }
  @Override protected void adam_update(Tensor p, Tensor g, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam c, long step) {
    check(jnn_adam_update(p.data(), p.offset(), g.data(), g.offset(), m.data(), m.offset(), v.data(), v.offset(), p.size(), lr, c.beta1(), c.beta2(),
        c.eps(), c.weightDecay(), step), "adam_update", p);
  }
  @Override protected void adamw_update(Tensor p, Tensor g, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam c, long step) {
    check(jnn_adamw_update(p.data(), p.offset(), g.data(), g.offset(), m.data(), m.offset(), v.data(), v.offset(), p.size(), lr, c.beta1(), c.beta2(),
        c.eps(), c.weightDecay(), step), "adamw_update", p);
  }
  @Override protected void rmsprop_update(Tensor p, Tensor g, Tensor s, float lr, OptimizerConfigs.RmsProp c) {
    check(jnn_rmsprop_update(p.data(), p.offset(), g.data(), g.offset(), s.data(), s.offset(), p.size(), lr, c.alpha(), c.eps(), c.weightDecay()), "rmsprop_update", p);
  }
  @Override protected void adagrad_update(Tensor p, Tensor g, Tensor s, float lr, OptimizerConfigs.Adagrad c, long step) {
    check(jnn_adagrad_update(p.data(), p.offset(), g.data(), g.offset(), s.data(), s.offset(), p.size(), lr, c.lrDecay(), c.eps(), c.weightDecay(), step),
        "adagrad_update", p);
  }

  // ---------------------------------------------------------------- convolution (conv.cpp: batched im2col + sgemm)

  /** The batched column buffer plus a (K, chunk*PQ) reorder buffer, for as many samples as fit in 64 MiB (at least one). */
  @Override public long conv2dWorkspaceSize(Conv2dGeometry g) {
    java.util.Objects.requireNonNull(g, "conv2d_workspace_size: geometry is null");
    return jnn_conv2d_workspace_size(g.batch(), g.inChannels(), g.height(), g.width(), g.outChannels(), g.kernelH(), g.kernelW(),
        g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilationH(), g.dilationW());
  }

  private static void checkConv(int rc, String kernel, Conv2dGeometry g) {
    if (rc != 0) throw new NativeKernelException(kernel, g.toString(), rc, jnn_last_error());
  }

  @Override protected void conv2d_forward(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y, Tensor ws) {
    checkConv(jnn_conv2d_forward(x.data(), x.offset(), w.data(), w.offset(), bias == null ? null : bias.data(), bias == null ? 0 : bias.offset(),
        y.data(), y.offset(), ws == null ? null : ws.data(), ws == null ? 0 : ws.offset(), ws == null ? 0 : ws.size(),
        g.batch(), g.inChannels(), g.height(), g.width(), g.outChannels(), g.kernelH(), g.kernelW(),
        g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilationH(), g.dilationW()), "conv2d_forward", g);
  }
  @Override protected void conv2d_backward_data(Conv2dGeometry g, Tensor dy, Tensor w, Tensor dx, Tensor ws) {
    checkConv(jnn_conv2d_backward_data(dy.data(), dy.offset(), w.data(), w.offset(), dx.data(), dx.offset(),
        ws == null ? null : ws.data(), ws == null ? 0 : ws.offset(), ws == null ? 0 : ws.size(),
        g.batch(), g.inChannels(), g.height(), g.width(), g.outChannels(), g.kernelH(), g.kernelW(),
        g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilationH(), g.dilationW()), "conv2d_backward_data", g);
  }
  @Override protected void conv2d_backward_filter(Conv2dGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias, Tensor ws) {
    checkConv(jnn_conv2d_backward_filter(x.data(), x.offset(), dy.data(), dy.offset(), dw.data(), dw.offset(),
        dbias == null ? null : dbias.data(), dbias == null ? 0 : dbias.offset(),
        ws == null ? null : ws.data(), ws == null ? 0 : ws.offset(), ws == null ? 0 : ws.size(),
        g.batch(), g.inChannels(), g.height(), g.width(), g.outChannels(), g.kernelH(), g.kernelW(),
        g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilationH(), g.dilationW()), "conv2d_backward_filter", g);
  }

  // ---------------------------------------------------------------- recurrent (rnn.cpp: one input GEMM, per-step GEMM + fused gates)

  @Override public long lstmWorkspaceSize(RnnGeometry g) {
    java.util.Objects.requireNonNull(g, "lstm_workspace_size: geometry is null");
    return jnn_lstm_workspace_size(g.batch(), g.steps(), g.inputSize(), g.hiddenSize());
  }

  @Override public long gruWorkspaceSize(RnnGeometry g) {
    java.util.Objects.requireNonNull(g, "gru_workspace_size: geometry is null");
    return jnn_gru_workspace_size(g.batch(), g.steps(), g.inputSize(), g.hiddenSize());
  }

  private static void checkRnn(int rc, String kernel, RnnGeometry g) {
    if (rc != 0) throw new NativeKernelException(kernel, g.toString(), rc, jnn_last_error());
  }

  private static float[] d(Tensor t) { return t == null ? null : t.data(); }
  private static long o(Tensor t) { return t == null ? 0 : t.offset(); }

  @Override protected void lstm_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh,
                                        Tensor y, Tensor hT, Tensor cT, Tensor ws) {
    checkRnn(jnn_lstm_forward(x.data(), x.offset(), d(h0), o(h0), d(c0), o(c0), wIh.data(), wIh.offset(), wHh.data(), wHh.offset(),
        bIh.data(), bIh.offset(), bHh.data(), bHh.offset(), y.data(), y.offset(), hT.data(), hT.offset(), cT.data(), cT.offset(),
        ws.data(), ws.offset(), g.batch(), g.steps(), g.inputSize(), g.hiddenSize(), g.reverse() ? 1 : 0), "lstm_forward", g);
  }
  @Override protected void lstm_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y, Tensor ws,
                                         Tensor dy, Tensor dhT, Tensor dcT, Tensor dx, Tensor dh0, Tensor dc0,
                                         Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    checkRnn(jnn_lstm_backward(x.data(), x.offset(), d(h0), o(h0), d(c0), o(c0), wIh.data(), wIh.offset(), wHh.data(), wHh.offset(),
        y.data(), y.offset(), ws.data(), ws.offset(), dy.data(), dy.offset(), d(dhT), o(dhT), d(dcT), o(dcT), d(dx), o(dx),
        dh0.data(), dh0.offset(), dc0.data(), dc0.offset(), dwIh.data(), dwIh.offset(), dwHh.data(), dwHh.offset(),
        dbIh.data(), dbIh.offset(), dbHh.data(), dbHh.offset(), g.batch(), g.steps(), g.inputSize(), g.hiddenSize(), g.reverse() ? 1 : 0),
        "lstm_backward", g);
  }
  @Override protected void gru_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, Tensor y, Tensor hT,
                                       Tensor ws) {
    checkRnn(jnn_gru_forward(x.data(), x.offset(), d(h0), o(h0), wIh.data(), wIh.offset(), wHh.data(), wHh.offset(),
        bIh.data(), bIh.offset(), bHh.data(), bHh.offset(), y.data(), y.offset(), hT.data(), hT.offset(),
        ws.data(), ws.offset(), g.batch(), g.steps(), g.inputSize(), g.hiddenSize(), g.reverse() ? 1 : 0), "gru_forward", g);
  }
  @Override protected void gru_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor y, Tensor ws, Tensor dy, Tensor dhT,
                                        Tensor dx, Tensor dh0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    checkRnn(jnn_gru_backward(x.data(), x.offset(), d(h0), o(h0), wIh.data(), wIh.offset(), wHh.data(), wHh.offset(),
        y.data(), y.offset(), ws.data(), ws.offset(), dy.data(), dy.offset(), d(dhT), o(dhT), d(dx), o(dx),
        dh0.data(), dh0.offset(), dwIh.data(), dwIh.offset(), dwHh.data(), dwHh.offset(),
        dbIh.data(), dbIh.offset(), dbHh.data(), dbHh.offset(), g.batch(), g.steps(), g.inputSize(), g.hiddenSize(), g.reverse() ? 1 : 0),
        "gru_backward", g);
  }

  // ---------------------------------------------------------------- embedding (embedding.cpp)

  @Override protected void embedding_forward(int[] ids, int idsOffset, int n, Tensor weight, Tensor out) {
    check(jnn_embedding_forward(ids, idsOffset, weight.data(), weight.offset(), out.data(), out.offset(), n, weight.dim(1)),
        "embedding_forward", out);
  }
  @Override protected void embedding_backward(int[] ids, int idsOffset, int n, Tensor dout, Tensor dweight, int paddingIdx) {
    check(jnn_embedding_backward(ids, idsOffset, dout.data(), dout.offset(), dweight.data(), dweight.offset(), n, dweight.dim(0), dweight.dim(1),
        paddingIdx), "embedding_backward", dweight);
  }

  // ---------------------------------------------------------------- pooling (pool.cpp)

  private static void checkPool(int rc, String kernel, Pool2dGeometry g) {
    if (rc != 0) throw new NativeKernelException(kernel, g.toString(), rc, jnn_last_error());
  }

  @Override protected void maxpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y, int[] argmax) {
    checkPool(jnn_maxpool2d_forward(x.data(), x.offset(), y.data(), y.offset(), argmax, 0, g.batch(), g.channels(), g.height(), g.width(),
        g.kernelH(), g.kernelW(), g.strideH(), g.strideW(), g.padH(), g.padW()), "maxpool2d_forward", g);
  }
  @Override protected void maxpool2d_backward(Pool2dGeometry g, Tensor dy, int[] argmax, Tensor dx) {
    checkPool(jnn_maxpool2d_backward(dy.data(), dy.offset(), argmax, 0, dx.data(), dx.offset(), g.batch(), g.channels(), g.height(), g.width(),
        g.kernelH(), g.kernelW(), g.strideH(), g.strideW(), g.padH(), g.padW()), "maxpool2d_backward", g);
  }
  @Override protected void avgpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y) {
    checkPool(jnn_avgpool2d_forward(x.data(), x.offset(), y.data(), y.offset(), g.batch(), g.channels(), g.height(), g.width(),
        g.kernelH(), g.kernelW(), g.strideH(), g.strideW(), g.padH(), g.padW()), "avgpool2d_forward", g);
  }
  @Override protected void avgpool2d_backward(Pool2dGeometry g, Tensor dy, Tensor dx) {
    checkPool(jnn_avgpool2d_backward(dy.data(), dy.offset(), dx.data(), dx.offset(), g.batch(), g.channels(), g.height(), g.width(),
        g.kernelH(), g.kernelW(), g.strideH(), g.strideW(), g.padH(), g.padW()), "avgpool2d_backward", g);
  }
  @Override protected void global_avgpool2d_forward(Tensor x, Tensor y, int planes, int hw) {
    check(jnn_global_avgpool2d_forward(x.data(), x.offset(), y.data(), y.offset(), planes, hw), "global_avgpool2d_forward", x);
  }
  @Override protected void global_avgpool2d_backward(Tensor dy, Tensor dx, int planes, int hw) {
    check(jnn_global_avgpool2d_backward(dy.data(), dy.offset(), dx.data(), dx.offset(), planes, hw), "global_avgpool2d_backward", dx);
  }

  // ---------------------------------------------------------------- batch normalization (batchnorm.cpp)

  @Override protected void batchnorm_forward_training(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor rm, Tensor rv, Tensor sm, Tensor sis,
                                                      float momentum, float eps, int n, int c, int s) {
    check(jnn_batchnorm_forward_training(x.data(), x.offset(), gamma.data(), gamma.offset(), beta.data(), beta.offset(), y.data(), y.offset(),
        rm.data(), rm.offset(), rv.data(), rv.offset(), sm.data(), sm.offset(), sis.data(), sis.offset(), momentum, eps, n, c, s),
        "batchnorm_forward_training", x);
  }
  @Override protected void batchnorm_forward_inference(Tensor x, Tensor gamma, Tensor beta, Tensor rm, Tensor rv, Tensor y, float eps, int n, int c, int s) {
    check(jnn_batchnorm_forward_inference(x.data(), x.offset(), gamma.data(), gamma.offset(), beta.data(), beta.offset(), rm.data(), rm.offset(),
        rv.data(), rv.offset(), y.data(), y.offset(), eps, n, c, s), "batchnorm_forward_inference", x);
  }
  @Override protected void batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor sm, Tensor sis, Tensor dx, Tensor dgamma, Tensor dbeta,
                                              int n, int c, int s) {
    check(jnn_batchnorm_backward(x.data(), x.offset(), dy.data(), dy.offset(), gamma.data(), gamma.offset(), sm.data(), sm.offset(),
        sis.data(), sis.offset(), dx.data(), dx.offset(), dgamma.data(), dgamma.offset(), dbeta.data(), dbeta.offset(), n, c, s),
        "batchnorm_backward", x);
  }
}
