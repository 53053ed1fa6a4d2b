package dev.jnn.backend.cpu;

import dev.jnn.backend.BackendProvider;
import dev.jnn.backend.Backends;

/** The {@link BackendProvider} of the native cpu backend: unavailable, with the load failure, when libjnn_cpu does not load. */
public final class CpuBackendProvider implements BackendProvider {
  @Override
  public String name() { return "cpu"; }

  @Override
  public Backends.Status probe(int deviceIndex) {
    try {
      return new Backends.Status("cpu", new CpuBackend(), null);
    } catch (LinkageError | RuntimeException e) {
      return new Backends.Status("cpu", null, Backends.reason(e));
    }
  }
}
