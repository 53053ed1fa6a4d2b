package dev.jnn.dist;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Starts the ranks of a job as real JVM processes on this machine (loopback), as torchrun would:
 * the same java and class path as this JVM, a main class of the test tree, torchrun's variables
 * (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT=a free
 * port) and {@code JNN_DIST_TIMEOUT_S}. Each child's output goes to a file (no pipe can fill);
 * every child still running when {@link #run} returns or throws is killed, so no process is left.
 *
 * <pre>{@code
 * List<CollectiveProcesses.Result> r = CollectiveProcesses.run(3, CollectiveWorker.class,
 *     rank -> List.of("collectives"), Map.of(), Duration.ofSeconds(60));
 * CollectiveProcesses.assertExit(r, 0);
 * }</pre>
 */
final class CollectiveProcesses {
  private CollectiveProcesses() {}

  /** One child: its rank, exit status (-1: killed at the deadline, or never started) and output. */
  record Result(int rank, int exit, String output) {}

  /** A TCP port nothing listens on right now (the children's MASTER_PORT). */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port: " + e, e);
    }
  }

  /** This JVM's class path as the children need it (surefire's real test class path, not its booter jar). */
  static String classPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  /**
   * Runs ranks 0..world-1 of {@code main} (ranks for which {@code args} gives null are not
   * started: a rank that never arrives), waits for all, kills those still running at
   * {@code deadline}.
   *
   * @param env extra environment variables for every child (e.g. JNN_DIST_TIMEOUT_S)
   */
  static List<Result> run(int world, Class<?> main, IntFunction<List<String>> args, Map<String, String> env, Duration deadline)
      throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    int port = freePort();
    Path dir = Files.createTempDirectory("jnn-dist-test");
    List<Process> procs = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    try {
      for (int r = 0; r < world; r++) {
        List<String> a = args.apply(r);
        Path log = dir.resolve("rank" + r + ".log");
        logs.add(log);
        if (a == null) {
          procs.add(null);
          continue;
        }
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", classPath(), "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-Xshare:auto", main.getName()));
        cmd.addAll(a);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("OMPI_") || k.startsWith("SLURM_") || k.startsWith("PMI_"));
        e.put("RANK", Integer.toString(r));
        e.put("WORLD_SIZE", Integer.toString(world));
        e.put("LOCAL_RANK", Integer.toString(r));
        e.put("LOCAL_WORLD_SIZE", Integer.toString(world));
        e.put("MASTER_ADDR", "127.0.0.1");
        e.put("MASTER_PORT", Integer.toString(port));
        e.putAll(env);
        procs.add(pb.start());
      }
      long end = System.nanoTime() + deadline.toNanos();
      List<Result> out = new ArrayList<>();
      for (int r = 0; r < world; r++) {
        Process p = procs.get(r);
        int exit = -1;
        if (p != null && p.waitFor(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) exit = p.exitValue();
        if (p != null && p.isAlive()) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        String text = p == null ? "(not started)" : Files.exists(logs.get(r)) ? Files.readString(logs.get(r), StandardCharsets.UTF_8) : "";
        out.add(new Result(r, exit, text));
      }
      return out;
    } finally {
      for (Process p : procs) if (p != null && p.isAlive()) p.destroyForcibly();
      for (Process p : procs) if (p != null) p.waitFor(10, TimeUnit.SECONDS);
      for (Path l : logs) Files.deleteIfExists(l);
      Files.deleteIfExists(dir);
    }
  }

  /** Every child's output, for failure messages. */
  static String outputs(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    for (Result r : results)
      sb.append("\n---- rank ").append(r.rank()).append(" (exit ").append(r.exit()).append(") ----\n").append(r.output());
    return sb.toString();
  }
}
