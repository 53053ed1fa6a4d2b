package dev.jnn.train;

import dev.jnn.data.Dataset;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Options of {@code fit} (Keras semantics): epochs, batch size, shuffling each epoch with a seeded
 * RNG, optional validation data (evaluated after every epoch with the same batch size) and
 * callbacks.
 *
 * <pre>{@code
 * FitOptions o = FitOptions.builder().epochs(100).batchSize(32).seed(7)
 *     .validation(test).callback(Callback.progress(System.out)).build();
 * }</pre>
 */
public record FitOptions(int epochs, int batchSize, boolean shuffle, long seed, Dataset validation, List<Callback> callbacks) {

  public FitOptions {
    if (epochs < 1) throw new IllegalArgumentException("fit: epochs must be >= 1, got " + epochs);
    if (batchSize < 1) throw new IllegalArgumentException("fit: batchSize must be >= 1, got " + batchSize);
    callbacks = List.copyOf(callbacks);
  }

  public static Builder builder() { return new Builder(); }

  public static final class Builder {
    private int epochs = 1, batchSize = 32;
    private boolean shuffle = true;
    private long seed;
    private Dataset validation;
    private final List<Callback> callbacks = new ArrayList<>();

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

    public FitOptions build() { return new FitOptions(epochs, batchSize, shuffle, seed, validation, callbacks); }
  }
}
