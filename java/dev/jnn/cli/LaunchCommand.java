package dev.jnn.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jnn launch}: a local launcher like {@code torchrun}. Starts {@code --nproc} child JVMs
 * running {@code jnn COMMAND...} (the same java, classpath and JVM options as this one), each with
 * torchrun's environment ({@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK},
 * {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR}, {@code MASTER_PORT}), which the train commands
 * read to train data-parallel (docs/DISTRIBUTED.md).
 *
 * <pre>
 * ./jnn launch --nproc 2 train dense                        # one machine, a free port
 * ./jnn launch --nproc 4 --nnodes 2 --node-rank 0 --master-addr node0 --master-port 29500 train fashion-mnist
 * </pre>
 *
 * <p>Output: every line a child writes is forwarded with a {@code [rank N]} prefix, stdout to
 * stdout and stderr to stderr. Failure: when a child exits with a non-zero status, the others are
 * asked to stop (SIGTERM), killed after {@code --grace-period} seconds, and the launcher exits with
 * the failed rank's status (128 + signal for a killed child, as a shell reports it). A shutdown hook
 * does the same when the launcher itself is stopped (Ctrl-C), so no child outlives it.
 *
 * <p>Threads: unless {@code OMP_NUM_THREADS} / {@code OPENBLAS_NUM_THREADS} are set, each child
 * gets {@code max(1, cores / nproc)} kernel threads, so the ranks of one machine do not
 * oversubscribe its cores (torchrun sets OMP_NUM_THREADS=1).
 */
@Command(name = "launch", description = "Start N processes of a jnn command as one data-parallel job (like torchrun): "
    + "jnn launch --nproc 2 train dense [train options...]")
final class LaunchCommand implements Callable<Integer> {
  @Option(names = "--nproc", defaultValue = "1", description = "processes on this machine (default: ${DEFAULT-VALUE})")
  int nproc;

  @Option(names = "--nnodes", defaultValue = "1", description = "machines in the job (default: ${DEFAULT-VALUE})")
  int nnodes;

  @Option(names = "--node-rank", defaultValue = "0", description = "this machine's index, 0 .. nnodes-1 (default: ${DEFAULT-VALUE})")
  int nodeRank;

  @Option(names = "--master-addr", defaultValue = "127.0.0.1", description = "host of rank 0, where the rendezvous store listens (default: ${DEFAULT-VALUE})")
  String masterAddr;

  @Option(names = "--master-port", description = "port of the rendezvous store (default: a free port with one machine, 29500 with several)")
  Integer masterPort;

  @Option(names = "--grace-period", defaultValue = "5", description = "seconds the other processes get to stop after one failed, before they are killed "
      + "(default: ${DEFAULT-VALUE})")
  double grace;

  @Option(names = "--main", paramLabel = "CLASS", description = "run this class's main(COMMAND...) instead of jnn's: your own training program "
      + "on the class path (JNN_JAVA_OPTS / -cp of this JVM)")
  String mainClass;

