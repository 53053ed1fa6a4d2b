package dev.jnn.train;

import java.io.PrintStream;
import java.util.Objects;

/**
 * Hooks into {@code fit}; called on the training thread between steps, never inside one. Only
 * {@link #onEpochEnd} is required, so a lambda works: {@code log -> System.out.println(log)}.
 */
@FunctionalInterface
public interface Callback {
  /** Before the first epoch. */
  default void onTrainBegin(int epochs, int stepsPerEpoch) {}

  /**
   * After each training step, with the batch loss. Called on the hot path: implementations must
   * be cheap and should not allocate (the default does nothing).
   */
  default void onBatchEnd(int epoch, int step, float loss) {}

  /**
   * After each training step, with the epoch's running figures: samples seen so far in this epoch,
   * their mean loss and accuracy (NaN for losses without accuracy). On the hot path, like
   * {@link #onBatchEnd}; drives progress bars.
   */
  default void onBatchProgress(int epoch, int step, int samples, double meanLoss, double accuracy) {}

  /** After each epoch (and its validation). */
  void onEpochEnd(EpochLog log);

  /** After the last epoch. */
  default void onTrainEnd(History history) {}

  /** Prints one line per epoch ({@link EpochLog#format()}) to out: the verbose mode of fit. */
  static Callback progress(PrintStream out) {
    Objects.requireNonNull(out, "out");
    return log -> out.println(log.format());
  }
}
