package dev.jnn.train;

import dev.jnn.data.Dataset;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Options of {@code fit} (Keras semantics): epochs, batch size, shuffling each epoch with a seeded
 * RNG, optional validation data (evaluated after every epoch with the same batch size) and
 * callbacks; {@code initialEpoch} (Keras' initial_epoch) to continue a run, and {@code prefetch}
 * (batches prepared by a background thread, see {@link dev.jnn.data.DataLoader}).
 *
 * <p>{@code epochs} is the index of the last epoch, as in Keras: {@code epochs(10).initialEpoch(4)}
 * trains epochs 5 to 10, with the shuffling order those epochs have in an uninterrupted run.
 *
 * <pre>{@code
 * Model m = Model.load(path);                                     // model, optimizer state and progress
 * m.fit(train, FitOptions.builder().epochs(10).resume(m).build());  // continues bit for bit
 * }</pre>
 *
 * <pre>{@code
 * FitOptions o = FitOptions.builder().epochs(100).batchSize(32).seed(7)
 *     .validation(test).callback(Callback.progress(System.out)).build();
 * }</pre>
 */
public record FitOptions(int epochs, int batchSize, boolean shuffle, long seed, Dataset validation, List<Callback> callbacks, int initialEpoch,
                         int prefetch) {

  public FitOptions {
    if (epochs < 1) throw new IllegalArgumentException("fit: epochs must be >= 1, got " + epochs);
    if (batchSize < 1) throw new IllegalArgumentException("fit: batchSize must be >= 1, got " + batchSize);
    callbacks = List.copyOf(callbacks);
    if (initialEpoch < 0 || initialEpoch >= epochs)
      throw new IllegalArgumentException("fit: initialEpoch must be in [0, epochs) = [0, " + epochs + "), got " + initialEpoch
          + " (epochs is the index of the last epoch, Keras-style)");
    if (prefetch < 0) throw new IllegalArgumentException("fit: prefetch must be >= 0, got " + prefetch);
  }

  /** The options of the Keras-era constructor (initialEpoch 0, no prefetch). */
  public FitOptions(int epochs, int batchSize, boolean shuffle, long seed, Dataset validation, List<Callback> callbacks) {
    this(epochs, batchSize, shuffle, seed, validation, callbacks, 0, 0);
  }

  public static Builder builder() { return new Builder(); }

  public static final class Builder {
    private int epochs = 1, batchSize = 32;
    private boolean shuffle = true;
    private long seed;
    private Dataset validation;
    private final List<Callback> callbacks = new ArrayList<>();
    private int initialEpoch, prefetch;

    public Builder epochs(int e) { epochs = e; return this; }
    public Builder batchSize(int b) { batchSize = b; return this; }
    /** Shuffle the training rows at the start of every epoch (default true). */
    public Builder shuffle(boolean s) { shuffle = s; return this; }
    /** Seed of the shuffling RNG (default 0). */
    public Builder seed(long s) { seed = s; return this; }
    /** Data evaluated after every epoch (null: none). */
    public Builder validation(Dataset v) { validation = v; return this; }
    public Builder callback(Callback c) { callbacks.add(Objects.requireNonNull(c, "callback")); return this; }
    /** Print one line per epoch to out (null: silent). */
    public Builder verbose(PrintStream out) { if (out != null) callbacks.add(Callback.progress(out)); return this; }

    /** Epochs already done: training starts at epoch initialEpoch + 1 (default 0). */
    public Builder initialEpoch(int e) { initialEpoch = e; return this; }
    /** Batches prepared ahead by a background thread (default 0: on the training thread). */
    public Builder prefetch(int k) { prefetch = k; return this; }

    /**
     * Continues the training recorded in {@code model.trainingProgress()} (restored by
     * {@code Checkpoint.load}): initial epoch, shuffling seed, batch size and shuffle flag.
     */
    public Builder resume(Model model) {
      dev.jnn.io.TrainingProgress p = model.trainingProgress();
      initialEpoch = p.epochsDone();
      seed = p.seed();
      shuffle = p.shuffle();
      if (p.batchSize() > 0) batchSize = p.batchSize();
      return this;
    }

    public FitOptions build() { return new FitOptions(epochs, batchSize, shuffle, seed, validation, callbacks, initialEpoch, prefetch); }
  }
}
