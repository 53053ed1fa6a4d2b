package dev.jnn.dist;

import static org.bytedeco.cuda.global.nccl.NCCL_UNIQUE_ID_BYTES;
import static org.bytedeco.cuda.global.nccl.ncclAllGather;
import static org.bytedeco.cuda.global.nccl.ncclAllReduce;
import static org.bytedeco.cuda.global.nccl.ncclAvg;
import static org.bytedeco.cuda.global.nccl.ncclBroadcast;
import static org.bytedeco.cuda.global.nccl.ncclCommAbort;
import static org.bytedeco.cuda.global.nccl.ncclCommDestroy;
import static org.bytedeco.cuda.global.nccl.ncclCommGetAsyncError;
import static org.bytedeco.cuda.global.nccl.ncclCommInitRank;
import static org.bytedeco.cuda.global.nccl.ncclFloat32;
import static org.bytedeco.cuda.global.nccl.ncclGetErrorString;
import static org.bytedeco.cuda.global.nccl.ncclGetLastError;
import static org.bytedeco.cuda.global.nccl.ncclGetUniqueId;
import static org.bytedeco.cuda.global.nccl.ncclSuccess;
import static org.bytedeco.cuda.global.nccl.ncclSum;

import dev.jnn.backend.cuda.CudaContext;
import dev.jnn.backend.cuda.CudaRuntime;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.DeviceMemory;
import dev.jnn.tensor.Tensor;
import java.time.Duration;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.Pointer;

/**
 * The {@link ProcessGroup} of CUDA tensors: NCCL through the org.bytedeco:cuda preset
 * ({@code org.bytedeco.cuda.global.nccl}; libnccl.so.2 itself comes from the machine, see
 * {@link CollectiveLibs#NCCL_HINT}). Rank 0 makes the communicator's unique id
 * ({@code ncclGetUniqueId}) and shares it through the store; every rank then joins with
 * {@code ncclCommInitRank} on its own GPU.
 *
 * <p>Collectives are queued on the device's stream ({@link CudaContext#stream()}), the one every
 * jnn kernel of that device runs on, so they are ordered after the kernels that produced the
 * gradients without any event. The call then waits for the stream, polling NCCL's asynchronous
 * error, up to the collective timeout: when that passes (a peer died or hangs) the communicator is
 * aborted ({@code ncclCommAbort}) and a {@link DistributedException} names the lost rank when the
 * store knows it (NCCL itself does not say which peer). The group is broken from then on.
 *
 * <p>A limit: {@code ncclCommInitRank} blocks until every rank has joined, so a rank that dies
 * between the store's rendezvous (which names missing ranks) and NCCL's init leaves the others
 * waiting in NCCL.
 *
 * <p>Not verified on a GPU in the session that wrote it (no GPU there): see the tests under
 * tests/dev/jnn/dist, which skip with the CUDA probe's reason.
 */
final class NcclProcessGroup extends AbstractProcessGroup {
  private final TcpStore store;
  private final boolean ownsStore;
  private final CudaContext ctx;
  private final ncclComm comm;
  private final Duration timeout;
  private final String where;
  private DeviceMemory barrierScratch;   // one float: a barrier is an allreduce of it, as in PyTorch
  private DistributedException failure;
  private boolean aborted;

  /** A device address as the preset's Pointer parameters want it; owns nothing. */
  private static final class Address extends Pointer {
    Address(long address) { this.address = address; }
  }

  private NcclProcessGroup(TcpStore store, boolean ownsStore, DistEnv env, Device device, CudaContext ctx, ncclComm comm, Duration timeout) {
    super(env.rank(), env.worldSize(), device);
    this.store = store;
    this.ownsStore = ownsStore;
    this.ctx = ctx;
    this.comm = comm;
    this.timeout = timeout;
    this.where = "rank " + env.rank() + " of " + env.worldSize() + " on " + device;
  }

  static NcclProcessGroup connect(TcpStore store, boolean ownsStore, String prefix, DistEnv env, Device device, ProcessGroups.Options options) {
    CollectiveLibs.Status s = CollectiveLibs.nccl();
    if (!s.loaded()) throw new DistributedException("NCCL did not load: " + s.detail());
    CudaRuntime.Probe p = CudaRuntime.probe();
    if (!p.available()) throw new DistributedException("NCCL needs CUDA, which is unavailable here: " + p.reason());
    CudaContext ctx;
    try {
      ctx = CudaContext.of(device.index());
    } catch (RuntimeException e) {
      throw new DistributedException("rank " + env.rank() + ": " + device + " is unusable: " + e.getMessage(), e);
    }
    ctx.makeCurrent();
    ncclUniqueId id = new ncclUniqueId();
    String key = prefix + "nccl/id";
    byte[] bytes = new byte[NCCL_UNIQUE_ID_BYTES];
    if (env.rank() == 0) {
      check(ncclGetUniqueId(id), "ncclGetUniqueId", null);
      id.internal().get(bytes);
      store.set(key, bytes);
    } else {
      byte[] got;
      try {
        got = store.get(key, options.rendezvousTimeout());
      } catch (Store.StoreTimeoutException e) {
        throw new DistributedException("rank " + env.rank() + ": rank 0 did not publish NCCL's unique id within "
            + TcpStore.seconds(options.rendezvousTimeout()) + GlooProcessGroup.lostRanks(store), e);
      }
      if (got.length != NCCL_UNIQUE_ID_BYTES)
        throw new DistributedException("rank 0 published an NCCL unique id of " + got.length + " bytes, expected " + NCCL_UNIQUE_ID_BYTES
            + ": run the same jnn and NCCL on every rank");
      id.internal().put(got);
    }
    ncclComm comm = new ncclComm();
    check(ncclCommInitRank(comm, env.worldSize(), id, env.rank()), "ncclCommInitRank (rank " + env.rank() + " of " + env.worldSize() + " on " + device + ")", null);
    return new NcclProcessGroup(store, ownsStore, env, device, ctx, comm, options.timeout());
  }

