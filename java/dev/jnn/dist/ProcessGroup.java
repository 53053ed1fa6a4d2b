package dev.jnn.dist;

import dev.jnn.tensor.Tensor;

/**
 * The processes of one data-parallel job and the collectives they run on tensors, as PyTorch's
 * {@code torch.distributed} process group: every rank calls the same collectives in the same
 * order with tensors of the same shape. The collectives come from the libraries (Gloo for host
 * tensors, NCCL for CUDA tensors), never from jnn's own code; see docs/ARCHITECTURE.md.
 *
 * <p>Collectives work in place and block until the result is in the calling rank's tensor. A
 * rank that dies or stops answering makes the others fail with a {@link DistributedException}
 * naming the rank, within the group's timeout.
 */
public interface ProcessGroup extends AutoCloseable {

  /** Reduction of {@link #allReduce}. AVG is SUM divided by the world size. */
  enum ReduceOp { SUM, AVG }

  /** This process's rank, 0 .. worldSize-1. */
  int rank();

  /** The number of processes in the group. */
  int worldSize();

  /** The library that runs the collectives: "gloo" or "nccl". */
  String backend();

  /** Replaces t on every rank by the elementwise reduction of all ranks' t (same shape everywhere). */
  void allReduce(Tensor t, ReduceOp op);

  /** Copies rank root's t into every rank's t (same shape everywhere). */
  void broadcast(Tensor t, int root);

  /** out (size worldSize * in.size()) receives rank r's in at offset r * in.size(), on every rank. */
  void allGather(Tensor in, Tensor out);

  /** Returns when every rank has called it. */
  void barrier();

  /** Leaves the group and frees its native resources; idempotent. */
  @Override
  void close();
}
