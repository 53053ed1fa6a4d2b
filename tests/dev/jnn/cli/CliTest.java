package dev.jnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The jnn command's subcommands run in-process and print what the README promises. */
class CliTest {

  private record Run(int exit, String out) {}

  private static Run run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      System.setOut(ps);
      int exit = new CommandLine(new Jnn()).execute(args);
      return new Run(exit, buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }

  @Test
  void infoListsBothHostBackendsAsLoaded() {
    Run r = run("info");
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("[ok]   java"), r.out());
    assertTrue(r.out().contains("[ok]   cpu: jnn_cpu"), r.out());
    assertTrue(r.out().contains("OpenBLAS"), r.out());
    assertTrue(r.out().contains("[fail] cuda"), r.out());
    assertTrue(r.out().contains("default device: cpu"), r.out());
  }

  @Test
  void trainDenseReportsAccuracyAgainstTheCeiling() {
    Run r = run("train", "dense", "--device", "cpu", "--epochs", "3", "--every", "1");
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("epoch 3/3"), r.out());
    assertTrue(r.out().contains("held-out accuracy"), r.out());
    assertTrue(r.out().contains("Bayes-optimal ceiling"), r.out());
  }

  @Test
  void unknownDeviceIsAClearError() {
    CommandLine cl = new CommandLine(new Jnn());
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    int exit = cl.execute("train", "dense", "--device", "tpu", "--epochs", "1");
    assertTrue(exit != 0);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown device 'tpu'"), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void benchGemmPrintsRatiosAgainstOpenBlas() {
    Run r = run("bench", "gemm", "--sizes", "64", "--runs", "1", "--min-seconds", "0.01");
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("openblas (direct)"), r.out());
    assertTrue(r.out().contains("x openblas"), r.out());
  }
}
