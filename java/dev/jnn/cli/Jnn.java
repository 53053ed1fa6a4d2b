package dev.jnn.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code jnn} command (the launcher script at the repository root runs this class).
 *
 * <pre>
 * jnn info                 backends, which loaded, versions, threads, failure reasons
 * jnn train dense          train the dense 10-50-1 example and report its accuracy
 * jnn train fashion-mnist  train the tutorial CNN on Fashion-MNIST (progress bar, test accuracy per epoch)
 * jnn train char-lstm      character-level LSTM language model with samples; text-classifier: licence sentences
 * jnn eval / predict       evaluate a saved model, print its predictions for a few test images
 * jnn export               write a saved model as ONNX (--model FILE.safetensors --onnx FILE.onnx)
 * jnn launch --nproc N train ...   run a train command as N data-parallel processes (like torchrun; docs/DISTRIBUTED.md)
 * jnn bench gemm|mlp|cnn|lstm|all|summarize|jmh   benchmarks, as ratios against baselines run in the same process
 * </pre>
 */
@Command(name = "jnn", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, versionProvider = Jnn.Version.class,
    description = "jnn: deep learning for the JVM, with native kernels.",
    subcommands = {InfoCommand.class, TrainCommand.class, FashionMnistCommands.Eval.class, FashionMnistCommands.Predict.class,
        ExportCommand.class, BenchCommand.class, LaunchCommand.class, CommandLine.HelpCommand.class})
public final class Jnn implements Runnable {
  public static final String VERSION = "0.1.0";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--stacktrace", scope = CommandLine.ScopeType.INHERIT, description = "print the stack trace of an error (for bug reports; also: JNN_STACKTRACE=1)")
  boolean stacktrace;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /**
   * Runs the command and returns its exit status: 0, 2 for a user mistake (one line
   * {@code jnn: ...} on stderr saying what to do), 1 for an internal error.
   */
  public static int execute(String... args) {
    CommandLine cl = Cli.commandLine(new Jnn(), Cli.stacktraceRequested(args));
    LaunchCommand.configure(cl);
    return cl.execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override public String[] getVersion() { return new String[] {"jnn " + VERSION}; }
  }
}
