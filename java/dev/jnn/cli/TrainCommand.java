package dev.jnn.cli;

import dev.jnn.backend.Backends;
import dev.jnn.tensor.Device;
import dev.jnn.train.DenseExample;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jnn train <example>}: trains one of the built-in examples and reports its result. */
@Command(name = "train", description = "Train a built-in example.", subcommands = {TrainCommand.Dense.class, FashionMnistCommands.Train.class, SequenceCommands.CharLstm.class,
    SequenceCommands.TextClassifier.class, BertTrainCommand.class})
final class TrainCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override public void run() { spec.commandLine().usage(System.out); }

  @Command(name = "dense", description = "The dense example: 10 -> Dense(50, ReLU) -> Dense(1, Sigmoid), BCE, Adam, "
      + "on a seeded synthetic task with a known Bayes-optimal accuracy.")
  static final class Dense implements Callable<Integer> {
    @Mixin DeviceOption device;

    @Option(names = "--epochs", defaultValue = "100", description = "epochs (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--seed", defaultValue = "1", description = "seed of data, initialization and shuffling (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--every", defaultValue = "10", description = "print every N-th epoch (default: ${DEFAULT-VALUE})")
    int every;

    @Mixin ProfileOptions profile;

    @Override
    public Integer call() {
      Cli.atLeast("--epochs", epochs, 1);
      Cli.atLeast("--every", every, 1);
      profile.validate();
      try (DistributedRun dist = DistributedRun.join(device.resolve())) {   // jnn launch / torchrun: data-parallel, rank 0 prints
        return run(dist);
      }
    }

    private int run(DistributedRun dist) {
      Device d = dist.device();
      DenseExample.Config c = DenseExample.Config.defaults().withDevice(d).withSeed(seed).withEpochs(epochs);
      System.out.printf(Locale.ROOT, "dense example on %s (%s)%n", d, Backends.get(d).describe());
      System.out.println(DenseExample.model(seed).summary(DenseExample.INPUTS));
      System.out.printf(Locale.ROOT, "training: %d samples, held-out %d, batch %d, Adam lr %g, %d epochs%n",
          c.trainSize(), c.testSize(), c.batchSize(), c.lr(), c.epochs());
      int step = Math.max(1, every);
      profile.start();
      DenseExample.Result r = DenseExample.run(c, log -> {
        if (log.epoch() == 1 || log.epoch() % step == 0 || log.epoch() == log.epochs()) System.out.println(log.format());
      }, dist::wrap);
      profile.stop();
      System.out.printf(Locale.ROOT, "held-out accuracy %.2f%% (loss %.4f); Bayes-optimal ceiling on this held-out set %.2f%% "
          + "(%.0f%% label noise); gap %.2f points%n", 100 * r.testAccuracy(), r.testLoss(), 100 * r.ceiling(), 100 * DenseExample.NOISE, r.gapPoints());
      System.out.printf(Locale.ROOT, "agreement with the noise-free rule %.2f%%; %.0f training steps/s (validation included)%n",
          100 * r.cleanAccuracy(), r.stepsPerSecond());
      return 0;
    }
  }
}
