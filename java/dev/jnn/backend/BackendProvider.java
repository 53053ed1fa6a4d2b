package dev.jnn.backend;

/**
 * One backend implementation (java, cpu or cuda) as {@link Backends} finds it: through
 * {@link java.util.ServiceLoader}, listed in {@code META-INF/services/dev.jnn.backend.BackendProvider},
 * so that this package does not depend on its implementation packages (docs/ARCHITECTURE.md).
 * Backends looks providers up by {@link #name()} in its own order of preference and probes each
 * device once.
 *
 * <pre>{@code
 * public final class CpuBackendProvider implements BackendProvider {
 *   public String name() { return "cpu"; }
 *   public Backends.Status probe(int deviceIndex) { ... new Backends.Status("cpu", new CpuBackend(), null) ... }
 * }
 * }</pre>
 */
public interface BackendProvider {
  /** The backend's name in {@link Backends}: "java", "cpu" or "cuda". */
  String name();

  /**
   * Loads the backend of device {@code deviceIndex} (0 for the host backends). Never throws: a
   * backend that cannot load here gives an unavailable status whose error says why, e.g.
   * {@link Backends#reason(Throwable)} of the load failure.
   */
  Backends.Status probe(int deviceIndex);
}
