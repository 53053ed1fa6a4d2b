package dev.jnn.io;

/**
 * How far a model has been trained by {@code fit}, kept by the model and saved in its checkpoints so
 * a run can continue exactly where it stopped:
 * {@code FitOptions.builder().epochs(total).resume(model)} starts at epoch {@code epochsDone + 1}
 * with the same shuffling seed, batch size and shuffle flag.
 *
 * @param epochsDone epochs completed (0: never trained by fit)
 * @param seed shuffling seed of the fit (or data loader) that trained it
 * @param batchSize batch size of that fit (0: unknown)
 * @param shuffle whether that fit shuffled
 */
public record TrainingProgress(int epochsDone, long seed, int batchSize, boolean shuffle) {
  /** An untrained model. */
  public static final TrainingProgress NONE = new TrainingProgress(0, 0, 0, true);

  public TrainingProgress {
    if (epochsDone < 0) throw new IllegalArgumentException("TrainingProgress: epochsDone must be >= 0, got " + epochsDone);
    if (batchSize < 0) throw new IllegalArgumentException("TrainingProgress: batchSize must be >= 0, got " + batchSize);
  }
}
