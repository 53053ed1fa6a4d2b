package dev.jnn.dist;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where this process sits in a distributed job, read from the launcher's environment variables:
 * its rank among {@code worldSize} processes, its rank among the {@code localWorldSize} processes
 * of its machine (which GPU it takes), and the address of rank 0, where the rendezvous store
 * listens ({@link TcpStore}).
 *
 * <p>{@link #fromEnvironment()} reads, in this order, the first contract that is present:
 * <ol>
 *   <li>torchrun (and {@code jnn launch}): {@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK},
 *       {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR}, {@code MASTER_PORT}. Present when {@code RANK}
 *       or {@code WORLD_SIZE} is set; without {@code LOCAL_RANK}/{@code LOCAL_WORLD_SIZE} (a hand-made
 *       launch) the job is taken to be on one machine (local rank = rank);</li>
 *   <li>Open MPI's {@code mpirun}: {@code OMPI_COMM_WORLD_RANK}, {@code OMPI_COMM_WORLD_SIZE},
 *       {@code OMPI_COMM_WORLD_LOCAL_RANK}, {@code OMPI_COMM_WORLD_LOCAL_SIZE}; {@code MASTER_ADDR}
 *       and {@code MASTER_PORT} still come from the environment (mpirun -x MASTER_ADDR=...);</li>
 *   <li>Slurm's {@code srun}: {@code SLURM_PROCID}, {@code SLURM_NTASKS}, {@code SLURM_LOCALID},
 *       {@code SLURM_NTASKS_PER_NODE} or else this node's entry of {@code SLURM_TASKS_PER_NODE}
 *       ("4(x2),3", indexed by {@code SLURM_NODEID}); {@code MASTER_ADDR} from the environment or
 *       else the first host of {@code SLURM_JOB_NODELIST} ("gpu[03-06,9]" gives "gpu03"),
 *       {@code MASTER_PORT} from the environment. Read inside a job step (srun), not in the batch
 *       script itself, which Slurm also gives a SLURM_PROCID;</li>
 *   <li>none of these: one process, {@link #single()} (rank 0 of 1, no network needed).</li>
 * </ol>
 * A distributed job (world size above 1) needs {@code MASTER_ADDR} and {@code MASTER_PORT};
 * everything is validated here, so a bad launch fails before any socket opens, naming the
 * variable and its value.
 *
 * <pre>{@code
 * DistEnv env = DistEnv.fromEnvironment();     // torchrun: RANK=1 WORLD_SIZE=2 ... -> rank 1 of 2
 * if (env.isDistributed()) System.out.println(env);   // "rank 1 of 2 (local 1 of 2), rendezvous at 10.0.0.5:29500"
 * }</pre>
 *
 * @param rank this process's rank, 0 .. worldSize-1
 * @param worldSize the number of processes, >= 1
 * @param localRank this process's rank on its machine, 0 .. localWorldSize-1 (the GPU index it uses)
 * @param localWorldSize the number of processes on its machine, 1 .. worldSize
 * @param masterAddr host name or address of rank 0 (the store's host)
 * @param masterPort the store's TCP port on rank 0, 1 .. 65535
 */
public record DistEnv(int rank, int worldSize, int localRank, int localWorldSize, String masterAddr, int masterPort) {

  /** torchrun's default port (also the conventional MASTER_PORT), used by {@link #single()} and in messages. */
  public static final int DEFAULT_PORT = 29500;

  public DistEnv {
    Objects.requireNonNull(masterAddr, "masterAddr");
    if (worldSize < 1) throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
    if (rank < 0 || rank >= worldSize) throw new IllegalArgumentException("rank " + rank + " is out of range for world size " + worldSize + " (0.." + (worldSize - 1) + ")");
    if (localWorldSize < 1 || localWorldSize > worldSize)
      throw new IllegalArgumentException("local world size must be 1.." + worldSize + " (the world size), got " + localWorldSize);
    if (localRank < 0 || localRank >= localWorldSize)
      throw new IllegalArgumentException("local rank " + localRank + " is out of range for local world size " + localWorldSize + " (0.." + (localWorldSize - 1) + ")");
    if (masterAddr.isBlank()) throw new IllegalArgumentException("master address is empty");
    if (masterPort < 1 || masterPort > 65535) throw new IllegalArgumentException("master port must be 1..65535, got " + masterPort);
  }

  /** One process: rank 0 of 1, store address 127.0.0.1:29500 (never opened). */
  public static DistEnv single() {
    return new DistEnv(0, 1, 0, 1, "127.0.0.1", DEFAULT_PORT);
  }

  /** A world of {@code worldSize} processes on this machine (local rank = rank), store at 127.0.0.1:{@code port}: tests and {@code jnn launch}. */
  public static DistEnv local(int rank, int worldSize, int port) {
    return new DistEnv(rank, worldSize, rank, worldSize, "127.0.0.1", port);
  }

  /** More than one process. */
  public boolean isDistributed() { return worldSize > 1; }

  /** Whether this is rank 0 (the store's host; where a job logs and saves). */
  public boolean isMaster() { return rank == 0; }

  /** This process's environment: see the class comment. */
  public static DistEnv fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * The environment {@code env}: see the class comment.
   *
   * @throws IllegalArgumentException naming the variable and its value when a contract is present
   *     but incomplete or inconsistent (rank out of range, missing MASTER_ADDR, a port that is no
   *     number or outside 1..65535)
   */
  public static DistEnv fromEnvironment(Map<String, String> env) {
    Objects.requireNonNull(env, "env");
    if (present(env, "RANK") || present(env, "WORLD_SIZE")) return torchrun(env);
    if (present(env, "OMPI_COMM_WORLD_SIZE") || present(env, "OMPI_COMM_WORLD_RANK")) return openMpi(env);
    if (present(env, "SLURM_PROCID") && present(env, "SLURM_NTASKS")) return slurm(env);
    return single();
  }

  private static DistEnv torchrun(Map<String, String> env) {
    String from = "torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT)";
    int world = integer(env, "WORLD_SIZE", from);
    int rank = integer(env, "RANK", from);
    boolean hasLocal = present(env, "LOCAL_RANK") || present(env, "LOCAL_WORLD_SIZE");
    int localRank = hasLocal ? integer(env, "LOCAL_RANK", from) : rank;
    int localWorld = hasLocal ? integer(env, "LOCAL_WORLD_SIZE", from) : world;
    return build(env, from, "RANK", rank, "WORLD_SIZE", world, "LOCAL_RANK", localRank, "LOCAL_WORLD_SIZE", localWorld,
        env.get("MASTER_ADDR"), "MASTER_ADDR");
  }

  private static DistEnv openMpi(Map<String, String> env) {
    String from = "Open MPI's environment (OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE, OMPI_COMM_WORLD_LOCAL_RANK, OMPI_COMM_WORLD_LOCAL_SIZE; "
        + "MASTER_ADDR and MASTER_PORT passed with mpirun -x)";
    int world = integer(env, "OMPI_COMM_WORLD_SIZE", from);
    int rank = integer(env, "OMPI_COMM_WORLD_RANK", from);
    int localRank = present(env, "OMPI_COMM_WORLD_LOCAL_RANK") ? integer(env, "OMPI_COMM_WORLD_LOCAL_RANK", from) : rank;
    int localWorld = present(env, "OMPI_COMM_WORLD_LOCAL_SIZE") ? integer(env, "OMPI_COMM_WORLD_LOCAL_SIZE", from) : world;
    return build(env, from, "OMPI_COMM_WORLD_RANK", rank, "OMPI_COMM_WORLD_SIZE", world, "OMPI_COMM_WORLD_LOCAL_RANK", localRank,
        "OMPI_COMM_WORLD_LOCAL_SIZE", localWorld, env.get("MASTER_ADDR"), "MASTER_ADDR");
  }

  private static DistEnv slurm(Map<String, String> env) {
    String from = "Slurm's environment (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NTASKS_PER_NODE or SLURM_TASKS_PER_NODE, "
        + "SLURM_JOB_NODELIST; MASTER_PORT from the environment)";
    int world = integer(env, "SLURM_NTASKS", from);
    int rank = integer(env, "SLURM_PROCID", from);
    int localRank = present(env, "SLURM_LOCALID") ? integer(env, "SLURM_LOCALID", from) : rank;
    int localWorld;
    String localWorldVar;
    if (present(env, "SLURM_NTASKS_PER_NODE")) {
      localWorldVar = "SLURM_NTASKS_PER_NODE";
      localWorld = integer(env, localWorldVar, from);
    } else if (present(env, "SLURM_TASKS_PER_NODE")) {
      localWorldVar = "SLURM_TASKS_PER_NODE";
      int node = present(env, "SLURM_NODEID") ? integer(env, "SLURM_NODEID", from) : 0;
      localWorld = tasksOnNode(env.get(localWorldVar).trim(), node);
    } else {
      localWorldVar = "SLURM_NTASKS";
      localWorld = world;
    }
    String addr = env.get("MASTER_ADDR"), addrVar = "MASTER_ADDR";
    if ((addr == null || addr.isBlank()) && (present(env, "SLURM_JOB_NODELIST") || present(env, "SLURM_NODELIST"))) {
      addrVar = present(env, "SLURM_JOB_NODELIST") ? "SLURM_JOB_NODELIST" : "SLURM_NODELIST";
      addr = firstHost(env.get(addrVar).trim());
    }
    return build(env, from, "SLURM_PROCID", rank, "SLURM_NTASKS", world, "SLURM_LOCALID", localRank, localWorldVar, localWorld, addr, addrVar);
  }

  /** Checks one contract's values and names its variables in the error. */
  private static DistEnv build(Map<String, String> env, String from, String rankVar, int rank, String worldVar, int world,
                               String localRankVar, int localRank, String localWorldVar, int localWorld, String addr, String addrVar) {
    if (world < 1) throw bad(from, worldVar + "=" + world + " must be >= 1");
    if (rank < 0 || rank >= world) throw bad(from, rankVar + "=" + rank + " is out of range for " + worldVar + "=" + world + " (0.." + (world - 1) + ")");
    if (localWorld < 1 || localWorld > world)
      throw bad(from, localWorldVar + "=" + localWorld + " must be 1.." + world + " (" + worldVar + ")");
    if (localRank < 0 || localRank >= localWorld)
      throw bad(from, localRankVar + "=" + localRank + " is out of range for " + localWorldVar + "=" + localWorld + " (0.." + (localWorld - 1) + ")");
    if (world == 1 && (addr == null || addr.isBlank()) && !present(env, "MASTER_PORT"))
      return single();  // a launcher's world of one needs no store
    if (addr == null || addr.isBlank())
      throw bad(from, "MASTER_ADDR is not set: rank 0's host name or address, where the rendezvous store listens (e.g. MASTER_ADDR=127.0.0.1 on one machine)");
    int port;
    if (!present(env, "MASTER_PORT")) {
      if (world > 1) throw bad(from, "MASTER_PORT is not set: a free TCP port on " + addr + " for the rendezvous store (torchrun's default is " + DEFAULT_PORT + ")");
      port = DEFAULT_PORT;
    } else {
      String p = env.get("MASTER_PORT").trim();
      try {
        port = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw bad(from, "MASTER_PORT='" + p + "' is not a port number (1..65535)");
      }
      if (port < 1 || port > 65535) throw bad(from, "MASTER_PORT=" + port + " is outside 1..65535");
    }
    return new DistEnv(rank, world, localRank, localWorld, addr.trim(), port);
  }

  /** The number of tasks on node {@code node} from Slurm's compressed list: "4(x2),3" is 4, 4, 3. */
  static int tasksOnNode(String tasksPerNode, int node) {
    String what = "SLURM_TASKS_PER_NODE='" + tasksPerNode + "'";
    if (node < 0) throw new IllegalArgumentException("SLURM_NODEID=" + node + " must be >= 0");
    int seen = 0;
    for (String part : tasksPerNode.split(",")) {
      String p = part.trim();
      int count, repeat = 1;
      try {
        int paren = p.indexOf('(');
        if (paren >= 0) {
          if (!p.endsWith(")") || !p.startsWith("x", paren + 1)) throw new NumberFormatException(p);
          repeat = Integer.parseInt(p.substring(paren + 2, p.length() - 1));
          p = p.substring(0, paren);
        }
        count = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(what + " is not a list like \"4(x2),3\"");
      }
      if (node < seen + repeat) return count;
      seen += repeat;
    }
    throw new IllegalArgumentException(what + " lists " + seen + " node(s); SLURM_NODEID=" + node + " is not among them");
  }

  /** The first host of a Slurm node list: "gpu[03-06,9],cpu1" gives "gpu03", "a,b" gives "a". */
  static String firstHost(String nodeList) {
    if (nodeList.isEmpty()) return "";
    int bracket = nodeList.indexOf('['), comma = nodeList.indexOf(',');
    if (bracket < 0 || (comma >= 0 && comma < bracket)) return (comma < 0 ? nodeList : nodeList.substring(0, comma)).trim();
    int close = nodeList.indexOf(']', bracket);
    if (close < 0) throw new IllegalArgumentException("SLURM_JOB_NODELIST='" + nodeList + "' has an unclosed '['");
    String first = nodeList.substring(bracket + 1, close).split("[,-]")[0].trim();
    // a suffix after the bracket ("n[1-2]-ib") belongs to every host
    String rest = nodeList.substring(close + 1);
    int restComma = rest.indexOf(',');
    String suffix = restComma < 0 ? rest : rest.substring(0, restComma);
    if (suffix.contains("[")) throw new IllegalArgumentException("SLURM_JOB_NODELIST='" + nodeList + "' is too complex to take a host from: set MASTER_ADDR");
    return nodeList.substring(0, bracket) + first + suffix;
  }

  private static boolean present(Map<String, String> env, String name) {
    String v = env.get(name);
    return v != null && !v.isBlank();
  }

  private static int integer(Map<String, String> env, String name, String from) {
    String v = env.get(name);
    if (v == null || v.isBlank()) throw bad(from, name + " is not set");
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw bad(from, name + "='" + v + "' is not an integer");
    }
  }

  private static IllegalArgumentException bad(String from, String what) {
    return new IllegalArgumentException("bad distributed environment: " + what + " (read from " + from + ")");
  }

  /** The variables of the three contracts that are set in {@code env}, for messages ("RANK=1 WORLD_SIZE=2 ..."). */
  public static String describeVariables(Map<String, String> env) {
    List<String> out = new ArrayList<>();
    for (String k : new String[] {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
        "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE",
        "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE", "SLURM_TASKS_PER_NODE", "SLURM_NODEID", "SLURM_JOB_NODELIST"})
      if (env.containsKey(k)) out.add(k + "=" + env.get(k));
    return out.isEmpty() ? "none set" : String.join(" ", out);
  }

  @Override
  public String toString() {
    return "rank " + rank + " of " + worldSize + " (local " + localRank + " of " + localWorldSize + ")"
        + (isDistributed() ? ", rendezvous at " + masterAddr + ":" + masterPort : ", single process");
  }
}
