package dev.jnn.train;

import dev.jnn.data.Sampler;

/**
 * What data-parallel training adds to a model's {@code fit} and {@code trainOnBatch}, set with
 * {@link Model#dataParallel(DataParallel)}. Implemented by {@code dev.jnn.dist.DistributedDataParallel}
 * (this package does not know the process groups: docs/ARCHITECTURE.md, "Packages"); users do not
 * implement it.
 *
 * <p>With one set, {@code fit}'s batch size is the <em>global</em> batch: each of the
 * {@link #worldSize()} processes trains on {@code batchSize / worldSize} samples per step, the
 * share of the epoch's order that {@link #sampler()} selects, and the epoch's loss and accuracy
 * are those of all processes' samples. A training step calls {@link #beforeBackward()} before and
 * {@link #afterBackward()} after the network's backward, then the optimizer step.
 */
public interface DataParallel {
  /** This process's rank, 0 .. worldSize-1; rank 0 writes checkpoints ({@link Model#checkpointEvery}). */
  int rank();

  /** Number of processes that train the model together. */
  int worldSize();

  /** The sampler that gives this process its share of each epoch (its {@code replicas()} is the world size). */
  Sampler sampler();

  /** Before the network's backward (after the loss's): a step's gradients start to arrive. */
  void beforeBackward();

  /** After the network's backward, before the optimizer step: the gradients become the average over all processes. */
  void afterBackward();

  /** Replaces each value by its sum over all processes (an epoch's loss sum, sample and prediction counts), in place. */
  void allReduceSums(double[] sums);
}
