package dev.jnn.cli;

import dev.jnn.dist.DistEnv;
import dev.jnn.dist.DistributedDataParallel;
import dev.jnn.dist.ProcessGroup;
import dev.jnn.dist.ProcessGroups;
import dev.jnn.tensor.Device;
import dev.jnn.train.Callback;
import dev.jnn.train.EpochLog;
import dev.jnn.train.Model;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a {@code jnn train} command takes part in a distributed job, with no option of its own: it
 * reads the launcher's environment ({@link DistEnv#fromEnvironment()}: {@code jnn launch},
 * torchrun, mpirun, srun). Outside a job (no such variables) everything here is a no-op and the
 * command trains as before.
 *
 * <p>In a job of W processes: a process group is created on the command's device (Gloo for java
 * and cpu; NCCL for cuda, where every rank takes {@code cuda:LOCAL_RANK}); {@link #wrap} makes a
 * model's fit data-parallel ({@link DistributedDataParallel}: the fit batch size is the global
 * batch, each rank trains on batch / W); rank 0 alone prints (the other ranks' stdout is
 * discarded until {@link #close()}, their stderr kept so errors show) and writes checkpoints.
 *
 * <pre>{@code
 * try (DistributedRun dist = DistributedRun.join(device.resolve())) {
 *   Model m = dist.wrap(CnnExample.fashionMnistCnn(seed).to(dist.device()).compile(...));
 *   m.fit(train, FitOptions.builder()...callback(dist.progress(train.size(), System.out)).build());
 * }
 * }</pre>
 */
final class DistributedRun implements AutoCloseable {
  private final DistEnv env;
  private final Device device;
  private final ProcessGroup group;
  private final PrintStream savedOut;
  private final List<DistributedDataParallel> wrapped = new ArrayList<>();

  private DistributedRun(DistEnv env, Device device, ProcessGroup group, PrintStream savedOut) {
    this.env = env;
    this.device = device;
    this.group = group;
    this.savedOut = savedOut;
  }

  /**
   * Joins the job this process's environment describes (a collective: waits for every rank), or
   * returns the single-process no-op. A malformed environment is a user error naming the variable.
   */
  static DistributedRun join(Device requested) {
    DistEnv env;
    try {
      env = DistEnv.fromEnvironment();
    } catch (IllegalArgumentException e) {
      throw new Cli.UserError(e.getMessage(), e);
    }
    if (!env.isDistributed()) return new DistributedRun(env, requested, null, null);
    Device d = requested.isHost() ? requested : Device.cuda(env.localRank());
    ProcessGroup g = ProcessGroups.init(env, d);
    PrintStream saved = null;
    if (env.rank() != 0) {
      saved = System.out;
      System.setOut(new PrintStream(OutputStream.nullOutputStream(), true));
    }
    System.out.printf(Locale.ROOT, "distributed: %d processes (%s), rank 0 prints; batch sizes are global (each rank trains on batch / %d)%n",
        env.worldSize(), g.backend(), env.worldSize());
    return new DistributedRun(env, d, g, saved);
  }

  boolean isDistributed() { return group != null; }

  /** Whether this process prints and saves: rank 0, or the only process. */
  boolean isLeader() { return env.rank() == 0; }

  int worldSize() { return env.worldSize(); }

  /** The device this rank trains on: the requested one, or cuda:LOCAL_RANK for a cuda request. */
  Device device() { return device; }

  /** The compiled model made data-parallel over the job (unchanged outside a job); returns it. */
  Model wrap(Model m) {
    if (group != null) wrapped.add(DistributedDataParallel.wrap(m, group));
    return m;
  }

  /**
   * The command's progress display: the live bar outside a job; in a job, on rank 0, one line
   * per epoch (a live bar's carriage returns do not survive the launcher's line forwarding),
   * and nothing on the other ranks.
   */
  Callback progress(int samplesPerEpoch, PrintStream out) {
    if (group == null) return new ProgressBarCallback(samplesPerEpoch, out);
    if (!isLeader()) return log -> {};
    return (EpochLog log) -> out.printf(Locale.ROOT, "epoch %d/%d: train loss %.4f acc %.4f | test loss %.4f acc %.4f | %.1f s, %.0f samples/s over %d processes%n",
        log.epoch(), log.epochs(), log.loss(), log.accuracy(), log.valLoss(), log.valAccuracy(), log.seconds(), samplesPerEpoch / log.seconds(), env.worldSize());
  }

  /** c on rank 0 (or outside a job); nothing on the other ranks: for callbacks that only print. */
  Callback onLeader(Callback c) { return isLeader() ? c : log -> {}; }

  /** Detaches the models, leaves the group, gives this rank its stdout back. */
  @Override
  public void close() {
    for (int i = wrapped.size() - 1; i >= 0; i--) wrapped.get(i).close();
    wrapped.clear();
    if (group != null) group.close();
    if (savedOut != null) System.setOut(savedOut);
  }
}
