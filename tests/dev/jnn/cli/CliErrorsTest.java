package dev.jnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every user mistake gets one line {@code jnn: ...} on stderr saying what to do, exit status 2,
 * and no work before it (nothing on stdout: no data loaded, no model printed); --stacktrace adds
 * the trace.
 */
class CliErrorsTest {
  @TempDir static Path dir;

  private static CliRun run(String... args) { return CliRun.of(args); }

  /** A directory with the four Fashion-MNIST file names, empty (enough for the presence check). */
  private static Path fakeData() throws IOException {
    Path d = Files.createDirectories(dir.resolve("fake-fm"));
    for (String f : dev.jnn.data.FashionMnist.FILES) if (!Files.exists(d.resolve(f))) Files.createFile(d.resolve(f));
    return d;
  }

  private static Path corruptModel() throws IOException {
    Path p = dir.resolve("corrupt.safetensors");
    byte[] junk = new byte[256];
    new java.util.SplittableRandom(1).nextBytes(junk);
    Files.write(p, junk);
    return p;
  }

  static Stream<Arguments> mistakes() throws IOException {
    String cpu = "--device=cpu";
    boolean gpu = dev.jnn.backend.cuda.CudaRuntime.probe().available();
    return Stream.of(
        Arguments.of(List.of("train", "fashion-mnist", "--epochs", "-1"), "--epochs must be >= 1, got -1"),
        Arguments.of(List.of("train", "fashion-mnist", "--epochs", "abc"), "Invalid value for option '--epochs': 'abc' is not an int"),
        Arguments.of(List.of("train", "fashion-mnist", "--batch-size", "0"), "--batch-size must be >= 1, got 0"),
        Arguments.of(List.of("train", "fashion-mnist", "--lr", "NaN"), "--lr must be a finite number > 0, got NaN"),
        Arguments.of(List.of("train", "fashion-mnist", "--limit", "0"), "--limit must be >= 1, got 0"),
        Arguments.of(List.of("train", "fashion-mnist", cpu, "--data", dir.resolve("none").toString()), "Fashion-MNIST"),
        Arguments.of(List.of("train", "fashion-mnist", cpu, "--data", fakeData().toString()), "empty file, expected an IDX file"),
        Arguments.of(List.of("train", "fashion-mnist", cpu, "--save", dir.resolve("no/such/dir/m.safetensors").toString()), "--save: directory"),
        Arguments.of(List.of("train", "fashion-mnist", "--device", "tpu"), "unknown device 'tpu'"),
        Arguments.of(List.of("train", "dense", "--device", gpu ? "cuda:999" : "cuda:0", "--epochs", "1"), gpu ? "cuda" : "backend cuda:0 is unavailable"),
        Arguments.of(List.of("train", "dense", "--every", "0"), "--every must be >= 1, got 0"),
        Arguments.of(List.of("train", "dense", cpu, "--profile", dir.resolve("p").toString(), "--profile-steps", "0"), "--profile-steps must be >= 1"),
        Arguments.of(List.of("train", "mnist"), "unknown command 'mnist' for 'jnn train' (choose from: dense, fashion-mnist, char-lstm, text-classifier"),
        Arguments.of(List.of("fly"), "unknown command 'fly' for 'jnn'"),
        Arguments.of(List.of("train", "dense", "--epoch", "3"), "Unknown options: '--epoch', '3' (did you mean --epochs"),
        Arguments.of(List.of("train", "char-lstm", cpu, "--text", dir.resolve("missing.txt").toString()), "--text: "),
        Arguments.of(List.of("train", "char-lstm", cpu, "--temperature", "0"), "--temperature must be a finite number > 0, got 0.0"),
        Arguments.of(List.of("eval"), "Missing required option: '--model"),
        Arguments.of(List.of("eval", "--model", dir.resolve("nope.safetensors").toString()), "--model: "),
        Arguments.of(List.of("eval", cpu, "--model", corruptModel().toString(), "--data", fakeData().toString()), "corrupt.safetensors"),
        Arguments.of(List.of("predict", "--model", corruptModel().toString(), "--count", "0"), "--count must be >= 1, got 0"),
        Arguments.of(List.of("predict", cpu, "--model", corruptModel().toString(), "--data", fakeData().toString()), "corrupt.safetensors"),
        Arguments.of(List.of("bench", "predict", "--threads", "0"), "--threads: counts must be >= 1, got 0"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mistakes")
  void oneLineExitTwoNothingElse(List<String> args, String expected) {
    CliRun r = run(args.toArray(new String[0]));
    assertEquals(2, r.exit(), "exit status\nstdout: " + r.out() + "\nstderr: " + r.err());
    assertEquals(1, r.errLines().size(), "one line on stderr, got:\n" + r.err());
    String line = r.errLines().get(0);
    assertTrue(line.startsWith("jnn: "), line);
    assertTrue(line.contains(expected), "expected '" + expected + "' in: " + line);
    assertEquals("", r.out(), "no work before the error");
  }

  @Test
  void stacktraceOptionAndVariableShowTheTrace() {
    CliRun r = run("train", "fashion-mnist", "--epochs", "0", "--stacktrace");
    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("jnn: --epochs must be >= 1, got 0"), r.err());
    assertTrue(r.err().contains("\tat dev.jnn.cli."), r.err());
    assertTrue(r.errLines().size() > 3, r.err());
  }

  @Test
  void aFileInTheWayOfTheProfileDirectory() throws IOException {
    CliRun r = run("train", "dense", "--device=cpu", "--epochs", "1", "--profile", corruptModel().resolve("x").toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().startsWith("jnn: --profile: cannot create the directory"), r.err());
    assertEquals(1, r.errLines().size(), r.err());
    assertEquals("", r.out());
  }

  /** A command that fails with a bug. */
  @picocli.CommandLine.Command(name = "boom")
  static final class Boom implements java.util.concurrent.Callable<Integer> {
    @Override public Integer call() { throw new NullPointerException("boom"); }
  }

  @Test
  void internalErrorsExitOneAndSayHowToReportThem() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    picocli.CommandLine cl = Cli.commandLine(new Boom(), false);
    cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    assertEquals(1, cl.execute());
    String e = err.toString(StandardCharsets.UTF_8);
    assertEquals("jnn: internal error: java.lang.NullPointerException: boom (rerun with --stacktrace or JNN_STACKTRACE=1 and report it)", e.strip());
  }
}
