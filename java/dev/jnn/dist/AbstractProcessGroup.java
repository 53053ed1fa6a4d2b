package dev.jnn.dist;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.Objects;

/**
 * The argument checks every {@link ProcessGroup} shares, so that bad input never reaches a
 * native library: tensors on the group's device, sizes that agree, a root in range, a group not
 * closed. Subclasses implement the collectives on checked arguments.
 */
abstract class AbstractProcessGroup implements ProcessGroup {
  protected final int rank, worldSize;
  protected final Device device;
  private volatile boolean closed;

  AbstractProcessGroup(int rank, int worldSize, Device device) {
    this.rank = rank;
    this.worldSize = worldSize;
    this.device = Objects.requireNonNull(device, "device");
  }

  @Override public final int rank() { return rank; }
  @Override public final int worldSize() { return worldSize; }

  /** The device whose tensors this group reduces. */
  public final Device device() { return device; }

  @Override
  public final void allReduce(Tensor t, ReduceOp op) {
    Objects.requireNonNull(op, "op");
    check(t, "allReduce", "t");
    if (t.size() > 0) allReduce_(t, op);
  }

  @Override
  public final void broadcast(Tensor t, int root) {
    check(t, "broadcast", "t");
    if (root < 0 || root >= worldSize)
      throw new IllegalArgumentException("broadcast: root " + root + " is out of range for world size " + worldSize);
    if (t.size() > 0) broadcast_(t, root);
  }

  @Override
  public final void allGather(Tensor in, Tensor out) {
    check(in, "allGather", "in");
    check(out, "allGather", "out");
    if ((long) in.size() * worldSize != out.size())
      throw new IllegalArgumentException("allGather: out has " + out.size() + " elements " + out.shapeString() + ", expected world size "
          + worldSize + " x in's " + in.size() + " " + in.shapeString() + " = " + (long) in.size() * worldSize);
    if (in.isHost() && in.data() == out.data() && in.offset() < out.offset() + out.size() && out.offset() < in.offset() + in.size()
        && in.offset() != out.offset() + rank * in.size())
      throw new IllegalArgumentException("allGather: in overlaps out other than as out's slot of rank " + rank);
    if (in.size() > 0) allGather_(in, out);
  }

  @Override
  public final void barrier() {
    checkOpen("barrier");
    barrier_();
  }

  @Override
  public final void close() {
    if (closed) return;
    synchronized (this) {
      if (closed) return;
      closed = true;
    }
    close_();
  }

  /** Whether {@link #close()} was called. */
  public final boolean isClosed() { return closed; }

  protected abstract void allReduce_(Tensor t, ReduceOp op);
  protected abstract void broadcast_(Tensor t, int root);
  protected abstract void allGather_(Tensor in, Tensor out);
  protected abstract void barrier_();
  protected abstract void close_();

  private void check(Tensor t, String op, String name) {
    Objects.requireNonNull(t, op + ": " + name);
    checkOpen(op);
    if (device.isHost() ? !t.isHost() : !t.device().equals(device))
      throw new IllegalArgumentException(op + ": " + name + " is on " + t.device() + " but this " + backend() + " group works on "
          + (device.isHost() ? "host tensors (java, cpu)" : device.toString()));
    if (t.isClosed()) throw new IllegalArgumentException(op + ": " + name + " " + t.shapeString() + " is closed");
  }

  private void checkOpen(String op) {
    if (closed) throw new IllegalStateException(op + ": the " + backend() + " process group (rank " + rank + " of " + worldSize + ") is closed");
  }

  @Override
  public String toString() {
    return backend() + " process group: rank " + rank + " of " + worldSize + " on " + device + (closed ? " (closed)" : "");
  }
}
