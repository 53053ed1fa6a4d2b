package dev.jnn.tensor;

import java.util.Locale;
import java.util.Objects;

/**
 * Where a tensor lives and which backend runs its kernels: {@code java} (pure-Java reference),
 * {@code cpu} (native C++/OpenBLAS) or {@code cuda:N}. Both host devices keep data in the same
 * kind of storage (a Java {@code float[]}), so moving between them never copies.
 *
 * <pre>{@code
 * Device d = Device.parse("cpu");      // Device.CPU
 * Device g = Device.parse("cuda:1");   // kind CUDA, index 1
 * }</pre>
 */
public record Device(Kind kind, int index) {

  public enum Kind { JAVA, CPU, CUDA }

  public static final Device JAVA = new Device(Kind.JAVA, 0);
  public static final Device CPU = new Device(Kind.CPU, 0);

  public Device {
    Objects.requireNonNull(kind, "kind");
    if (index < 0) throw new IllegalArgumentException("device index must be >= 0, got " + index);
    if (kind != Kind.CUDA && index != 0)
      throw new IllegalArgumentException(kind.name().toLowerCase(Locale.ROOT) + " has no device index");
  }

  public static Device cuda(int index) { return new Device(Kind.CUDA, index); }

  /** True for devices whose tensors are Java heap arrays (java, cpu). */
  public boolean isHost() { return kind != Kind.CUDA; }

  /** Parses "java", "cpu", "cuda" (= cuda:0) or "cuda:N". */
  public static Device parse(String s) {
    Objects.requireNonNull(s, "device name");
    String t = s.trim().toLowerCase(Locale.ROOT);
    switch (t) {
      case "java": return JAVA;
      case "cpu": return CPU;
      case "cuda": return cuda(0);
      default:
        if (t.startsWith("cuda:")) {
          try {
            return cuda(Integer.parseInt(t.substring(5)));
          } catch (NumberFormatException e) {
            // fall through to the error below
          }
        }
        throw new IllegalArgumentException("unknown device '" + s + "': expected java, cpu, cuda or cuda:N");
    }
  }

  @Override
  public String toString() {
    return kind == Kind.CUDA ? "cuda:" + index : kind.name().toLowerCase(Locale.ROOT);
  }
}
