package dev.jnn.backend.cuda;

import dev.jnn.backend.BackendProvider;
import dev.jnn.backend.Backends;

/**
 * The {@link BackendProvider} of the CUDA backend: device cuda:N is available when
 * {@link CudaRuntime#probe()} finds CUDA usable, the device exists and its {@link CudaContext}
 * initializes; otherwise its status carries the probe's reason or the device count.
 */
public final class CudaBackendProvider implements BackendProvider {
  @Override
  public String name() { return "cuda"; }

  @Override
  public Backends.Status probe(int deviceIndex) {
    CudaRuntime.Probe p;
    try {
      p = CudaRuntime.probe();
    } catch (LinkageError | RuntimeException e) {   // the probe never throws by contract; a broken install must not break java/cpu
      return new Backends.Status("cuda", null, Backends.reason(e));
    }
    if (!p.available()) return new Backends.Status("cuda", null, p.reason());
    if (deviceIndex >= p.deviceCount())
      return new Backends.Status("cuda", null, "no device cuda:" + deviceIndex + ": " + p.deviceCount() + " CUDA device(s) visible (cuda:0 .. cuda:"
          + (p.deviceCount() - 1) + ")");
    try {
      return new Backends.Status("cuda", new CudaBackend(CudaContext.of(deviceIndex)), null);
    } catch (LinkageError | RuntimeException e) {
      return new Backends.Status("cuda", null, "cuda:" + deviceIndex + " failed to initialize: " + Backends.reason(e));
    }
  }
}
