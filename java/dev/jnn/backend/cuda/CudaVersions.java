package dev.jnn.backend.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * The minimum versions the CUDA backend needs, in one place, and a pure check against them (no
 * GPU, no native code: unit-testable anywhere). Versions are the libraries' integer encodings:
 * CUDA driver/runtime {@code 1000*major + 10*minor} (13000 = 13.0), cuDNN 9
 * {@code 10000*major + 100*minor + patch} (90100 = 9.1.0; cuDNN 8 used {@code 1000*major + ...}), cuBLAS
 * {@code 10000*major + 100*minor + patch} (130100 = 13.1.0). A value of 0 means "not found" (a
 * problem); a negative value means "not checked" (that component already failed for a reason
 * reported elsewhere) and adds no problem.
 *
 * <pre>{@code
 * List<String> problems = CudaVersions.check(12040, 13000, 130000, 90100);
 * // ["CUDA driver 12.4 is too old: need >= 13.0 (update the NVIDIA driver)"]
 * }</pre>
 */
public final class CudaVersions {
  /** Minimum CUDA driver API version: 13.0. */
  public static final int MIN_DRIVER = 13000;
  /** Minimum CUDA runtime version: 13.0. */
  public static final int MIN_RUNTIME = 13000;
  /** Minimum cuBLAS version: 13.0.0. */
  public static final int MIN_CUBLAS = 130000;
  /** Minimum cuDNN version: 9.0.0. */
  public static final int MIN_CUDNN = 90000;
  /**
   * The cuDNN the CUDA preset (org.bytedeco:cuda 13.1-9.19) was built against: 9.19.0. An older
   * cuDNN 9 loads (the probe accepts any 9.x), but a binding of a newer function fails at its
   * first call, and PyTorch's CUDA 13 wheels ship older 9.x releases: a warning, not a problem.
   */
  public static final long PRESET_CUDNN = org.bytedeco.cuda.global.cudnn.CUDNN_VERSION;
  /** The CUDA major version cuDNN must be built for (cudnnGetCudartVersion), as the runtime the presets link. */
  public static final int CUDA_MAJOR = 13;

  private CudaVersions() {}

  /**
   * The problems with these versions, empty when all meet the minimums.
   *
   * @param driver cudaDriverGetVersion's value (0: no driver; negative: not checked)
   * @param runtime cudaRuntimeGetVersion's value (0: runtime not loaded; negative: not checked)
   * @param cublas cublasGetProperty's major/minor/patch as one number (0: not loaded; negative: not checked)
   * @param cudnn cudnnGetVersion's value (0: not loaded; negative: not checked)
   */
  public static List<String> check(int driver, int runtime, int cublas, long cudnn) {
    List<String> problems = new ArrayList<>();
    if (driver == 0) problems.add("no CUDA driver (libcuda.so.1 not found)");
    else if (driver > 0 && driver < MIN_DRIVER)
      problems.add("CUDA driver " + cuda(driver) + " is too old: need >= " + cuda(MIN_DRIVER) + " (update the NVIDIA driver)");
    if (runtime == 0) problems.add("CUDA runtime not loaded (libcudart.so.13)");
    else if (runtime > 0 && runtime < MIN_RUNTIME)
      problems.add("CUDA runtime " + cuda(runtime) + " is too old: need >= " + cuda(MIN_RUNTIME));
    if (cublas == 0) problems.add("cuBLAS not loaded (libcublas.so.13)");
    else if (cublas > 0 && cublas < MIN_CUBLAS) problems.add("cuBLAS " + cublas(cublas) + " is too old: need >= " + cublas(MIN_CUBLAS));
    if (cudnn == 0) problems.add("cuDNN not loaded (libcudnn.so.9)");
    else if (cudnn > 0 && cudnn < MIN_CUDNN) problems.add("cuDNN " + cudnn(cudnn) + " is too old: need >= " + cudnn(MIN_CUDNN));
    return problems;
  }

  /**
   * The problem when cuDNN was built for another CUDA major than {@link #CUDA_MAJOR} (a cuDNN for
   * CUDA 12, e.g. from nvidia-cudnn-cu12, beside the CUDA 13 runtime): empty when it matches or was
   * not checked (negative).
   *
   * @param cudnnCudart cudnnGetCudartVersion's value ({@code 1000*major + 10*minor}; 0: cuDNN does not say)
   */
  public static List<String> checkCudnnCuda(long cudnnCudart) {
    if (cudnnCudart < 0) return List.of();
    if (cudnnCudart == 0) return List.of("cuDNN does not say which CUDA it was built for (cudnnGetCudartVersion gives 0); need CUDA " + CUDA_MAJOR);
    if (cudnnCudart / 1000 != CUDA_MAJOR)
      return List.of("cuDNN was built for CUDA " + cuda((int) cudnnCudart) + ", the CUDA backend needs a cuDNN for CUDA " + CUDA_MAJOR
          + " (pip: nvidia-cudnn-cu" + CUDA_MAJOR + ", not nvidia-cudnn-cu" + cudnnCudart / 1000 + ")");
    return List.of();
  }

  /**
   * Warnings about versions that load but are not what the bindings were built against: a cuDNN
   * older than {@link #PRESET_CUDNN}. Empty when none (or not checked: non-positive).
   */
  public static List<String> warnings(long cudnn) {
    if (cudnn > 0 && cudnn < PRESET_CUDNN)
      return List.of("cuDNN " + cudnn(cudnn) + " is older than the " + cudnn(PRESET_CUDNN) + " the CUDA preset was built against: it loads, "
          + "but a function newer than " + cudnn(cudnn) + " would fail at its first call (PyTorch's CUDA 13 wheels ship older 9.x; "
          + "pip install -U nvidia-cudnn-cu" + CUDA_MAJOR + " for a newer one)");
    return List.of();
  }

  /** 13000 -> "13.0", 12040 -> "12.4"; 0 -> "none"; negative -> "unknown". */
  public static String cuda(int v) {
    return v < 0 ? "unknown" : v == 0 ? "none" : (v / 1000) + "." + (v % 1000) / 10;
  }

  /** 130100 -> "13.1.0"; 0 -> "none"; negative -> "unknown". */
  public static String cublas(int v) {
    return v < 0 ? "unknown" : v == 0 ? "none" : (v / 10000) + "." + (v % 10000) / 100 + "." + v % 100;
  }

  /**
   * 90100 -> "9.1.0" (cuDNN 9: {@code 10000*major + 100*minor + patch}); 8907 -> "8.9.7" (cuDNN 8 and
   * older: {@code 1000*major + 100*minor + patch}); 0 -> "none"; negative -> "unknown".
   */
  public static String cudnn(long v) {
    if (v < 0) return "unknown";
    if (v == 0) return "none";
    if (v < 10000) return (v / 1000) + "." + (v % 1000) / 100 + "." + v % 100;
    return (v / 10000) + "." + (v % 10000) / 100 + "." + v % 100;
  }
}
