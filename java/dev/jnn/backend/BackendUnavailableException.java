package dev.jnn.backend;

/** A backend was asked for by name but did not load; the message says exactly why. */
public final class BackendUnavailableException extends RuntimeException {
  public BackendUnavailableException(String backend, String reason) {
    super("backend " + backend + " is unavailable: " + reason);
  }
}
