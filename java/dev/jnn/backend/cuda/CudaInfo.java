package dev.jnn.backend.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * The CUDA section of {@code jnn info}: the probe's versions, what is missing and why, warnings
 * (a cuDNN older than the preset's), and the pool statistics of every context created so far.
 * Creates no context.
 *
 * <pre>{@code
 * CudaInfo.lines().forEach(System.out::println);
 * // cuda:
 * //   driver none, runtime unknown, cuBLAS unknown, cuDNN unknown; 0 devices
 * //   problem: no CUDA driver (libcuda.so.1 not found; ...)
 * }</pre>
 */
public final class CudaInfo {
  private CudaInfo() {}

  /** The section's lines, indented for {@code jnn info}. */
  public static List<String> lines() {
    List<String> out = new ArrayList<>();
    CudaRuntime.Probe p = CudaRuntime.probe();
    long warnings = p.details().stream().filter(d -> d.startsWith(CudaProbe.WARNING)).count();
    out.add("cuda:     " + (p.available() ? "[ok]" : "[unavailable]") + " driver " + p.driverVersion() + ", runtime "
        + p.runtimeVersion() + ", cuBLAS " + p.cublasVersion() + ", cuDNN " + p.cudnnVersion() + "; " + p.deviceCount()
        + " device(s)" + (CudaRuntime.syncDebug() ? "; sync-debug on" : "") + (CudaRuntime.tf32() ? "; TF32 on" : "")
        + (CudaRuntime.deterministic() ? "" : "; non-deterministic convolutions allowed")
        + (warnings > 0 ? "; " + warnings + " warning(s)" : ""));
    for (String d : p.details()) out.add("  " + d);
    for (CudaContext c : CudaContext.existing())
      out.add("  pool cuda:" + c.device() + ": " + c.pool().stats() + "; named scratch " + CachingAllocator.human(c.namedScratchBytes()));
    return out;
  }
}
