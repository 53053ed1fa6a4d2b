package dev.jnn.dist;

import dev.jnn.data.Sampler;

/**
 * One process's share of every epoch, as PyTorch's {@code DistributedSampler}: the epoch's order
 * of the whole data set (the same permutation on every rank, since every rank's
 * {@link dev.jnn.data.DataLoader} shuffles with the same seed) is padded to a multiple of the world
 * size W by wrapping around to its start, and rank r takes the positions r, r + W, r + 2W, ...
 * (strided, not contiguous blocks).
 *
 * <p>Why strided: with a per-rank batch B, step s of rank r takes positions
 * {@code r + W*(s*B + j)}, j < B, so the W ranks together take exactly positions
 * {@code [s*W*B, (s+1)*W*B)}: the samples of step s of a single process with batch W*B on the same
 * order. Data-parallel training then computes the same global batches as one process (see
 * docs/DISTRIBUTED.md), and a run resumed with another world size but the same global batch sees
 * the same samples per step. Contiguous blocks would give each step a different set.
 *
 * <p>With padding (n not a multiple of W) the first {@code W*ceil(n/W) - n} samples of the epoch's
 * order are seen twice in that epoch; {@code dropLast} drops the tail instead (every rank gets
 * {@code floor(n/W)}), as PyTorch's {@code drop_last}.
 *
 * <pre>{@code
 * DistributedSampler s = new DistributedSampler(group.rank(), group.worldSize());
 * DataLoader mine = DataLoader.builder(train).batchSize(16).seed(7).sampler(s).build();
 * }</pre>
 */
public final class DistributedSampler implements Sampler {
  private final int rank, worldSize;
  private final boolean dropLast;

  /** Rank {@code rank}'s share among {@code worldSize} processes, padding by wrapping. */
  public DistributedSampler(int rank, int worldSize) { this(rank, worldSize, false); }

  /** With {@code dropLast}, the tail beyond a multiple of worldSize is dropped instead of padded. */
  public DistributedSampler(int rank, int worldSize, boolean dropLast) {
    if (worldSize < 1) throw new IllegalArgumentException("DistributedSampler: worldSize must be >= 1, got " + worldSize);
    if (rank < 0 || rank >= worldSize) throw new IllegalArgumentException("DistributedSampler: rank must be in [0, " + worldSize + "), got " + rank);
    this.rank = rank;
    this.worldSize = worldSize;
    this.dropLast = dropLast;
  }

  /** The sampler of a process group's rank. */
  public static DistributedSampler of(ProcessGroup group) { return new DistributedSampler(group.rank(), group.worldSize()); }

  public int rank() { return rank; }
  public int worldSize() { return worldSize; }
  public boolean dropLast() { return dropLast; }

  /** ceil(n / W) samples per rank (floor with dropLast). */
  @Override
  public int size(int n) {
    if (n < 0) throw new IllegalArgumentException("DistributedSampler: n must be >= 0, got " + n);
    if (dropLast) {
      if (n < worldSize)
        throw new IllegalArgumentException("DistributedSampler: dropLast with " + n + " samples and " + worldSize + " processes leaves every process none");
      return n / worldSize;
    }
    return (n + worldSize - 1) / worldSize;
  }

  /** out[i] = order[(rank + i*W) mod n]: position rank + i*W of the order wrapped around its end. */
  @Override
  public void select(int[] order, int[] out) {
    int n = order.length, k = size(n);
    if (out.length != k) throw new IllegalArgumentException("DistributedSampler: out has " + out.length + " slots, rank " + rank + " takes " + k + " of " + n);
    for (int i = 0, p = rank; i < k; i++, p += worldSize) out[i] = order[p < n ? p : p % n];
  }

  @Override
  public int replicas() { return worldSize; }

  /** This rank's indices for an epoch whose whole order is given (a new array; for tests and tools). */
  public int[] indices(int[] order) {
    int[] out = new int[size(order.length)];
    select(order, out);
    return out;
  }

  @Override
  public String toString() { return "DistributedSampler(rank " + rank + " of " + worldSize + (dropLast ? ", dropLast" : "") + ")"; }
}
