package dev.jnn.dist;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * W child JVMs of the DDP tests, each {@code java -cp <this classpath> dev.jnn.dist.DdpWorker
 * SCENARIO DIR} with torchrun's variables, a free port, and its output in DIR/rankR.out / .err.
 */
final class DdpRanks implements AutoCloseable {
  final List<Process> processes = new ArrayList<>();
  final Path dir;

  private DdpRanks(Path dir) { this.dir = dir; }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The java command of a child JVM like this one running mainClass. */
  static List<String> java(String mainClass) {
    String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    return new ArrayList<>(List.of(java, "-Djnn.strict=" + System.getProperty("jnn.strict", "false"), "-cp", System.getProperty("java.class.path"), mainClass));
  }

  static DdpRanks start(int w, String scenario, Path dir, String timeoutSeconds) throws IOException {
    DdpRanks r = new DdpRanks(dir);
    int port = freePort();
    for (int rank = 0; rank < w; rank++) {
      List<String> cmd = java(DdpWorker.class.getName());
      cmd.add(scenario);
      cmd.add(dir.toString());
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("rank" + rank + ".out").toFile()).redirectError(dir.resolve("rank" + rank + ".err").toFile());
      pb.environment().put("RANK", Integer.toString(rank));
      pb.environment().put("WORLD_SIZE", Integer.toString(w));
      pb.environment().put("MASTER_ADDR", "127.0.0.1");
      pb.environment().put("MASTER_PORT", Integer.toString(port));
      pb.environment().put("OMP_NUM_THREADS", "1");
      pb.environment().put("OPENBLAS_NUM_THREADS", "1");
      pb.environment().put("JNN_DIST_TIMEOUT_S", timeoutSeconds);
      r.processes.add(pb.start());
    }
    return r;
  }

  /** Waits for rank's exit (seconds); its status, or -1 on timeout. */
  int await(int rank, double seconds) throws InterruptedException {
    Process p = processes.get(rank);
    return p.waitFor((long) (seconds * 1000), TimeUnit.MILLISECONDS) ? p.exitValue() : -1;
  }

  String err(int rank) throws IOException { return Files.readString(dir.resolve("rank" + rank + ".err"), StandardCharsets.UTF_8); }

  String out(int rank) throws IOException { return Files.readString(dir.resolve("rank" + rank + ".out"), StandardCharsets.UTF_8); }

  /** Everything a rank printed, for failure messages. */
  String log(int rank) throws IOException { return "rank " + rank + " stdout:\n" + out(rank) + "\nrank " + rank + " stderr:\n" + err(rank); }

  @Override
  public void close() {
    for (Process p : processes) p.destroyForcibly();
  }
}
