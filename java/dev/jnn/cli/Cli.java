package dev.jnn.cli;

import dev.jnn.backend.BackendUnavailableException;
import dev.jnn.dist.DistributedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/**
 * How the jnn command reports mistakes (README, "The jnn command"): a user mistake (a bad option
 * value, an unknown command or example, a device whose backend did not load, a missing or
 * corrupt data or model file) prints one line {@code jnn: <what is wrong and what to do>} on
 * stderr and exits with {@link #USAGE}, before any expensive work; anything else is a bug: one
 * line {@code jnn: internal error: ...} and exit 1. {@code --stacktrace} (or
 * {@code JNN_STACKTRACE=1}) adds the stack trace, for bug reports.
 */
final class Cli {
  private Cli() {}

  /** Exit status of a user mistake. */
  static final int USAGE = 2;
  /** Exit status of an internal error (a bug). */
  static final int INTERNAL = 1;
  /** Exit status of a failed distributed job (a rank died or timed out, a rendezvous failed): one line naming the rank; not a bug. */
  static final int DISTRIBUTED = 3;
  /** Environment variable that turns on stack traces like {@code --stacktrace}. */
  static final String STACKTRACE_ENV = "JNN_STACKTRACE";

  /** A user mistake; its message is the whole report. */
  static final class UserError extends RuntimeException {
    UserError(String message) { super(message); }
    UserError(String message, Throwable cause) { super(message, cause); }
  }

  /** Throws a {@link UserError} with the message unless ok. */
  static void require(boolean ok, String message) {
    if (!ok) throw new UserError(message);
  }

  /** An option that must be >= min. */
  static void atLeast(String option, long value, long min) { require(value >= min, option + " must be >= " + min + ", got " + value); }

  /** An option that must be a finite number > 0. */
  static void positive(String option, double value) { require(value > 0 && Double.isFinite(value), option + " must be a finite number > 0, got " + value); }

  /** A file that must exist and be readable. */
  static void readableFile(String option, Path p) {
    require(Files.isRegularFile(p), option + ": " + p + " does not exist or is not a file");
    require(Files.isReadable(p), option + ": " + p + " is not readable");
  }

  /** A file jnn will write: its directory must exist. */
  static void writableFile(String option, Path p) {
    Path dir = p.toAbsolutePath().getParent();
    require(dir != null && Files.isDirectory(dir), option + ": directory " + dir + " does not exist (create it first)");
    require(!Files.isDirectory(p), option + ": " + p + " is a directory; give a file name");
  }

  /** The jnn command line with jnn's error handling. */
  static CommandLine commandLine(Object command, boolean stacktrace) {
    CommandLine cl = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler((e, args) -> {
      PrintWriter err = e.getCommandLine().getErr();
      err.println("jnn: " + parameterMessage(e));
      if (stacktrace) e.printStackTrace(err);
      err.flush();
      return USAGE;
    });
    cl.setExecutionExceptionHandler((e, cmd, parse) -> {
      PrintWriter err = cmd.getErr();
      if (e instanceof DistributedException) {
        err.println("jnn: " + message(e));
        if (stacktrace) e.printStackTrace(err);
        err.flush();
        return DISTRIBUTED;
      }
      boolean user = isUserMistake(e);
      err.println("jnn: " + (user ? message(e) : "internal error: " + e + (stacktrace ? "" : " (rerun with --stacktrace or " + STACKTRACE_ENV
          + "=1 and report it)")));
      if (stacktrace) e.printStackTrace(err);
      err.flush();
      return user ? USAGE : INTERNAL;
    });
    return cl;
  }

  /** Whether the arguments or the environment ask for stack traces. */
  static boolean stacktraceRequested(String[] args) {
    String env = System.getenv(STACKTRACE_ENV);
    if (env != null && !env.isBlank() && !env.equals("0")) return true;
    for (String a : args) {
      if (a.equals("--")) break;
      if (a.equals("--stacktrace")) return true;
    }
    return false;
  }

  /**
   * User mistakes: ours ({@link UserError}), an unavailable backend, unreadable or corrupt files
   * (IOException), and IllegalArgumentException, which jnn throws only for bad arguments and bad
   * files, always naming what was wrong.
   */
  static boolean isUserMistake(Throwable e) {
    return e instanceof UserError || e instanceof BackendUnavailableException || e instanceof IOException || e instanceof UncheckedIOException
        || e instanceof IllegalArgumentException;
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    if (e instanceof java.nio.file.NoSuchFileException) return m + ": no such file";
    if (e instanceof java.nio.file.AccessDeniedException) return m + ": permission denied";
    return m == null || m.isBlank() ? e.toString() : m.replace('\n', ' ');
  }

  private static String parameterMessage(CommandLine.ParameterException e) {
    CommandLine cl = e.getCommandLine();
    String path = cl.getCommandSpec().qualifiedName();
    if (e instanceof CommandLine.UnmatchedArgumentException u && !cl.getSubcommands().isEmpty() && !u.getUnmatched().isEmpty()
        && !u.getUnmatched().get(0).startsWith("-")) {
      return "unknown command '" + u.getUnmatched().get(0) + "' for '" + path + "' (choose from: "
          + String.join(", ", cl.getSubcommands().keySet().stream().filter(k -> !k.equals("help")).toList()) + ")";
    }
    String m = e.getMessage() == null ? e.toString() : e.getMessage().replace('\n', ' ');
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty())
      return m + " (did you mean " + String.join(" or ", u.getSuggestions()) + "? see: " + path + " --help)";
    return m + " (see: " + path + " --help)";
  }
}
