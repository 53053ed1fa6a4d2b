package dev.jnn.dist;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;

/**
 * The group of a world of one ({@link ProcessGroups#init} when the job is a single process): no
 * store, no socket, no library. allReduce (SUM and AVG alike) and broadcast leave the tensor as it
 * is; allGather copies in to out; barrier returns. {@link #backend()} still names the library a
 * larger world on this device would use, so code that branches on it behaves the same.
 */
final class SingleProcessGroup extends AbstractProcessGroup {
  SingleProcessGroup(Device device) {
    super(0, 1, device);
  }

  @Override public String backend() { return device.isHost() ? "gloo" : "nccl"; }

  @Override protected void allReduce_(Tensor t, ReduceOp op) {}
  @Override protected void broadcast_(Tensor t, int root) {}
  @Override protected void allGather_(Tensor in, Tensor out) {
    if (in.isHost() && in.data() == out.data() && in.offset() == out.offset()) return;
    out.copyFrom(in);
  }
  @Override protected void barrier_() {}
  @Override protected void close_() {}

  @Override
  public String toString() { return super.toString() + " (a world of one: no library involved)"; }
}
