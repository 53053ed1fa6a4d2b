package dev.jnn.profile;

import dev.jnn.nn.Layer;
import dev.jnn.nn.Parameter;
import dev.jnn.nn.ProfileHooks;

/**
 * NVTX ranges for Nsight Systems and Nsight Compute, through {@link JnnNvtx}: one range per
 * layer forward and backward ({@code "Conv2d#1.forward"}, {@code "Conv2d#1.backward"}), per loss
 * call ({@code "SoftmaxCrossEntropyLoss.forward"}), per optimizer step ({@code "Adam.step"}), per
 * parameter update ({@code "Conv2d#1.weight.update"}) and per training step ({@code "step"}).
 *
 * <p>They are emitted while a {@link Profiler} runs (unless its builder says {@code nvtx(false)}),
 * or for the whole run with {@code -Djnn.nvtx=true}, and only when libjnn_nvtx loads and was built
 * with the NVTX3 headers. Anywhere else (no library, no GPU) every call here is a no-op.
 *
 * <pre>{@code
 * // java -Djnn.nvtx=true ...   or:
 * if (NvtxRanges.available()) System.out.println("NVTX ranges will show in nsys");
 * }</pre>
 */
public final class NvtxRanges {
  private NvtxRanges() {}

  private static volatile String unavailableReason;   // declared before AVAILABLE: probe() sets it during class initialization
  private static final boolean AVAILABLE = probe();

  private static boolean probe() {
    try {
      JnnNvtx.load();
      if (JnnNvtx.jnn_nvtx_available() == 1) return true;
      unavailableReason = "libjnn_nvtx was built without the NVTX3 headers";
    } catch (LinkageError | RuntimeException e) {
      unavailableReason = "libjnn_nvtx did not load: " + e;
    }
    return false;
  }

  /** Whether NVTX ranges can be emitted (library loaded, built with NVTX3). */
  public static boolean available() { return AVAILABLE; }

  /** Why {@link #available()} is false (null when it is true). */
  public static String unavailableReason() { return AVAILABLE ? null : unavailableReason; }

  /** Opens a range on this thread (no-op when unavailable). */
  public static void push(String name) {
    if (AVAILABLE) JnnNvtx.jnn_nvtx_push(name);
  }

  /** Closes this thread's innermost range (no-op when unavailable). */
  public static void pop() {
    if (AVAILABLE) JnnNvtx.jnn_nvtx_pop();
  }

  /** An instantaneous marker (no-op when unavailable). */
  public static void mark(String name) {
    if (AVAILABLE) JnnNvtx.jnn_nvtx_mark(name);
  }

  /** The range name of a hook range, e.g. {@code "Conv2d#1.forward"}, {@code "Adam.step"}, {@code "step"}. */
  static String rangeName(ProfileHooks.Range r, Object subject, LayerNames names, String paramLayer) {
    switch (r) {
      case STEP: return "step";
      case FORWARD: return names.of((Layer) subject) + ".forward";
      case BACKWARD: return names.of((Layer) subject) + ".backward";
      case LOSS_FORWARD: return subject.getClass().getSimpleName() + ".forward";
      case LOSS_BACKWARD: return subject.getClass().getSimpleName() + ".backward";
      case OPTIMIZER_STEP: return subject.getClass().getSimpleName() + ".step";
      case UPDATE: return (paramLayer == null ? "?" : paramLayer) + "." + ((Parameter) subject).name() + ".update";
      default: throw new AssertionError(r);
    }
  }

  /**
   * The listener behind {@code -Djnn.nvtx=true}: NVTX ranges only, no recording; null when NVTX is
   * unavailable (then the hooks stay off). {@link ProfileHooks} finds it through {@link Provider}.
   */
  public static ProfileHooks.Listener listenerIfAvailable() {
    if (!available()) return null;
    LayerNames names = new LayerNames();
    return new ProfileHooks.Listener() {   // parameter updates get no range here: their layer is known only to a Profiler
      @Override public void begin(ProfileHooks.Range r, Object subject, Object owner) {
        if (r != ProfileHooks.Range.UPDATE) push(rangeName(r, subject, names, null));
      }

      @Override public void end(ProfileHooks.Range r, Object subject, Object owner) {
        if (r != ProfileHooks.Range.UPDATE) pop();
      }
    };
  }

  /** Registers {@link #listenerIfAvailable()} with {@link ProfileHooks} (META-INF/services/dev.jnn.nn.ProfileHooks$ListenerProvider). */
  public static final class Provider implements ProfileHooks.ListenerProvider {
    @Override
    public ProfileHooks.Listener listenerIfAvailable() { return NvtxRanges.listenerIfAvailable(); }
  }
}
