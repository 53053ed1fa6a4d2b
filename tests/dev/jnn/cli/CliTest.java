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
      int exit = Jnn.execute(args);
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
    boolean gpu = dev.jnn.backend.cuda.CudaRuntime.probe().available();
    assertTrue(r.out().contains(gpu ? "[ok]   cuda" : "[fail] cuda"), r.out());
    assertTrue(r.out().contains(gpu ? "default device: cuda:0" : "default device: cpu"), r.out());
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
  void fashionMnistTrainSaveEvalPredict(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    // Like FashionMnistTest: the real data is required in CI (.ci/run installs it); elsewhere (the
    // offline GPU bundle, a laptop) its absence skips with the reason instead of failing.
    if (!dev.jnn.data.FashionMnist.available()) {
      String missing = "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)";
      if (System.getenv("CI") != null) throw new AssertionError(missing + ": required in CI");
      org.junit.jupiter.api.Assumptions.abort(missing);
    }
    java.nio.file.Path model = dir.resolve("cnn.safetensors");
    Run t = run("train", "fashion-mnist", "--device", "cpu", "--limit", "640", "--save", model.toString());
    assertEquals(0, t.exit(), t.out());
    assertTrue(t.out().contains("Fashion-MNIST: 640 training, 10000 test images"), t.out());
    assertTrue(t.out().contains("epoch 1/1: train loss"), t.out());
    assertTrue(java.nio.file.Files.isRegularFile(model), "checkpoint written");
    Run e = run("eval", "--model", model.toString(), "--device", "cpu");
    assertEquals(0, e.exit(), e.out());
    assertTrue(e.out().contains("on 10000 test images: loss"), e.out());
    Run p = run("predict", "--model", model.toString(), "--count", "3");
    assertEquals(0, p.exit(), p.out());
    assertTrue(p.out().contains("test image    0: predicted"), p.out());
    assertTrue(p.out().contains("of 3 right"), p.out());
  }

  @Test
  void missingModelFileIsAClearError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    try (PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setErr(ps);
      int exit = Jnn.execute("eval", "--model", dir.resolve("nope.safetensors").toString());
      assertEquals(2, exit);
    } finally {
      System.setErr(old);
    }
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("nope.safetensors"), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void textClassifierBeatsTheMajorityClass() {
    Run r = run("train", "text-classifier", "--device", "cpu");
    assertEquals(0, r.exit(), r.out());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("held-out accuracy ([0-9.]+)% .* would score ([0-9.]+)%").matcher(r.out());
    assertTrue(m.find(), r.out());
    double acc = Double.parseDouble(m.group(1)), majority = Double.parseDouble(m.group(2));
    assertTrue(acc >= majority + dev.jnn.Tolerances.TEXT_CLASSIFIER_MARGIN_POINTS, "accuracy " + acc + "% vs majority " + majority + "%\n" + r.out());
  }

  @Test
  void charLstmTrainsAndSamples() {
    Run r = run("train", "char-lstm", "--device", "cpu", "--epochs", "1", "--seq-len", "64", "--sample-length", "40");
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("epoch 1/1: loss"), r.out());
    assertTrue(r.out().contains("(perplexity"), r.out());
    assertTrue(r.out().contains("sample: The "), r.out());
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
