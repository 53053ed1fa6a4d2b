package dev.jnn.dist;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The {@link ProcessGroup} of host tensors ({@code java} and {@code cpu} devices): Gloo's
 * collectives over its TCP transport, through libjnn_dist ({@link JnnDist}, native/dist).
 *
 * <p>A host tensor is a view of a Java {@code float[]}; Gloo needs native memory that stays put
 * while it blocks on the network. Each collective therefore copies the tensor into the group's
 * native scratch buffer, runs, and copies the result back: two memcpys against a network transfer
 * of the same bytes at least once. The buffer grows to the largest size seen and is then reused,
 * so a steady training step allocates nothing.
 *
 * <p>Collectives of one group run one at a time (they are synchronized). When one fails (a peer
 * died, or the collective timeout passed), the group is broken, as Gloo's context is: the
 * exception names the rank that is gone when the store knows it (its connection to the store
 * closed without a goodbye), and every later call fails with the same cause.
 */
final class GlooProcessGroup extends AbstractProcessGroup {
  private final TcpStore store;
  private final boolean ownsStore;
  private final long handle;
  private final String where;
  private FloatPointer scratch;       // native copy of the tensor being reduced; grown, never shrunk
  private long scratchCapacity;       // floats
  private DistributedException failure;

  private GlooProcessGroup(TcpStore store, boolean ownsStore, long handle, DistEnv env) {
    super(env.rank(), env.worldSize(), Device.CPU);
    this.store = store;
    this.ownsStore = ownsStore;
    this.handle = handle;
    this.where = "rank " + env.rank() + " of " + env.worldSize();
  }

  /** Connects Gloo's full mesh for {@code env} (every rank has checked in at {@code store} under {@code prefix}). */
  static GlooProcessGroup connect(TcpStore store, boolean ownsStore, String prefix, DistEnv env, ProcessGroups.Options options) {
    CollectiveLibs.Status s = CollectiveLibs.gloo();
    if (!s.loaded()) throw new DistributedException("Gloo did not load: " + s.detail());
    String iface = options.networkInterface();
    // Gloo binds to the address of this host that reached rank 0's store, unless told an interface
    String hostname = iface == null ? store.localAddress().getHostAddress() : "";
    long h = JnnDist.jnn_gloo_create(env.rank(), env.worldSize(), store.host(), store.port(), prefix, hostname,
        iface == null ? "" : iface, options.rendezvousTimeout().toMillis());
    if (h == 0) {
      String msg = JnnDist.jnn_dist_last_error();
      throw new DistributedException("Gloo could not connect rank " + env.rank() + " of " + env.worldSize() + " (bound to "
          + (iface != null ? "interface " + iface : hostname) + ", store " + store.host() + ":" + store.port() + ")"
          + lostRanks(store) + ": " + msg);
    }
    if (JnnDist.jnn_gloo_set_timeout(h, options.timeout().toMillis()) != 0) {
      String msg = JnnDist.jnn_dist_last_error();
      JnnDist.jnn_gloo_destroy(h);
      throw new DistributedException("Gloo: " + msg);
    }
    return new GlooProcessGroup(store, ownsStore, h, env);
  }

  @Override public String backend() { return "gloo"; }

  @Override
  protected synchronized void allReduce_(Tensor t, ReduceOp op) {
    checkHealthy("allReduce");
    int n = t.size();
    long p = scratch(n);
    scratch.put(t.data(), t.offset(), n);
    int status = JnnDist.jnn_gloo_allreduce_f32(handle, p, n, op == ReduceOp.AVG ? JnnDist.JNN_DIST_AVG : JnnDist.JNN_DIST_SUM);
    if (status != 0) throw failed("allReduce " + op + " of " + n + " floats " + t.shapeString());
    scratch.get(t.data(), t.offset(), n);
  }

  @Override
  protected synchronized void broadcast_(Tensor t, int root) {
    checkHealthy("broadcast");
    int n = t.size();
    long p = scratch(n);
    if (rank == root) scratch.put(t.data(), t.offset(), n);
    if (JnnDist.jnn_gloo_broadcast_f32(handle, p, n, root) != 0) throw failed("broadcast from rank " + root + " of " + n + " floats " + t.shapeString());
    if (rank != root) scratch.get(t.data(), t.offset(), n);
  }

  @Override
  protected synchronized void allGather_(Tensor in, Tensor out) {
    checkHealthy("allGather");
    int n = in.size();
    long total = (long) n * worldSize;
    long p = scratch(total);
    // in goes to its own slot of the scratch, so Gloo gathers in place
    scratch.position((long) rank * n).put(in.data(), in.offset(), n);
    scratch.position(0);
    if (JnnDist.jnn_gloo_allgather_f32(handle, p + 4L * rank * n, p, n) != 0) throw failed("allGather of " + n + " floats per rank " + in.shapeString());
    scratch.get(out.data(), out.offset(), (int) total);
  }

  @Override
  protected synchronized void barrier_() {
    checkHealthy("barrier");
    if (JnnDist.jnn_gloo_barrier(handle) != 0) throw failed("barrier");
  }

  @Override
  protected synchronized void close_() {
    try {
      JnnDist.jnn_gloo_destroy(handle);
      if (scratch != null) scratch.close();
      scratch = null;
      scratchCapacity = 0;
    } finally {
      if (ownsStore) store.close();
    }
  }

  /** The scratch buffer's address, grown to at least {@code floats}. */
  private long scratch(long floats) {
    if (floats > scratchCapacity) {
      if (scratch != null) scratch.close();
      scratch = new FloatPointer(floats);
      scratchCapacity = floats;
    }
    return scratch.address();
  }

  private void checkHealthy(String op) {
    if (failure != null) throw new DistributedException(op + " on " + where + ": the group failed earlier and cannot be used: " + failure.getMessage(), failure);
  }

  /** The group is broken: names the lost rank(s) when the store knows them, remembers the failure. */
  private DistributedException failed(String what) {
    String gloo = JnnDist.jnn_dist_last_error();
    failure = new DistributedException(what + " failed on " + where + lostRanks(store) + " (gloo: " + gloo + ")");
    return failure;
  }

  /**
   * ": rank 2 is gone (its process ended: ...)" when the store knows a rank that lost its
   * connection; ": rank 0 is gone ..." when the store itself (rank 0) no longer answers; else a
   * hint that a rank is slow or stuck. Asks a few times over half a second: the store may learn
   * of a death a moment after a peer's socket did.
   */
  static String lostRanks(TcpStore store) {
    try {
      for (int attempt = 0; attempt < 5; attempt++) {
        List<Integer> lost = store.lostRanks();
        if (!lost.isEmpty())
          return ": " + ProcessGroups.ranks(lost) + (lost.size() == 1 ? " is" : " are")
              + " gone (the process ended without leaving the group: killed, crashed or exited)";
        Thread.sleep(100);
      }
      return ": no rank has left the store; a rank is slow or stuck, or the ranks called different collectives"
          + " (every rank must call the same collectives in the same order)";
    } catch (DistributedException e) {
      return ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
