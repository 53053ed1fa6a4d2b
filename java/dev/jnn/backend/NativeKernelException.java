package dev.jnn.backend;

/** A native kernel reported a failure; carries the kernel's name, the shapes and the native message. */
public final class NativeKernelException extends RuntimeException {
  private final String kernel;
  private final int code;

  public NativeKernelException(String kernel, String shapes, int code, String nativeMessage) {
    super(kernel + " failed (code " + code + ") on " + shapes + ": " + (nativeMessage == null || nativeMessage.isEmpty() ? "no message" : nativeMessage));
    this.kernel = kernel;
    this.code = code;
  }

  public String kernel() { return kernel; }
  public int code() { return code; }
}
