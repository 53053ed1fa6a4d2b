package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * Inverted dropout: in training each element is kept with probability 1 - p and scaled by
 * 1/(1 - p); at inference (training = false) it is the identity and returns its input.
 *
 * <p>Masks come from the stateless counter-based {@link dev.jnn.backend.DropoutRng}: element i of
 * a call uses (seed, counter + i), and the counter advances by the input size after each training
 * forward, so every backend draws the same masks for the same seed. The seed is drawn from the
 * model's initialization RNG ({@link Sequential#init}), or set with {@link #seed(long)}, which
 * also rewinds the counter (the same seed then replays the same masks: used by gradient checks).
 */
public final class Dropout extends Layer {
  private final float p;
  private final String name;
  private long seed;
  private long counter;
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Buffers last;
  private Tensor lastIdentity;  // the input of an identity forward (eval mode or p = 0)

  private static final class Buffers implements AutoCloseable {
    final Tensor y, mask, dx;
    Buffers(Dropout l, Tensor x) {
      int[] s = x.shape();
      y = Tensor.zeros(l.device(), s);
      mask = Tensor.zeros(l.device(), s);
      dx = Tensor.zeros(l.device(), s);
    }
    @Override public void close() { Tensor.closeAll(y, mask, dx); }
  }

  public Dropout(float p) {
    if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
    this.p = p;
    this.name = "Dropout(" + p + ")";
  }

  /** {@code new Dropout(0.1)}: the rate as a double (stored as a float). */
  public Dropout(double p) { this((float) p); }

  public float p() { return p; }
  public long seed() { return seed; }
  /** Elements drawn so far with the current seed. */
  public long counter() { return counter; }

  /** Sets the mask seed and rewinds the counter to 0. */
  public Dropout seed(long seed) {
    this.seed = seed;
    this.counter = 0;
    return this;
  }

  /**
   * Sets the seed and the counter (restoring a checkpoint: the next training forward draws the
   * masks an uninterrupted run would have drawn).
   */
  public Dropout seed(long seed, long counter) {
    if (counter < 0) throw new IllegalArgumentException(name + ": counter must be >= 0, got " + counter);
    this.seed = seed;
    this.counter = counter;
    return this;
  }

  @Override public String name() { return name; }

  @Override
  public void initialize(SplittableRandom rng) { seed(rng.nextLong()); }

  /** The mask seed and counter: a checkpoint keeps them, so a resumed run draws the masks an uninterrupted one would. */
  @Override
  public LayerConfig extraState() { return new LayerConfig().put("seed", seed).put("counter", counter); }

  @Override
  public void setExtraState(LayerConfig state) { seed(state.getLong("seed"), state.getLong("counter")); }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    checkInput(x);
    if (!training || p == 0f) {
      lastIdentity = x;
      last = null;
      return x;
    }
    Buffers b = cache.get(x);
    if (b == null) b = cache.put(x, new Buffers(this, x));
    backend.dropoutForward(x, b.y, b.mask, p, seed, counter);
    counter += x.size();
    last = b;
    lastIdentity = null;
    return b.y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (lastIdentity != null) {
      checkGradOutput(dy, lastIdentity);
      return dy;
    }
    checkGradOutput(dy, last == null ? null : last.y);
    if (!inputGradRequired()) return null;
    backend.dropoutBackward(dy, last.mask, last.dx);
    return last.dx;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    last = null;
    lastIdentity = null;
  }
}
