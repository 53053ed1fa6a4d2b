package dev.jnn.dist;

/** A distributed job's failure: rendezvous timeout, a rank that died or hung, a library error. The message names the rank. */
public class DistributedException extends RuntimeException {
  public DistributedException(String message) { super(message); }
  public DistributedException(String message, Throwable cause) { super(message, cause); }
}
