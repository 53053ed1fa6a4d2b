package dev.jnn.data;

/**
 * Which of an epoch's samples a {@link DataLoader} visits, and in what order, given the order the
 * loader computed for the whole data set: the hook through which data-parallel training
 * ({@code dev.jnn.dist.DistributedSampler}) gives each process its share of every epoch.
 *
 * <p>The loader still shuffles (seed, epoch replay on resume: see {@link DataLoader}), so every
 * process that builds its loader with the same seed derives its share from the same permutation;
 * there is no {@code set_epoch} to forget.
 *
 * <pre>{@code
 * DataLoader shard = DataLoader.builder(train).batchSize(16).seed(7).sampler(sampler).build();
 * }</pre>
 */
public interface Sampler {
  /** Samples per epoch this loader visits, for a data set of n samples (n >= 1). */
  int size(int n);

  /**
   * Writes this loader's samples of an epoch into {@code out} (length {@code size(order.length)}),
   * in visiting order, from {@code order}: the epoch's order of the whole data set (a permutation
   * of 0..n-1, not to be modified). Called once per epoch; must not allocate per call.
   */
  void select(int[] order, int[] out);

  /**
   * How many loaders share each epoch's order between them (the data-parallel world size): their
   * batches of step s together form one global batch of {@code replicas() * batchSize} samples.
   * 1 (the default) for a sampler that only reorders or subsets.
   */
  default int replicas() { return 1; }
}
