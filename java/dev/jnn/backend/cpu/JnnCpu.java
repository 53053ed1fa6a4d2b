package dev.jnn.backend.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of native/include/jnn/jnn_cpu.h, one declaration per C function, nothing else.
 * The JavaCPP Maven plugin generates the JNI glue from this class (process-classes phase).
 *
 * <p>Arrays cross in a JNI critical region ({@link CriticalRegion}): the C function reads and
 * writes the Java heap array in place, no copy. Critical regions must stay short and must not
 * call back into Java, which these kernels never do.
 *
 * <p>Loading this class extracts and loads libopenblas (the OpenBLAS preset), then the bundled
 * libgomp and libdnnl (see {@link #loadOneDnn}), then libjnn_cpu and its JNI glue, all after
 * libjnn_env (see {@link #loadThreadPoolDefaults}); failures surface as {@link LinkageError}s that
 * {@code Backends} reports.
 */
@Platform(value = "linux-x86_64", include = "jnn/jnn_cpu.h", link = "jnn_cpu", preload = "gomp@.1")
public final class JnnCpu {
  static {
    loadThreadPoolDefaults();
    Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
    loadOneDnn();
    Loader.load();
  }

  /** Where libdnnl.so.3 sits in the org.bytedeco:dnnl preset's platform jar. */
  static final String DNNL_RESOURCE = "/org/bytedeco/dnnl/" + "linux-x86_64" + "/libdnnl.so.3";

  /**
   * Loads libdnnl.so.3 (oneDNN, which libjnn_cpu links to by soname for its convolutions) so that
   * it shares jnn's OpenMP runtime: first jnn's own libgomp.so.1 through Loader under the name
   * "gomp@.1", exactly as the {@code preload} of {@code Loader.load()} below would (Loader records
   * it, and that preload then finds it loaded: same file, loaded once), then libdnnl.so.3 itself,
   * extracted from the dnnl preset's jar into JavaCPP's cache. libdnnl needs libgomp.so.1, and the
   * dynamic linker resolves that by soname to the copy already loaded; loaded the other way round
   * it would search libdnnl's RUNPATH ($ORIGIN) and the system and could bring a second OpenMP
   * runtime (two thread pools fighting for the cores). For the same reason the preset's Java
   * classes are not used (Loader.load of them would load the preset's own libgomp beside its JNI
   * glue) and not even a dependency (pom.xml). {@code CpuConvOneDnnTest} checks that the process
   * maps one libgomp and one libdnnl.
   */
  private static void loadOneDnn() {
    var props = Loader.loadProperties(JnnCpu.class, Loader.loadProperties(), true);
    java.net.URL[] gomp = Loader.findLibrary(JnnCpu.class, props, "gomp@.1");
    if (gomp.length == 0) throw new UnsatisfiedLinkError("libgomp.so.1 is missing beside libjnn_cpu (" + Loader.getPlatform() + "/ of dev.jnn.backend.cpu)");
    Loader.loadLibrary(JnnCpu.class, gomp, "gomp@.1");
    java.net.URL dnnl = JnnCpu.class.getResource(DNNL_RESOURCE);
    if (dnnl == null)
      throw new UnsatisfiedLinkError(DNNL_RESOURCE + " is not on the class path: jnn's cpu backend needs the jar org.bytedeco:dnnl:3.11-1.5.13:linux-x86_64");
    Loader.loadLibrary(JnnCpu.class, new java.net.URL[] {dnnl}, "dnnl@.3");
  }

  /**
   * Loads libjnn_env before OpenBLAS and libgomp, so its load-time constructor can set their
   * idle-spin defaults (native/cpu/env/jnn_env.cpp explains and measures why). Only a speed
   * setting: if it cannot load, jnn runs with the libraries' own defaults.
   */
  private static void loadThreadPoolDefaults() {
    try {
      java.io.File f = Loader.cacheResource(JnnCpu.class, Loader.getPlatform() + "/libjnn_env.so");
      if (f != null) System.load(f.getAbsolutePath());
    } catch (java.io.IOException | LinkageError | RuntimeException e) {
      System.getLogger("dev.jnn").log(System.Logger.Level.WARNING, "libjnn_env not loaded; thread pools keep their default idle spinning: " + e);
    }
  }

  private JnnCpu() {}

  /** Forces class initialization, i.e. library loading. */
  public static void load() {}

  public static native String jnn_last_error();
  public static native String jnn_version();
  public static native String jnn_build_info();
  public static native String jnn_cpu_dispatch();
  public static native int jnn_num_threads();
  public static native int jnn_blas_num_threads();
  public static native void jnn_set_num_threads(int n);
  public static native long jnn_native_calls();
  public static native int jnn_cpu_set_avx512(int on);
  public static native int jnn_cpu_avx512();

  @CriticalRegion public static native int jnn_gemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
      float[] a, long a_off, float[] b, long b_off, float beta, float[] c, long c_off, float[] bias, long bias_off);
  // gemm.cpp: the layout of dev.jnn.backend.BatchedGemm, offsets including the tensors' own
  @CriticalRegion public static native int jnn_gemm_batched(int trans_a, int trans_b, long batch, long m, long n, long k, float alpha,
      float[] a, long a_off, long lda, long stride_a, float[] b, long b_off, long ldb, long stride_b, float beta,
      float[] c, long c_off, long ldc, long stride_c);

  // layernorm.cpp: x, y, dy, dx (rows, cols); gamma, beta, dgamma, dbeta (cols); mean, rstd (rows)
  @CriticalRegion public static native int jnn_layernorm_forward(float[] x, long x_off, float[] gamma, long gamma_off, float[] beta, long beta_off,
      float eps, float[] y, long y_off, float[] mean, long mean_off, float[] rstd, long rstd_off, long rows, long cols);
  @CriticalRegion public static native int jnn_layernorm_backward(float[] x, long x_off, float[] dy, long dy_off, float[] gamma, long gamma_off,
      float[] mean, long mean_off, float[] rstd, long rstd_off, float[] dx, long dx_off, float[] dgamma, long dgamma_off,
      float[] dbeta, long dbeta_off, long rows, long cols);

  // attention.cpp: x, y (batch, heads, tq, tk); key_mask (batch, tk) or null
  @CriticalRegion public static native int jnn_masked_softmax_forward(float[] x, long x_off, float[] key_mask, long key_mask_off, int causal,
      float scale, float[] y, long y_off, long batch, long heads, long tq, long tk);

  @CriticalRegion public static native int jnn_add(float[] a, long a_off, float[] b, long b_off, float[] out, long out_off, long n);
  @CriticalRegion public static native int jnn_mul(float[] a, long a_off, float[] b, long b_off, float[] out, long out_off, long n);
  @CriticalRegion public static native int jnn_scale(float[] x, long x_off, float alpha, float[] out, long out_off, long n);
  @CriticalRegion public static native int jnn_axpy(float alpha, float[] x, long x_off, float[] y, long y_off, long n);
  @CriticalRegion public static native int jnn_fill(float[] x, long x_off, float value, long n);
  @CriticalRegion public static native int jnn_copy(float[] src, long src_off, float[] dst, long dst_off, long n);

  @CriticalRegion public static native int jnn_relu_forward(float[] x, long x_off, float[] y, long y_off, long n);
  @CriticalRegion public static native int jnn_relu_backward(float[] x, long x_off, float[] dy, long dy_off, float[] dx, long dx_off, long n);
  @CriticalRegion public static native int jnn_leaky_relu_forward(float[] x, long x_off, float[] y, long y_off, long n, float slope);
  @CriticalRegion public static native int jnn_leaky_relu_backward(float[] x, long x_off, float[] dy, long dy_off, float[] dx, long dx_off, long n, float slope);
  @CriticalRegion public static native int jnn_sigmoid_forward(float[] x, long x_off, float[] y, long y_off, long n);
  @CriticalRegion public static native int jnn_sigmoid_backward(float[] y, long y_off, float[] dy, long dy_off, float[] dx, long dx_off, long n);
  @CriticalRegion public static native int jnn_tanh_forward(float[] x, long x_off, float[] y, long y_off, long n);
  @CriticalRegion public static native int jnn_tanh_backward(float[] y, long y_off, float[] dy, long dy_off, float[] dx, long dx_off, long n);
  @CriticalRegion public static native int jnn_gelu_forward(float[] x, long x_off, float[] y, long y_off, long n);
  @CriticalRegion public static native int jnn_gelu_backward(float[] x, long x_off, float[] dy, long dy_off, float[] dx, long dx_off, long n);

  @CriticalRegion public static native int jnn_softmax_forward(float[] x, long x_off, float[] y, long y_off, long rows, long cols);
  @CriticalRegion public static native int jnn_softmax_backward(float[] y, long y_off, float[] dy, long dy_off, float[] dx, long dx_off, long rows, long cols);
  @CriticalRegion public static native int jnn_log_softmax_forward(float[] x, long x_off, float[] y, long y_off, long rows, long cols);
  @CriticalRegion public static native int jnn_log_softmax_backward(float[] y, long y_off, float[] dy, long dy_off, float[] dx, long dx_off, long rows, long cols);

  @CriticalRegion public static native int jnn_mse_forward(float[] pred, long pred_off, float[] target, long target_off, long n, float[] loss, long loss_off);
  @CriticalRegion public static native int jnn_mse_backward(float[] pred, long pred_off, float[] target, long target_off, float[] dpred, long dpred_off, long n);
  @CriticalRegion public static native int jnn_bce_forward(float[] p, long p_off, float[] target, long target_off, long n, float[] loss, long loss_off);
  @CriticalRegion public static native int jnn_bce_backward(float[] p, long p_off, float[] target, long target_off, float[] dp, long dp_off, long n);
  @CriticalRegion public static native int jnn_bce_logits_forward(float[] z, long z_off, float[] target, long target_off, long n, float[] loss, long loss_off);
  @CriticalRegion public static native int jnn_bce_logits_backward(float[] z, long z_off, float[] target, long target_off, float[] dz, long dz_off, long n);
  @CriticalRegion public static native int jnn_softmax_cross_entropy_forward(float[] logits, long logits_off, int[] labels, long labels_off,
      float[] probs, long probs_off, long rows, long cols, float[] loss, long loss_off);
  @CriticalRegion public static native int jnn_softmax_cross_entropy_backward(float[] probs, long probs_off, int[] labels, long labels_off,
      float[] dlogits, long dlogits_off, long rows, long cols);

  @CriticalRegion public static native int jnn_sum_rows(float[] x, long x_off, float[] out, long out_off, long rows, long cols);
  @CriticalRegion public static native int jnn_sum_squares(float[] x, long x_off, long n, double[] out, long out_off);

  @CriticalRegion public static native int jnn_dropout_forward(float[] x, long x_off, float[] y, long y_off, float[] mask, long mask_off, long n,
      float p, long seed, long counter);
  @CriticalRegion public static native int jnn_dropout_backward(float[] dy, long dy_off, float[] mask, long mask_off, float[] dx, long dx_off, long n);

  @CriticalRegion public static native int jnn_sgd_update(float[] param, long param_off, float[] grad, long grad_off, float[] velocity, long velocity_off,
      long n, float lr, float momentum, float dampening, float weight_decay, int nesterov, long step);
  @CriticalRegion public static native int jnn_adam_update(float[] param, long param_off, float[] grad, long grad_off, float[] m, long m_off, float[] v, long v_off,
      long n, float lr, float beta1, float beta2, float eps, float weight_decay, long step);
  @CriticalRegion public static native int jnn_adamw_update(float[] param, long param_off, float[] grad, long grad_off, float[] m, long m_off, float[] v, long v_off,
      long n, float lr, float beta1, float beta2, float eps, float weight_decay, long step);
  @CriticalRegion public static native int jnn_rmsprop_update(float[] param, long param_off, float[] grad, long grad_off, float[] square_avg, long square_avg_off,
      long n, float lr, float alpha, float eps, float weight_decay);
  @CriticalRegion public static native int jnn_adagrad_update(float[] param, long param_off, float[] grad, long grad_off, float[] sum, long sum_off,
      long n, float lr, float lr_decay, float eps, float weight_decay, long step);

  // conv.cpp: geometry (n, c, h, w, k, r, s, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w) as in jnn_cpu.h
  public static native long jnn_conv2d_workspace_size(int n, int c, int h, int w, int k, int r, int s, int stride_h, int stride_w,
      int pad_h, int pad_w, int dil_h, int dil_w);
  @CriticalRegion public static native int jnn_conv2d_forward(float[] x, long x_off, float[] wt, long wt_off, float[] bias, long bias_off,
      float[] y, long y_off, float[] ws, long ws_off, long ws_size,
      int n, int c, int h, int w, int k, int r, int s, int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w);
  @CriticalRegion public static native int jnn_conv2d_backward_data(float[] dy, long dy_off, float[] wt, long wt_off, float[] dx, long dx_off,
      float[] ws, long ws_off, long ws_size,
      int n, int c, int h, int w, int k, int r, int s, int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w);
  // conv_dnnl.cpp: which code runs conv2d (JNN_CONV_IMPL_AUTO 0, JNN_CONV_IMPL_IM2COL 1), its statistics
  public static native int jnn_conv2d_set_impl(int impl);
  public static native int jnn_conv2d_get_impl();
  public static native void jnn_conv2d_set_strict(int strict);
  @CriticalRegion public static native int jnn_conv2d_stats(@Cast("int64_t*") long[] out, long out_off);
  public static native int jnn_conv2d_last_threads();
  public static native String jnn_conv2d_impl(int dir, int n, int c, int h, int w, int k, int r, int s, int stride_h, int stride_w,
      int pad_h, int pad_w, int dil_h, int dil_w);
  public static native String jnn_dnnl_version();
  @CriticalRegion public static native int jnn_conv2d_backward_filter(float[] x, long x_off, float[] dy, long dy_off, float[] dw, long dw_off,
      float[] dbias, long dbias_off, float[] ws, long ws_off, long ws_size,
      int n, int c, int h, int w, int k, int r, int s, int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w);

  // rnn.cpp: geometry (b, t, i, h, reverse) as in jnn_cpu.h; h0, c0, dh_t, dc_t may be null
  public static native long jnn_lstm_workspace_size(int b, int t, int i, int h);
  public static native long jnn_gru_workspace_size(int b, int t, int i, int h);
  @CriticalRegion public static native int jnn_lstm_forward(float[] x, long x_off, float[] h0, long h0_off, float[] c0, long c0_off,
      float[] w_ih, long w_ih_off, float[] w_hh, long w_hh_off, float[] b_ih, long b_ih_off, float[] b_hh, long b_hh_off,
      float[] y, long y_off, float[] h_t, long h_t_off, float[] c_t, long c_t_off, float[] ws, long ws_off, int b, int t, int i, int h, int reverse);
  @CriticalRegion public static native int jnn_lstm_backward(float[] x, long x_off, float[] h0, long h0_off, float[] c0, long c0_off,
      float[] w_ih, long w_ih_off, float[] w_hh, long w_hh_off, float[] y, long y_off, float[] ws, long ws_off,
      float[] dy, long dy_off, float[] dh_t, long dh_t_off, float[] dc_t, long dc_t_off, float[] dx, long dx_off,
      float[] dh0, long dh0_off, float[] dc0, long dc0_off, float[] dw_ih, long dw_ih_off, float[] dw_hh, long dw_hh_off,
      float[] db_ih, long db_ih_off, float[] db_hh, long db_hh_off, int b, int t, int i, int h, int reverse);
  @CriticalRegion public static native int jnn_gru_forward(float[] x, long x_off, float[] h0, long h0_off,
      float[] w_ih, long w_ih_off, float[] w_hh, long w_hh_off, float[] b_ih, long b_ih_off, float[] b_hh, long b_hh_off,
      float[] y, long y_off, float[] h_t, long h_t_off, float[] ws, long ws_off, int b, int t, int i, int h, int reverse);
  @CriticalRegion public static native int jnn_gru_backward(float[] x, long x_off, float[] h0, long h0_off,
      float[] w_ih, long w_ih_off, float[] w_hh, long w_hh_off, float[] y, long y_off, float[] ws, long ws_off,
      float[] dy, long dy_off, float[] dh_t, long dh_t_off, float[] dx, long dx_off, float[] dh0, long dh0_off,
      float[] dw_ih, long dw_ih_off, float[] dw_hh, long dw_hh_off, float[] db_ih, long db_ih_off, float[] db_hh, long db_hh_off,
      int b, int t, int i, int h, int reverse);

  // embedding.cpp
  @CriticalRegion public static native int jnn_embedding_forward(int[] ids, long ids_off, float[] weight, long weight_off, float[] out, long out_off,
      long n, long d);
  @CriticalRegion public static native int jnn_embedding_backward(int[] ids, long ids_off, float[] dout, long dout_off, float[] dweight, long dweight_off,
      long n, long v, long d, long padding_idx);

  // pool.cpp: geometry (n, c, h, w, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w)
  @CriticalRegion public static native int jnn_maxpool2d_forward(float[] x, long x_off, float[] y, long y_off, int[] argmax, long argmax_off,
      int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h, int pad_w);
  @CriticalRegion public static native int jnn_maxpool2d_backward(float[] dy, long dy_off, int[] argmax, long argmax_off, float[] dx, long dx_off,
      int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h, int pad_w);
  @CriticalRegion public static native int jnn_avgpool2d_forward(float[] x, long x_off, float[] y, long y_off,
      int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h, int pad_w);
  @CriticalRegion public static native int jnn_avgpool2d_backward(float[] dy, long dy_off, float[] dx, long dx_off,
      int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h, int pad_w);
  @CriticalRegion public static native int jnn_global_avgpool2d_forward(float[] x, long x_off, float[] y, long y_off, long planes, long hw);
  @CriticalRegion public static native int jnn_global_avgpool2d_backward(float[] dy, long dy_off, float[] dx, long dx_off, long planes, long hw);

  // batchnorm.cpp
  @CriticalRegion public static native int jnn_batchnorm_forward_training(float[] x, long x_off, float[] gamma, long gamma_off, float[] beta, long beta_off,
      float[] y, long y_off, float[] running_mean, long running_mean_off, float[] running_var, long running_var_off,
      float[] save_mean, long save_mean_off, float[] save_inv_std, long save_inv_std_off, float momentum, float eps, long n, long c, long s);
  @CriticalRegion public static native int jnn_batchnorm_forward_inference(float[] x, long x_off, float[] gamma, long gamma_off, float[] beta, long beta_off,
      float[] running_mean, long running_mean_off, float[] running_var, long running_var_off, float[] y, long y_off, float eps, long n, long c, long s);
  @CriticalRegion public static native int jnn_batchnorm_backward(float[] x, long x_off, float[] dy, long dy_off, float[] gamma, long gamma_off,
      float[] save_mean, long save_mean_off, float[] save_inv_std, long save_inv_std_off, float[] dx, long dx_off,
      float[] dgamma, long dgamma_off, float[] dbeta, long dbeta_off, long n, long c, long s);
}
