package dev.jnn.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.cli.CliRun;
import dev.jnn.cli.Jnn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jnn launch}: runs a train command as 2 processes, stops the job when one fails, leaves no process behind. */
class LaunchCommandTest {
  @TempDir Path dir;

  /** Largest difference of held-out accuracy between 1 and 2 processes, in points: the same global batches, another summation order, so a few of the 1,000 held-out predictions may flip. */
  static final double ACCURACY_MARGIN_POINTS = 1.0;

  static double heldOutAccuracy(String out) {
    Matcher m = Pattern.compile("held-out accuracy ([0-9.]+)%").matcher(out);
    assertTrue(m.find(), "no held-out accuracy in:\n" + out);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void twoProcessesOfTrainDenseReachTheAccuracyOfOne() {
    CliRun one = CliRun.of("train", "dense", "--device", "java", "--epochs", "20", "--every", "10");
    assertEquals(0, one.exit(), one.err());
    CliRun two = CliRun.of("launch", "--nproc", "2", "train", "dense", "--device", "java", "--epochs", "20", "--every", "10");
    assertEquals(0, two.exit(), two.out() + two.err());
    assertTrue(two.out().contains("[rank 0] held-out accuracy"), two.out());
    assertFalse(two.out().contains("[rank 1] held-out accuracy"), "rank 1 printed:\n" + two.out());
    assertTrue(two.out().contains("[rank 0] distributed: 2 processes (gloo)"), two.out());
    assertTrue(two.err().contains("all 2 process(es) finished"), two.err());
    double a1 = heldOutAccuracy(one.out()), a2 = heldOutAccuracy(two.out());
    System.out.printf(Locale.ROOT, "jnn train dense --epochs 20: held-out accuracy %.2f%% in 1 process, %.2f%% in 2 (margin %.1f points)%n", a1, a2, ACCURACY_MARGIN_POINTS);
    assertEquals(a1, a2, ACCURACY_MARGIN_POINTS);
  }

  @Test
  void aFailingRankStopsTheJobWithItsStatusAndKillsItsSibling() throws Exception {
    long t0 = System.nanoTime();
    CliRun r = CliRun.of("launch", "--nproc", "2", "--grace-period", "2", "--main", DdpWorker.class.getName(), "fail-rank1", dir.toString());
    double seconds = (System.nanoTime() - t0) * 1e-9;
    assertEquals(7, r.exit(), r.out() + r.err());
    assertTrue(r.err().contains("[rank 1] rank 1: failing on purpose"), r.err());
    assertTrue(r.err().contains("jnn launch: rank 1 exited with status 7; stopping the other 1 process(es)"), r.err());
    long pid0 = Long.parseLong(Files.readString(dir.resolve("pid-rank0")).trim());
    assertFalse(ProcessHandle.of(pid0).map(ProcessHandle::isAlive).orElse(false), "rank 0 (pid " + pid0 + ") outlived the launcher");
    assertTrue(seconds < 30, "took " + seconds + " s");
  }

  @Test
  void stoppingTheLauncherStopsEveryRank() throws Exception {
    List<String> cmd = DdpRanks.java(Jnn.class.getName());
    cmd.addAll(List.of("launch", "--nproc", "2", "--grace-period", "2", "--main", DdpWorker.class.getName(), "sleep", dir.toString()));
    Process launcher = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("launcher.log").toFile()).start();
    try {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!(Files.exists(dir.resolve("pid-rank0")) && Files.exists(dir.resolve("pid-rank1"))) && System.nanoTime() < deadline) Thread.sleep(50);
      Thread.sleep(300);   // the ranks are in their sleep
      long[] pids = new long[2];
      for (int k = 0; k < 2; k++) pids[k] = Long.parseLong(Files.readString(dir.resolve("pid-rank" + k)).trim());
      launcher.destroy();   // SIGTERM, as Ctrl-C's SIGINT: the JVM runs the launcher's shutdown hook
      assertTrue(launcher.waitFor(30, TimeUnit.SECONDS), "the launcher did not stop");
      for (long pid : pids) {
        ProcessHandle h = ProcessHandle.of(pid).orElse(null);
        if (h != null) h.onExit().get(10, TimeUnit.SECONDS);
        assertFalse(h != null && h.isAlive(), "rank pid " + pid + " outlived the launcher:\n" + Files.readString(dir.resolve("launcher.log")));
      }
    } finally {
      launcher.destroyForcibly();
    }
  }
}