  @Override public String backend() { return "nccl"; }

  @Override
  protected synchronized void allReduce_(Tensor t, ReduceOp op) {
    checkHealthy("allReduce");
    ctx.makeCurrent();
    Address a = new Address(address(t));
    run("allReduce " + op + " of " + t.size() + " floats " + t.shapeString(),
        ncclAllReduce(a, a, t.size(), ncclFloat32, op == ReduceOp.AVG ? ncclAvg : ncclSum, comm, ctx.streamHandle()));
  }

  @Override
  protected synchronized void broadcast_(Tensor t, int root) {
    checkHealthy("broadcast");
    ctx.makeCurrent();
    Address a = new Address(address(t));
    run("broadcast from rank " + root + " of " + t.size() + " floats " + t.shapeString(),
        ncclBroadcast(a, a, t.size(), ncclFloat32, root, comm, ctx.streamHandle()));
  }

  @Override
  protected synchronized void allGather_(Tensor in, Tensor out) {
    checkHealthy("allGather");
    ctx.makeCurrent();
    run("allGather of " + in.size() + " floats per rank " + in.shapeString(),
        ncclAllGather(new Address(address(in)), new Address(address(out)), in.size(), ncclFloat32, comm, ctx.streamHandle()));
  }

  @Override
  protected synchronized void barrier_() {
    checkHealthy("barrier");
    ctx.makeCurrent();
    if (barrierScratch == null) barrierScratch = ctx.allocate(1);
    Address a = new Address(barrierScratch.address());
    run("barrier", ncclAllReduce(a, a, 1, ncclFloat32, ncclSum, comm, ctx.streamHandle()));
  }

  @Override
  protected synchronized void close_() {
    try {
      if (barrierScratch != null) barrierScratch.release();
      if (aborted) return;
      ctx.makeCurrent();
      int s = failure != null ? ncclCommAbort(comm) : ncclCommDestroy(comm);
      aborted = true;
      if (s != ncclSuccess) System.getLogger("dev.jnn").log(System.Logger.Level.WARNING, "closing the NCCL group of " + where + ": " + errorString(s));
    } finally {
      if (ownsStore) store.close();
    }
  }

  private static long address(Tensor t) {
    return t.memory().address() + 4L * t.offset();
  }

  /**
   * Checks the enqueue status, then waits for the stream up to the timeout, polling NCCL's
   * asynchronous error; aborts the communicator when either fails or the time passes.
   */
  private void run(String what, int enqueued) {
    if (enqueued != ncclSuccess) throw fail(what, "enqueue: " + errorString(enqueued) + lastError());
    long deadline = System.nanoTime() + timeout.toNanos();
    int[] async = new int[1];
    for (long spins = 0; ; spins++) {
      int q = cudart.cudaStreamQuery(ctx.streamHandle());
      if (q == cudart.cudaSuccess) return;
      if (q != cudart.cudaErrorNotReady) throw fail(what, "CUDA: " + cudart.cudaGetErrorName(q).getString() + ": " + cudart.cudaGetErrorString(q).getString());
      int s = ncclCommGetAsyncError(comm, async);
      if (s != ncclSuccess || (async[0] != ncclSuccess && async[0] != org.bytedeco.cuda.global.nccl.ncclInProgress))
        throw fail(what, "NCCL: " + errorString(s != ncclSuccess ? s : async[0]) + lastError());
      if (System.nanoTime() > deadline) throw fail(what, "timed out after " + TcpStore.seconds(timeout) + " waiting for the other ranks");
      if (spins < 1000) Thread.onSpinWait();
      else {
        try {
          Thread.sleep(0, 200_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw fail(what, "interrupted");
        }
      }
    }
  }

  private DistributedException fail(String what, String why) {
    if (!aborted) {
      ncclCommAbort(comm);
      aborted = true;
    }
    failure = new DistributedException(what + " failed on " + where + GlooProcessGroup.lostRanks(store) + " (" + why + ")");
    return failure;
  }

  private void checkHealthy(String op) {
    if (failure != null) throw new DistributedException(op + " on " + where + ": the group failed earlier and cannot be used: " + failure.getMessage(), failure);
  }

  private String lastError() {
    String s = ncclGetLastError(comm).getString();
    return s == null || s.isEmpty() ? "" : " (" + s + ")";
  }

  private static String errorString(int status) {
    return "status " + status + " " + ncclGetErrorString(status).getString();
  }

  private static void check(int status, String what, ncclComm comm) {
    if (status != ncclSuccess) {
      String last = comm == null ? "" : ncclGetLastError(comm).getString();
      throw new DistributedException(what + " failed: " + errorString(status) + (last == null || last.isEmpty() ? "" : " (" + last + ")"));
    }
  }
}