  @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "the jnn command each process runs, e.g. train dense --epochs 20 "
      + "(with --main: the program's arguments)")
  List<String> command;

  /** Makes everything after the first positional argument the child's command (its options included). */
  static void configure(CommandLine jnn) {
    jnn.getSubcommands().get("launch").setStopAtPositional(true);
  }

  /** One child process and the threads that forward its output. */
  private record Child(int rank, Process process, Thread out, Thread err) {}

  private final List<Child> children = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    Cli.atLeast("--nproc", nproc, 1);
    Cli.atLeast("--nnodes", nnodes, 1);
    Cli.require(nodeRank >= 0 && nodeRank < nnodes, "--node-rank must be in [0, " + nnodes + "), got " + nodeRank);
    Cli.require(grace >= 0 && Double.isFinite(grace), "--grace-period must be a number of seconds >= 0, got " + grace);
    Cli.require(!masterAddr.isBlank(), "--master-addr is empty");
    Cli.require(mainClass != null || !command.get(0).equals("launch"), "jnn launch cannot launch itself");
    if (mainClass != null) Cli.require(mainClass.matches("[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*"), "--main: '" + mainClass + "' is not a class name");
    if (masterPort != null) Cli.require(masterPort >= 1 && masterPort <= 65535, "--master-port must be in 1..65535, got " + masterPort);
    int port = masterPort != null ? masterPort : nnodes == 1 ? freePort() : 29500;
    int world = nproc * nnodes;

    List<String> base = javaCommand(mainClass == null ? Jnn.class.getName() : mainClass);
    int cores = Runtime.getRuntime().availableProcessors();
    String threads = Integer.toString(Math.max(1, cores / nproc));
    Map<String, String> env = System.getenv();
    boolean setThreads = !env.containsKey("OMP_NUM_THREADS") && !env.containsKey("OPENBLAS_NUM_THREADS");
    PrintStream out = System.out, err = System.err;
    err.printf(Locale.ROOT, "jnn launch: %d process(es) on this machine (node %d of %d, world size %d), rendezvous at %s:%d%s: %s%n", nproc, nodeRank, nnodes,
        world, masterAddr, port, setThreads ? ", " + threads + " kernel thread(s) each" : "", (mainClass == null ? "jnn " : mainClass + " ") + String.join(" ", command));

    Thread hook = new Thread(() -> stopAll("the launcher is stopping"), "jnn-launch-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      for (int local = 0; local < nproc; local++) {
        int rank = nodeRank * nproc + local;
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> e = pb.environment();
        e.put("RANK", Integer.toString(rank));
        e.put("WORLD_SIZE", Integer.toString(world));
        e.put("LOCAL_RANK", Integer.toString(local));
        e.put("LOCAL_WORLD_SIZE", Integer.toString(nproc));
        e.put("MASTER_ADDR", masterAddr);
        e.put("MASTER_PORT", Integer.toString(port));
        if (setThreads) {
          e.put("OMP_NUM_THREADS", threads);
          e.put("OPENBLAS_NUM_THREADS", threads);
        }
        Process p = pb.start();
        Child c = new Child(rank, p, forward(p.getInputStream(), out, rank, "out"), forward(p.getErrorStream(), err, rank, "err"));
        synchronized (children) {
          children.add(c);
        }
      }
      return supervise(err);
    } finally {
      stopAll(null);
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or ran
      }
    }
  }

  /** Waits for the children; at the first failure stops the others and returns its status; 0 when all succeed. */
  private int supervise(PrintStream err) throws InterruptedException {
    List<Child> running = new ArrayList<>(children);
    while (!running.isEmpty()) {
      for (int i = 0; i < running.size(); i++) {
        Child c = running.get(i);
        if (!c.process().waitFor(50, TimeUnit.MILLISECONDS)) continue;
        drain(c);
        int status = c.process().exitValue();
        running.remove(i--);
        if (status != 0) {
          err.printf(Locale.ROOT, "jnn launch: rank %d exited with status %d; stopping the other %d process(es)%n", c.rank(), status, running.size());
          stopAll("rank " + c.rank() + " failed");
          for (Child o : running) drain(o);
          return status;
        }
      }
    }
    err.println("jnn launch: all " + children.size() + " process(es) finished");
    return 0;
  }

  /**
   * Asks every child still running (and its descendants) to stop, waits up to the grace period,
   * then kills what is left, and waits for it to be gone. Idempotent; also the shutdown hook.
   */
  private void stopAll(String why) {
    List<Child> cs;
    synchronized (children) {
      cs = new ArrayList<>(children);
    }
    if (cs.stream().noneMatch(c -> c.process().isAlive())) return;
    for (Child c : cs) {
      c.process().descendants().forEach(ProcessHandle::destroy);
      c.process().destroy();
    }
    long deadline = System.nanoTime() + (long) (grace * 1e9);
    for (Child c : cs) {
      try {
        long left = deadline - System.nanoTime();
        if (left > 0) c.process().waitFor(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (Child c : cs) {
      if (!c.process().isAlive()) continue;
      c.process().descendants().forEach(ProcessHandle::destroyForcibly);
      c.process().destroyForcibly();
      System.err.printf(Locale.ROOT, "jnn launch: rank %d did not stop within %.0f s%s; killed%n", c.rank(), grace, why == null ? "" : " (" + why + ")");
    }
    for (Child c : cs) {
      try {
        c.process().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Waits briefly for a finished child's last output lines. */
  private static void drain(Child c) {
    try {
      c.out().join(2000);
      c.err().join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A thread that copies the stream's lines to {@code to} as {@code [rank N] line}. */
  private static Thread forward(InputStream in, PrintStream to, int rank, String which) {
    String prefix = "[rank " + rank + "] ";
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (to) {
            to.println(prefix + line);
          }
        }
      } catch (IOException e) {
        // the child is gone
      }
    }, "jnn-launch-rank" + rank + "-" + which);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * The command that runs {@code mainClass} (the jnn CLI, or a user's program) in a new JVM like
   * this one: this JVM's java, its class path, and its options except debugging and agents (which
   * would clash on ports or double-attach).
   */
  static List<String> javaCommand(String mainClass) {
    String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("-agentlib:") || a.startsWith("-agentpath:") || a.startsWith("-javaagent:") || a.startsWith("-Xdebug") || a.startsWith("-Xrunjdwp")) continue;
      cmd.add(a);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    return cmd;
  }

  /** A TCP port free on this machine now (the OS's choice; a small race with other programs until rank 0 binds it). */
  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }
}
