package dev.jnn.backend.java;

import dev.jnn.backend.BackendProvider;
import dev.jnn.backend.Backends;

/** The {@link BackendProvider} of the pure-Java reference backend, which always loads. */
public final class JavaBackendProvider implements BackendProvider {
  @Override
  public String name() { return "java"; }

  @Override
  public Backends.Status probe(int deviceIndex) { return new Backends.Status("java", new JavaBackend(), null); }
}
