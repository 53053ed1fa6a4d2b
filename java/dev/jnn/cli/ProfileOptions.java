package dev.jnn.cli;

import dev.jnn.profile.ProfileReport;
import dev.jnn.profile.Profiler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --profile DIR [--profile-steps N] [--profile-warmup W]} options of every
 * {@code jnn train} command (a picocli mixin). Training runs as usual; steps W+1 .. W+N are
 * recorded, then the profiler detaches (training goes on unprofiled) and writes
 * {@code DIR/profile.txt} (the table, also printed), {@code DIR/trace.json} (Chrome/Perfetto)
 * and {@code DIR/layers.png}. If training ends first, what was recorded is written at the end.
 *
 * <pre>{@code
 * @Mixin ProfileOptions profile;
 * profile.start();      // no-op without --profile; attaches to the first model trained
 * model.fit(...);
 * profile.stop();       // writes the files if the window did not complete during fit
 * }</pre>
 *
 * (Two lines around the training call rather than a try block: an exception ends the command
 * and the JVM, and the commands' bodies stay as they were.)
 */
final class ProfileOptions {
  @Option(names = "--profile", paramLabel = "DIR", description = "profile training steps and write DIR/profile.txt, DIR/trace.json "
      + "(open in ui.perfetto.dev) and DIR/layers.png; training then continues unprofiled")
  Path dir;

  @Option(names = "--profile-steps", paramLabel = "N", defaultValue = "20", description = "training steps to record (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--profile-warmup", paramLabel = "W", defaultValue = "5", description = "profiled steps to run before recording "
      + "(default: ${DEFAULT-VALUE})")
  int warmup;

  private Profiler running;

  /** Checks the options and creates the directory, before any work (a user mistake: one line, exit 2). */
  void validate() {
    if (dir == null) return;
    Cli.atLeast("--profile-steps", steps, 1);
    Cli.atLeast("--profile-warmup", warmup, 0);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new Cli.UserError("--profile: cannot create the directory " + dir + " (" + e + ")", e);
    }
  }

  /** Starts a profiler that attaches to the first model trained (nothing without --profile). */
  void start() {
    if (dir == null) return;
    validate();
    running = Profiler.builder().warmupSteps(warmup).steps(steps).onComplete(this::write).start();
  }

  /** Closes the profiler started by {@link #start()}, if any (writing the files if its window did not complete). */
  void stop() {
    if (running != null) running.close();
    running = null;
  }

  private void write(ProfileReport r) {
    try {
      String table = r.table();
      Files.writeString(dir.resolve("profile.txt"), table, StandardCharsets.UTF_8);
      r.writeChromeTrace(dir.resolve("trace.json"));
      r.writeLayerChart(dir.resolve("layers.png"));
      System.out.println();
      System.out.print(table);
      System.out.printf("profile: wrote %s, %s and %s%s%n", dir.resolve("profile.txt"), dir.resolve("trace.json"), dir.resolve("layers.png"),
          r.steps() < steps ? " (training ended after " + r.steps() + " of the " + steps + " steps asked for)" : "");
    } catch (IOException e) {
      throw new UncheckedIOException("--profile: cannot write into " + dir, e);
    }
  }
}
