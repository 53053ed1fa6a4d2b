package dev.jnn.backend.cuda;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of native/include/jnn/jnn_cuda.h (jnn's own CUDA kernels, library jnn_cuda),
 * one declaration per C function, nothing else. The JavaCPP Maven plugin generates the JNI glue
 * from this class (process-classes phase).
 *
 * <p>Every tensor argument is a DEVICE address passed as a {@code long} (already at the tensor's
 * first element: {@code memory().address() + 4L * offset()}), the stream a {@code cudaStream_t}
 * address: calls allocate nothing. Every kernel returns 0 or the {@code cudaError_t} of its
 * launch; {@link #jnn_cuda_error_string(int)} names it. Example, y = relu(x) on n floats:
 * <pre>{@code
 * int status = JnnCuda.jnn_cuda_relu_forward(ctx.stream(), x.memory().address() + 4L * x.offset(),
 *     y.memory().address() + 4L * y.offset(), n);
 * if (status != 0) throw new IllegalStateException("relu_forward: " + JnnCuda.jnn_cuda_error_string(status));
 * }</pre>
 *
 * <p>Loading this class loads the cudart preset first (libcudart.so.13 from the machine: one CUDA
 * runtime in the process), then libjnn_cuda and its JNI glue; failures of the latter surface as
 * {@link LinkageError}s that the CUDA runtime probe reports. Without an NVIDIA driver the preset
 * cannot load ({@link #cudartPresetError()}) but libjnn_cuda still does, so its build information
 * is readable and kernels return an error status. A libjnn_cuda built without nvcc
 * loads too: {@link #jnn_cuda_compiled()} is 0 and every kernel returns
 * {@link #JNN_CUDA_ERR_NOT_COMPILED}.
 */
@Platform(value = "linux-x86_64", include = "jnn/jnn_cuda.h", link = "jnn_cuda")
public final class JnnCuda {
  /** Why the cudart preset did not load (null if it did); see {@link #cudartPresetError()}. */
  private static final String CUDART_PRESET_ERROR;

  static {
    String error = null;
    try {
      Loader.load(org.bytedeco.cuda.global.cudart.class);
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      // The preset's JNI glue links the driver (libcuda.so.1), absent on machines without an NVIDIA
      // driver. libjnn_cuda needs only libcudart.so.13, which the dynamic linker then finds by
      // soname, so the library information below stays readable there. NoClassDefFoundError: the
      // preset class already failed its initialization earlier in this JVM (CudaRuntime.probe()
      // loads it first whenever Backends lists the backends).
      error = e.getCause() == null ? e.toString() : e + " (caused by " + e.getCause() + ")";
    }
    CUDART_PRESET_ERROR = error;
    Loader.load();
  }

  private JnnCuda() {}

  /** Forces class initialization, i.e. library loading. */
  public static void load() {}

  /**
   * Why the cudart preset failed to load before libjnn_cuda (typically: no NVIDIA driver, the
   * preset's glue needs libcuda.so.1), or null if it loaded. Kernels cannot run without it.
   */
  public static String cudartPresetError() { return CUDART_PRESET_ERROR; }

  /** Returned by every kernel of a libjnn_cuda built without nvcc (jnn_cuda.h). */
  public static final int JNN_CUDA_ERR_NOT_COMPILED = 9001;

  /** 1 if libjnn_cuda was built with nvcc, 0 if the fallback (no nvcc at build time) was built. */
  public static native int jnn_cuda_compiled();
  /** nvcc version and -gencode list, or "built without CUDA: reason". */
  public static native String jnn_cuda_build_info();
  /** CUDART_VERSION compiled against (13000 = 13.0), 0 in the fallback. */
  public static native int jnn_cuda_runtime_version();
  /** "cudaErrorX: message" of a status code returned by a kernel. */
  public static native String jnn_cuda_error_string(int code);
  /** Successful kernel launches so far (tests prove the CUDA kernels ran). */
  public static native long jnn_cuda_kernel_launches();

  // elementwise.cu
  public static native int jnn_cuda_add(@Cast("void*") long stream, @Cast("const float*") long a, @Cast("const float*") long b,
      @Cast("float*") long out, long n);
  public static native int jnn_cuda_mul(@Cast("void*") long stream, @Cast("const float*") long a, @Cast("const float*") long b,
      @Cast("float*") long out, long n);
  public static native int jnn_cuda_scale(@Cast("void*") long stream, @Cast("const float*") long x, float alpha,
      @Cast("float*") long out, long n);
  public static native int jnn_cuda_axpy(@Cast("void*") long stream, float alpha, @Cast("const float*") long x,
      @Cast("float*") long y, long n);
  public static native int jnn_cuda_fill(@Cast("void*") long stream, @Cast("float*") long x, float value, long n);
  public static native int jnn_cuda_copy(@Cast("void*") long stream, @Cast("const float*") long src, @Cast("float*") long dst,
      long n);

  // activation.cu: backward from x (relu, leaky_relu, gelu) or from y (sigmoid, tanh)
  public static native int jnn_cuda_relu_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("float*") long y, long n);
  public static native int jnn_cuda_relu_backward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("const float*") long dy, @Cast("float*") long dx, long n);
  public static native int jnn_cuda_leaky_relu_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("float*") long y, long n, float slope);
  public static native int jnn_cuda_leaky_relu_backward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("const float*") long dy, @Cast("float*") long dx, long n, float slope);
  public static native int jnn_cuda_sigmoid_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("float*") long y, long n);
  public static native int jnn_cuda_sigmoid_backward(@Cast("void*") long stream, @Cast("const float*") long y,
      @Cast("const float*") long dy, @Cast("float*") long dx, long n);
  public static native int jnn_cuda_tanh_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("float*") long y, long n);
  public static native int jnn_cuda_tanh_backward(@Cast("void*") long stream, @Cast("const float*") long y,
      @Cast("const float*") long dy, @Cast("float*") long dx, long n);
  public static native int jnn_cuda_gelu_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("float*") long y, long n);
  public static native int jnn_cuda_gelu_backward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("const float*") long dy, @Cast("float*") long dx, long n);

  // softmax.cu: (rows, cols), over each row; backward from the forward output y
  public static native int jnn_cuda_softmax_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("float*") long y, long rows, long cols);
  public static native int jnn_cuda_softmax_backward(@Cast("void*") long stream, @Cast("const float*") long y,
      @Cast("const float*") long dy, @Cast("float*") long dx, long rows, long cols);
  public static native int jnn_cuda_log_softmax_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("float*") long y, long rows, long cols);
  public static native int jnn_cuda_log_softmax_backward(@Cast("void*") long stream, @Cast("const float*") long y,
      @Cast("const float*") long dy, @Cast("float*") long dx, long rows, long cols);

  /** Most chunks of rows whose partial sums jnn_cuda_layernorm_backward adds; its scratch holds 2 * this * cols doubles (jnn_cuda.h). */
  public static final int JNN_CUDA_LAYERNORM_CHUNKS = 32;

  // layernorm.cu: x, y, dy, dx (rows, cols); gamma, beta, dgamma, dbeta (cols); mean, rstd (rows); partials: device scratch
  public static native int jnn_cuda_layernorm_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("const float*") long gamma, @Cast("const float*") long beta, float eps, @Cast("float*") long y, @Cast("float*") long mean,
      @Cast("float*") long rstd, long rows, long cols);
  public static native int jnn_cuda_layernorm_backward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("const float*") long dy, @Cast("const float*") long gamma, @Cast("const float*") long mean, @Cast("const float*") long rstd,
      @Cast("float*") long dx, @Cast("float*") long dgamma, @Cast("float*") long dbeta, @Cast("double*") long partials, long rows, long cols);

  // attention.cu: x, y (batch, heads, tq, tk); key_mask (batch, tk) or 0
  public static native int jnn_cuda_masked_softmax_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("const float*") long key_mask, int causal, float scale, @Cast("float*") long y, long batch, long heads, long tq, long tk);

  // loss.cu: forward writes the mean into ONE device float `loss`
  public static native int jnn_cuda_mse_forward(@Cast("void*") long stream, @Cast("const float*") long pred,
      @Cast("const float*") long target, long n, @Cast("float*") long loss);
  public static native int jnn_cuda_mse_backward(@Cast("void*") long stream, @Cast("const float*") long pred,
      @Cast("const float*") long target, @Cast("float*") long dpred, long n);
  public static native int jnn_cuda_bce_forward(@Cast("void*") long stream, @Cast("const float*") long p,
      @Cast("const float*") long target, long n, @Cast("float*") long loss);
  public static native int jnn_cuda_bce_backward(@Cast("void*") long stream, @Cast("const float*") long p,
      @Cast("const float*") long target, @Cast("float*") long dp, long n);
  public static native int jnn_cuda_bce_logits_forward(@Cast("void*") long stream, @Cast("const float*") long z,
      @Cast("const float*") long target, long n, @Cast("float*") long loss);
  public static native int jnn_cuda_bce_logits_backward(@Cast("void*") long stream, @Cast("const float*") long z,
      @Cast("const float*") long target, @Cast("float*") long dz, long n);
  public static native int jnn_cuda_softmax_cross_entropy_forward(@Cast("void*") long stream, @Cast("const float*") long logits,
      @Cast("const int32_t*") long labels, @Cast("float*") long probs, long rows, long cols, @Cast("float*") long loss);
  public static native int jnn_cuda_softmax_cross_entropy_backward(@Cast("void*") long stream, @Cast("const float*") long probs,
      @Cast("const int32_t*") long labels, @Cast("float*") long dlogits, long rows, long cols);

  // reduce.cu: sum_squares writes ONE device double
  public static native int jnn_cuda_sum_rows(@Cast("void*") long stream, @Cast("const float*") long x, @Cast("float*") long out,
      long rows, long cols);
  public static native int jnn_cuda_sum_squares(@Cast("void*") long stream, @Cast("const float*") long x, long n,
      @Cast("double*") long out);

  // dropout.cu: the counter-based RNG of dev.jnn.backend.DropoutRng (identical masks)
  public static native int jnn_cuda_dropout_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("float*") long y, @Cast("float*") long mask, long n, float p, long seed, long counter);
  public static native int jnn_cuda_dropout_backward(@Cast("void*") long stream, @Cast("const float*") long dy,
      @Cast("const float*") long mask, @Cast("float*") long dx, long n);

  // embedding.cu: ids are device int32; the backward is order-dependent (atomicAdd) when ids repeat
  public static native int jnn_cuda_embedding_forward(@Cast("void*") long stream, @Cast("const int32_t*") long ids,
      @Cast("const float*") long weight, @Cast("float*") long out, long n, long d);
  public static native int jnn_cuda_embedding_backward(@Cast("void*") long stream, @Cast("const int32_t*") long ids,
      @Cast("const float*") long dout, @Cast("float*") long dweight, long n, long v, long d, long padding_idx);

  // optimizer.cu: in place, jnn_cpu.h's formulas, step counts from 1
  public static native int jnn_cuda_sgd_update(@Cast("void*") long stream, @Cast("float*") long param,
      @Cast("const float*") long grad, @Cast("float*") long velocity, long n, float lr, float momentum, float dampening,
      float weight_decay, int nesterov, long step);
  public static native int jnn_cuda_adam_update(@Cast("void*") long stream, @Cast("float*") long param,
      @Cast("const float*") long grad, @Cast("float*") long m, @Cast("float*") long v, long n, float lr, float beta1,
      float beta2, float eps, float weight_decay, long step);
  public static native int jnn_cuda_adamw_update(@Cast("void*") long stream, @Cast("float*") long param,
      @Cast("const float*") long grad, @Cast("float*") long m, @Cast("float*") long v, long n, float lr, float beta1,
      float beta2, float eps, float weight_decay, long step);
  public static native int jnn_cuda_rmsprop_update(@Cast("void*") long stream, @Cast("float*") long param,
      @Cast("const float*") long grad, @Cast("float*") long square_avg, long n, float lr, float alpha, float eps,
      float weight_decay);
  public static native int jnn_cuda_adagrad_update(@Cast("void*") long stream, @Cast("float*") long param,
      @Cast("const float*") long grad, @Cast("float*") long sum, long n, float lr, float lr_decay, float eps, float weight_decay,
      long step);

  // pool.cu: geometry (n, c, h, w, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w) as in jnn_cuda.h
  public static native int jnn_cuda_maxpool2d_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("float*") long y, @Cast("int32_t*") long argmax, int n, int c, int h, int w, int kernel_h, int kernel_w,
      int stride_h, int stride_w, int pad_h, int pad_w);
  public static native int jnn_cuda_maxpool2d_backward(@Cast("void*") long stream, @Cast("const float*") long dy,
      @Cast("const int32_t*") long argmax, @Cast("float*") long dx, int n, int c, int h, int w, int kernel_h, int kernel_w,
      int stride_h, int stride_w, int pad_h, int pad_w);
  public static native int jnn_cuda_avgpool2d_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("float*") long y, int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h,
      int pad_w);
  public static native int jnn_cuda_avgpool2d_backward(@Cast("void*") long stream, @Cast("const float*") long dy,
      @Cast("float*") long dx, int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h,
      int pad_w);
  public static native int jnn_cuda_global_avgpool2d_forward(@Cast("void*") long stream, @Cast("const float*") long x,
      @Cast("float*") long y, long planes, long hw);
  public static native int jnn_cuda_global_avgpool2d_backward(@Cast("void*") long stream, @Cast("const float*") long dy,
      @Cast("float*") long dx, long planes, long hw);

  // glue.cu: helpers of the cuBLAS / cuDNN kernels
  public static native int jnn_cuda_bias_add(@Cast("void*") long stream, @Cast("float*") long c, @Cast("const float*") long bias,
      long rows, long cols);
  public static native int jnn_cuda_reverse_time(@Cast("void*") long stream, @Cast("const float*") long src,
      @Cast("float*") long dst, long b, long t, long w);
}
