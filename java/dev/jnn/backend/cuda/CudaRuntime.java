package dev.jnn.backend.cuda;

import java.util.List;

/**
 * Whether CUDA can run here, found once: {@link #probe()} loads the cudart, cuBLAS and cuDNN
 * presets and libjnn_cuda, checks the driver/runtime/cuBLAS/cuDNN versions against
 * {@link CudaVersions} and counts devices. It never throws; when something is missing the probe's
 * {@code reason} names the real missing piece (the library file, the driver), not JavaCPP's
 * "no jniXXX in java.library.path".
 *
 * <pre>{@code
 * CudaRuntime.Probe p = CudaRuntime.probe();
 * if (!p.available()) System.out.println("no CUDA: " + p.reason());
 * else System.out.println(p.deviceCount() + " GPUs, driver " + p.driverVersion());
 * }</pre>
 */
public final class CudaRuntime {
  private CudaRuntime() {}

  /**
   * The result of the probe.
   *
   * @param available true when kernels can run on at least one device
   * @param reason why not (empty when available): every problem found, "; "-separated
   * @param deviceCount CUDA devices the driver reports (0 when the driver or runtime is missing); may be
   *     non-zero while {@code available} is false (e.g. a GPU but no cuDNN)
   * @param driverVersion e.g. "13.0", "none" (not found) or "unknown" (its library did not load)
   * @param runtimeVersion e.g. "13.1", "none" (not found) or "unknown" (its library did not load)
   * @param cublasVersion e.g. "13.1.0", "none" (not found) or "unknown" (its library did not load)
   * @param cudnnVersion e.g. "9.19.0", "none" (not found) or "unknown" (its library did not load)
   * @param details one line per problem ("problem: ..."), then one per step (what loaded, from where,
   *     what failed and why)
   */
  public record Probe(boolean available, String reason, int deviceCount, String driverVersion, String runtimeVersion,
                      String cublasVersion, String cudnnVersion, List<String> details) {
    public Probe {
      details = List.copyOf(details);
    }
  }

  private static volatile Probe cached;

  /** Probes once (later calls return the cached result). Never throws. */
  public static Probe probe() {
    Probe p = cached;
    if (p == null) {
      synchronized (CudaRuntime.class) {
        p = cached;
        if (p == null) {
          p = CudaProbe.run();
          cached = p;
        }
      }
    }
    return p;
  }

  /** {@code -Djnn.cuda.sync=true} or {@code JNN_CUDA_SYNC=1}: every kernel launch is followed by a stream synchronize and a status check. */
  public static boolean syncDebug() {
    return Boolean.getBoolean("jnn.cuda.sync") || "1".equals(System.getenv("JNN_CUDA_SYNC"))
        || "true".equalsIgnoreCase(System.getenv("JNN_CUDA_SYNC"));
  }

  /**
   * Deterministic cuDNN convolutions unless {@code -Djnn.cuda.deterministic=false}: the algorithms
   * that add with atomics (backward-data ALGO_0, backward-filter ALGO_0 and ALGO_3) give run-to-run
   * differences, so they are left out by default (docs/GPU.md, "Decisions"). jnn's own
   * embedding_backward still adds with atomics either way.
   */
  public static boolean deterministic() {
    return !"false".equalsIgnoreCase(System.getProperty("jnn.cuda.deterministic", "true"));
  }

  /** {@code -Djnn.cuda.tf32=true}: TF32 tensor-core math for GEMM and convolutions (off by default: exact float32). */
  public static boolean tf32() {
    return Boolean.getBoolean("jnn.cuda.tf32");
  }
}
