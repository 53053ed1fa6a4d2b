package dev.jnn.dist;

import dev.jnn.tensor.Tensor;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A test-only process group whose ranks are threads of this JVM: the fast unit tests of DDP's
 * logic (bucketing, overlap, metrics) use it; the real tests run processes over Gloo. Sums in
 * rank order in float, then divides by the world size for AVG, so every rank gets the same bits.
 */
final class DdpTestGroup implements ProcessGroup {
  private static final class World {
    final int size;
    final CyclicBarrier barrier;
    final float[][] slots;

    World(int size) {
      this.size = size;
      barrier = new CyclicBarrier(size);
      slots = new float[size][];
    }

    void await() {
      try {
        barrier.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
        throw new DistributedException("DdpTestGroup: a rank did not arrive: " + e, e);
      }
    }
  }

  private final World world;
  private final int rank;
  int collectives;

  private DdpTestGroup(World world, int rank) {
    this.world = world;
    this.rank = rank;
  }

  /** The ranks 0..size-1 of one world. */
  static DdpTestGroup[] world(int size) {
    World w = new World(size);
    DdpTestGroup[] g = new DdpTestGroup[size];
    for (int r = 0; r < size; r++) g[r] = new DdpTestGroup(w, r);
    return g;
  }

  @Override public int rank() { return rank; }
  @Override public int worldSize() { return world.size; }
  @Override public String backend() { return "test"; }

  @Override
  public void allReduce(Tensor t, ReduceOp op) {
    collectives++;
    world.slots[rank] = t.toArray();
    world.await();
    float[] sum = world.slots[0].clone();
    for (int r = 1; r < world.size; r++) {
      float[] s = world.slots[r];
      if (s.length != sum.length) throw new DistributedException("DdpTestGroup: rank " + r + " reduces " + s.length + " values, rank 0 " + sum.length);
      for (int i = 0; i < sum.length; i++) sum[i] += s[i];
    }
    if (op == ReduceOp.AVG) for (int i = 0; i < sum.length; i++) sum[i] /= world.size;
    world.await();
    t.copyFrom(sum, 0);
  }

  @Override
  public void broadcast(Tensor t, int root) {
    collectives++;
    if (rank == root) world.slots[root] = t.toArray();
    world.await();
    float[] v = world.slots[root];
    world.await();
    if (rank != root) t.copyFrom(v, 0);
  }

  @Override
  public void allGather(Tensor in, Tensor out) {
    collectives++;
    world.slots[rank] = in.toArray();
    world.await();
    float[] all = new float[out.size()];
    for (int r = 0; r < world.size; r++) System.arraycopy(world.slots[r], 0, all, r * in.size(), in.size());
    world.await();
    out.copyFrom(all, 0);
  }

  @Override public void barrier() { world.await(); }

  @Override public void close() {}
}
