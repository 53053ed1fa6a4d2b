package dev.jnn.dist;

import dev.jnn.tensor.Device;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Creates the {@link ProcessGroup} of a job (PyTorch's {@code init_process_group}): Gloo for host
 * devices ({@code java}, {@code cpu}), NCCL for {@code cuda:N}. Every rank calls it with the same
 * world size; it opens the rendezvous store ({@link TcpStore}: rank 0 serves on
 * MASTER_ADDR:MASTER_PORT), waits until every rank has checked in, and connects the library.
 *
 * <pre>{@code
 * DistEnv env = DistEnv.fromEnvironment();                       // torchrun / mpirun / srun / none
 * try (ProcessGroup pg = ProcessGroups.init(env, Device.CPU)) {  // default options
 *   pg.allReduce(grad, ProcessGroup.ReduceOp.AVG);
 * }
 * ProcessGroups.init(env, Device.cuda(env.localRank()),
 *     ProcessGroups.Options.builder().timeout(Duration.ofMinutes(10)).build());
 * }</pre>
 *
 * <p>A world of one (a plain single-process run) takes a trivial path: no store, no socket, no
 * library; the collectives leave the tensor as it is (allReduce, broadcast) or copy it (allGather),
 * so code written for several ranks runs unchanged on one.
 */
public final class ProcessGroups {
  private ProcessGroups() {}

  /**
   * The timeouts of a group, stated in one place. Rendezvous: how long ranks wait for each other
   * at start (every rank connected to the store and checked in). Collective: how long one
   * collective may wait for the slowest rank before the group fails with a
   * {@link DistributedException}; PyTorch's default is 30 minutes, ours is shorter so a dead peer
   * shows quickly, and long enough for a rank that evaluates or writes a checkpoint while the
   * others wait. {@code JNN_DIST_TIMEOUT_S} (seconds) replaces both defaults; {@link Options}
   * replaces either.
   */
  public static final Duration DEFAULT_RENDEZVOUS_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_COLLECTIVE_TIMEOUT = Duration.ofMinutes(5);
  /** The environment variable that sets both timeouts, in seconds. */
  public static final String TIMEOUT_ENV = "JNN_DIST_TIMEOUT_S";
  /** PyTorch's variable naming the network interface Gloo binds to (e.g. eth0); also read here. */
  public static final String GLOO_IFNAME_ENV = "GLOO_SOCKET_IFNAME";

  /**
   * How a group connects.
   *
   * @param rendezvousTimeout how long to wait for every rank at start
   * @param timeout how long one collective waits for the others
   * @param networkInterface the interface Gloo binds to ("eth0"), or null: the address of this
   *     host that reaches rank 0's store (on one machine: the loopback address)
   */
  public record Options(Duration rendezvousTimeout, Duration timeout, String networkInterface) {
    public Options {
      positive(rendezvousTimeout, "rendezvous timeout");
      positive(timeout, "collective timeout");
      if (networkInterface != null && networkInterface.isBlank()) networkInterface = null;
    }

    /** The defaults, with {@code JNN_DIST_TIMEOUT_S} and {@code GLOO_SOCKET_IFNAME} of this process's environment applied. */
    public static Options defaults() { return defaults(System.getenv()); }

    /** The defaults with {@code env}'s {@code JNN_DIST_TIMEOUT_S} and {@code GLOO_SOCKET_IFNAME} applied. */
    public static Options defaults(Map<String, String> env) {
      Duration rdv = DEFAULT_RENDEZVOUS_TIMEOUT, coll = DEFAULT_COLLECTIVE_TIMEOUT;
      String t = env.get(TIMEOUT_ENV);
      if (t != null && !t.isBlank()) {
        double s;
        try {
          s = Double.parseDouble(t.trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(TIMEOUT_ENV + "='" + t + "' is not a number of seconds");
        }
        if (!(s > 0) || s > 7 * 24 * 3600) throw new IllegalArgumentException(TIMEOUT_ENV + "=" + t + " must be > 0 and at most a week, in seconds");
        rdv = coll = Duration.ofMillis(Math.max(1, Math.round(s * 1000)));
      }
      return new Options(rdv, coll, env.get(GLOO_IFNAME_ENV));
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() { return new Builder(defaults()); }

    /** A builder starting from these options. */
    public Builder toBuilder() { return new Builder(this); }

    private static void positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive, got " + d);
    }

    /** Builds {@link Options}. */
    public static final class Builder {
      private Duration rendezvousTimeout, timeout;
      private String networkInterface;

      private Builder(Options o) {
        rendezvousTimeout = o.rendezvousTimeout();
        timeout = o.timeout();
        networkInterface = o.networkInterface();
      }

      /** How long ranks wait for each other at start. */
      public Builder rendezvousTimeout(Duration d) { rendezvousTimeout = d; return this; }

      /** How long one collective waits for the others. */
      public Builder timeout(Duration d) { timeout = d; return this; }

      /** Both timeouts. */
      public Builder timeouts(Duration d) { rendezvousTimeout = d; timeout = d; return this; }

      /** The network interface Gloo binds to, or null for the one that reaches rank 0. */
      public Builder networkInterface(String name) { networkInterface = name; return this; }

      public Options build() { return new Options(rendezvousTimeout, timeout, networkInterface); }
    }
  }

  /** {@link #init(DistEnv, Device, Options)} with {@link DistEnv#fromEnvironment()} and {@link Options#defaults()}. */
  public static ProcessGroup init(Device device) {
    return init(DistEnv.fromEnvironment(), device, Options.defaults());
  }

  /** {@link #init(DistEnv, Device, Options)} with {@link Options#defaults()}. */
  public static ProcessGroup init(DistEnv env, Device device) {
    return init(env, device, Options.defaults());
  }

  /**
   * The group of {@code env}'s job for tensors on {@code device}: Gloo for java and cpu, NCCL for
   * cuda:N (each rank passes its own GPU, usually {@code cuda:<localRank>}). Blocks until every
   * rank has arrived and, after connecting, until every rank's connection is complete; opens a store of its own (rank 0 serves it on MASTER_PORT), closed with the
   * group.
   *
   * @throws DistributedException a rank did not arrive within the rendezvous timeout (named), the
   *     store's port is taken, the collective library did not load or connect (named, with the
   *     package or library that is missing)
   */
  public static ProcessGroup init(DistEnv env, Device device, Options options) {
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(options, "options");
    if (!env.isDistributed()) return new SingleProcessGroup(device);
    checkLibrary(device);
    TcpStore store = TcpStore.open(env, options.rendezvousTimeout());
    try {
      return connect(store, true, env, device, options);
    } catch (RuntimeException | Error e) {
      store.close();
      throw e;
    }
  }

  /**
   * A group over an existing store (several groups may share one: each takes its own key prefix,
   * from the order in which this rank creates them over its store client, the same on every rank).
   * The store stays open when the group closes.
   */
  public static ProcessGroup init(TcpStore store, DistEnv env, Device device, Options options) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(options, "options");
    if (!env.isDistributed()) return new SingleProcessGroup(device);
    checkLibrary(device);
    return connect(store, false, env, device, options);
  }

  private static ProcessGroup connect(TcpStore store, boolean ownsStore, DistEnv env, Device device, Options options) {
    String prefix = store.nextGroupPrefix();
    rendezvous(store, prefix, env, options.rendezvousTimeout());
    ProcessGroup pg = device.isHost() ? GlooProcessGroup.connect(store, ownsStore, prefix, env, options)
        : NcclProcessGroup.connect(store, ownsStore, prefix, env, device, options);
    // No rank returns before every rank's connection is complete: a rank's side of Gloo's full mesh
    // can be done while a peer is still finishing its own, and a rank that returned and closed its
    // group at once (rank 0 closing the store it serves) cut that peer off ("Connection closed by
    // peer" in InProcessCollectiveTest: 5 of 150 repetitions before, 0 of 150 after). PyTorch
    // ends init_process_group with a store barrier for the same reason.
    try {
      rendezvous(store, prefix + "connected/", env, options.rendezvousTimeout());
    } catch (RuntimeException | Error e) {
      pg.close();
      throw e;
    }
    return pg;
  }

  /** Fails before any socket opens when the device's library cannot load. */
  private static void checkLibrary(Device device) {
    CollectiveLibs.Status s = device.isHost() ? CollectiveLibs.gloo() : CollectiveLibs.nccl();
    if (!s.loaded()) throw new DistributedException("cannot create a process group for " + device + ": " + s.name() + " did not load: " + s.detail());
  }

  /**
   * Every rank checks in under {@code prefix + "rank/" + r} and waits for all the others, so a
   * missing rank is named here ("rendezvous timed out after 30 s: rank 2 of world 3 never connected
   * to 127.0.0.1:29500") rather than as a hang inside the library.
   */
  static void rendezvous(Store store, String prefix, DistEnv env, Duration timeout) {
    String host = store instanceof TcpStore t ? t.host() + ":" + t.port() : env.masterAddr() + ":" + env.masterPort();
    store.set(prefix + "rank/" + env.rank(), ("pid " + ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8));
    List<String> keys = new ArrayList<>();
    for (int r = 0; r < env.worldSize(); r++) keys.add(prefix + "rank/" + r);
    // waits in slices, remembering who is missing: when rank 0 gives up first and closes the store,
    // the others can still name the missing ranks rather than only "rank 0 is gone"
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> missing = keys;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) break;
      try {
        store.await(missing, Duration.ofNanos(Math.min(left, RENDEZVOUS_SLICE.toNanos())));
        return;
      } catch (Store.StoreTimeoutException e) {
        missing = e.missingKeys();
      } catch (DistributedException e) {
        if (env.rank() == 0 || missing.size() == keys.size()) throw e;
        throw new DistributedException("rendezvous timed out after " + TcpStore.seconds(timeout) + ": " + ranksOf(missing) + " of world "
            + env.worldSize() + " never connected to " + host + " (rank 0 gave up first and closed the store; this is rank " + env.rank() + ")", e);
      }
    }
    throw new DistributedException("rendezvous timed out after " + TcpStore.seconds(timeout) + ": " + ranksOf(missing) + " of world "
        + env.worldSize() + " never connected to " + host + " (this is rank " + env.rank() + ")");
  }

  /** How long one wait of the rendezvous lasts before it asks again who is missing. */
  private static final Duration RENDEZVOUS_SLICE = Duration.ofMillis(500);

  private static String ranksOf(List<String> rankKeys) {
    List<Integer> ranks = new ArrayList<>();
    for (String k : rankKeys) ranks.add(Integer.parseInt(k.substring(k.lastIndexOf('/') + 1)));
    return ranks(ranks);
  }

  /** "rank 2" or "ranks 1, 2". */
  static String ranks(List<Integer> ranks) {
    StringBuilder sb = new StringBuilder(ranks.size() == 1 ? "rank " : "ranks ");
    for (int i = 0; i < ranks.size(); i++) sb.append(i > 0 ? ", " : "").append(ranks.get(i));
    return sb.toString();
  }
}
