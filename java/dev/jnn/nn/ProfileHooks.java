package dev.jnn.nn;

import dev.jnn.backend.Backend;
import dev.jnn.tensor.Tensor;

/**
 * The hooks through which {@link dev.jnn.profile.Profiler} (and NVTX ranges) observe training:
 * {@link Sequential} reports each layer's forward and backward, the trainer each step and loss
 * call, the optimizer its step and each parameter update. Not meant for direct use: start a
 * {@link dev.jnn.profile.Profiler} instead.
 *
 * <pre>{@code
 * try (Profiler p = Profiler.start(model)) {   // installs a listener here, swaps the layers' backends
 *   model.fit(train, 1, 64);
 * }                                            // uninstalls it, restores the backends
 * }</pre>
 *
 * <p>Cost when off: the instrumented call sites read one static volatile field and test it for
 * null; nothing else runs. When {@code -Djnn.nvtx=true} is set, a listener that only pushes and
 * pops NVTX ranges is installed at startup (when the NVTX library loads; harmless otherwise).
 */
public final class ProfileHooks {
  private ProfileHooks() {}

  /** What a range covers. */
  public enum Range {
    /** One training step (forward, loss, backward, optimizer step): subject is the model. */
    STEP,
    /** A layer's forward; subject is the layer. */
    FORWARD,
    /** A layer's backward; subject is the layer. */
    BACKWARD,
    /** A loss forward; subject is the {@link dev.jnn.loss.Loss}. */
    LOSS_FORWARD,
    /** A loss backward; subject is the {@link dev.jnn.loss.Loss}. */
    LOSS_BACKWARD,
    /** An optimizer step (clipping and every update); subject is the {@link dev.jnn.optim.Optimizer}. */
    OPTIMIZER_STEP,
    /** One fused update kernel of one parameter; subject is the {@link Parameter}, owner the optimizer. */
    UPDATE
  }

  /** Receives begin/end pairs, properly nested per thread; called on the thread that runs the work. */
  public interface Listener {
    /** A range opens; {@code owner} is the optimizer for {@link Range#UPDATE}, else null. */
    void begin(Range range, Object subject, Object owner);

    /** The innermost open range of this thread closes (also when its work threw). */
    void end(Range range, Object subject, Object owner);
  }

  /**
   * Supplies the listener installed at startup with {@code -Djnn.nvtx=true}: implemented outside
   * this package (NVTX ranges, in dev.jnn.profile) and found through {@link java.util.ServiceLoader}
   * in {@code META-INF/services/dev.jnn.nn.ProfileHooks$ListenerProvider}.
   */
  public interface ListenerProvider {
    /** The listener, or null when it cannot run here (e.g. no NVTX library). */
    Listener listenerIfAvailable();
  }

  private static volatile Listener listener = initialListener();

  private static Listener initialListener() {
    if (!Boolean.getBoolean("jnn.nvtx")) return null;
    for (ListenerProvider p : java.util.ServiceLoader.load(ListenerProvider.class, ListenerProvider.class.getClassLoader())) {
      Listener l = p.listenerIfAvailable();
      if (l != null) return l;
    }
    return null;
  }

  /** The installed listener, or null (the common case: instrumented sites then do nothing else). */
  public static Listener listener() { return listener; }

  /** Installs l (null: none) and returns the previous listener, so a caller can restore it. */
  public static Listener install(Listener l) {
    Listener old = listener;
    listener = l;
    return old;
  }

  /** The backend a layer's kernels run on now (its field, which a profiler may have replaced). */
  public static Backend backendOf(Layer layer) { return layer.backend; }

  /**
   * Replaces the backend of one layer (not its sublayers) and returns the previous one; the
   * profiler uses it to put a {@link dev.jnn.backend.ProfilingBackend} in front of the real one.
   */
  public static Backend swapBackend(Layer layer, Backend b) {
    if (b == null) throw new NullPointerException("swapBackend: backend is null");
    if (!b.device().equals(layer.device()))
      throw new IllegalArgumentException("swapBackend: " + layer.name() + " is on " + layer.device() + " but the backend is for " + b.device());
    Backend old = layer.backend;
    layer.backend = b;
    return old;
  }

  /** Runs layer.forward inside a {@link Range#FORWARD} range of l. */
  static Tensor forward(Listener l, Layer layer, Tensor x, boolean training) {
    l.begin(Range.FORWARD, layer, null);
    try {
      return layer.forward(x, training);
    } finally {
      l.end(Range.FORWARD, layer, null);
    }
  }

  /** Runs layer.backward inside a {@link Range#BACKWARD} range of l. */
  static Tensor backward(Listener l, Layer layer, Tensor dy) {
    l.begin(Range.BACKWARD, layer, null);
    try {
      return layer.backward(dy);
    } finally {
      l.end(Range.BACKWARD, layer, null);
    }
  }
}
