package dev.jnn.backend.cuda;

/**
 * The kernels queued on a context's stream since it was last synchronized without error (the last
 * {@link #CAPACITY} names), and which CUDA errors are sticky. Kernels run asynchronously, so a
 * fault inside one surfaces at a later call (the next launch check, copy or synchronize); this log
 * lets that error name its suspects instead of blaming the call that found it. Pure bookkeeping,
 * no CUDA calls: tested without a GPU.
 *
 * <pre>{@code
 * log.launched("relu_forward"); log.launched("conv2d_forward");
 * log.suspects();   // "2 kernels queued since the last synchronize, oldest first: relu_forward, conv2d_forward"
 * log.synchronizedOk();
 * }</pre>
 */
final class LaunchLog {
  /** How many kernel names are kept. */
  static final int CAPACITY = 16;

  private final String[] ring = new String[CAPACITY];
  private long count;

  /** Records a kernel queued on the stream. */
  synchronized void launched(String kernel) {
    ring[(int) (count % CAPACITY)] = kernel;
    count++;
  }

  /** The stream drained without error: nothing queued is suspect any more. */
  synchronized void synchronizedOk() {
    count = 0;
  }

  /** Kernels recorded since the last {@link #synchronizedOk()}. */
  synchronized long count() { return count; }

  /** "N kernels queued since the last synchronize, oldest first: a, b, c" (the last CAPACITY when more); "no kernel ..." when none. */
  synchronized String suspects() {
    if (count == 0) return "no kernel queued since the last synchronize";
    StringBuilder sb = new StringBuilder();
    sb.append(count).append(count == 1 ? " kernel" : " kernels").append(" queued since the last synchronize");
    long first = Math.max(0, count - CAPACITY);
    sb.append(first > 0 ? ", the last " + CAPACITY + " oldest first: " : ", oldest first: ");
    for (long i = first; i < count; i++) {
      if (i > first) sb.append(", ");
      sb.append(ring[(int) (i % CAPACITY)]);
    }
    return sb.toString();
  }

  /**
   * Whether a cudaError_t leaves the CUDA context unusable ("any further CUDA work will return the
   * same error; the process must be terminated and relaunched", CUDA's driver_types.h): an
   * uncorrectable ECC error (214), an illegal address (700), a launch timeout (702), a device-side
   * assert (710), a hardware stack error (714), an illegal instruction (715), a misaligned address
   * (716), an invalid address space (717), an invalid program counter (718), a launch failure (719).
   */
  static boolean sticky(int cudaStatus) {
    return switch (cudaStatus) {
      case 214, 700, 702, 710, 714, 715, 716, 717, 718, 719 -> true;
      default -> false;
    };
  }
}
