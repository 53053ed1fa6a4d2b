package dev.jnn.cli;

import dev.jnn.backend.Backends;
import dev.jnn.data.Dataset;
import dev.jnn.data.FashionMnist;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.train.Model;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.CnnExample;
import dev.jnn.train.Evaluation;
import dev.jnn.train.FitOptions;
import dev.jnn.train.History;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The Fashion-MNIST commands: {@code jnn train fashion-mnist}, {@code jnn eval}, {@code jnn predict}. */
final class FashionMnistCommands {
  private FashionMnistCommands() {}

  /** Exit code for missing or unreadable data and model files (the message says how to fix it). */
  static final int DATA_ERROR = Cli.USAGE;

  static FashionMnist.Splits loadData(Path dir) throws IOException {
    return FashionMnist.load(dir);
  }

  /** Fails, saying how to install it, unless the four Fashion-MNIST files are where --data (or the default) says: a cheap check before any work. */
  static void requireData(Path dir) {
    try {
      FashionMnist.directory(dir);
    } catch (IOException e) {
      throw new Cli.UserError(e.getMessage(), e);
    }
  }

  @Command(name = "fashion-mnist", description = "Train the tutorial CNN (Conv32-Pool-Conv64-Pool-Conv64-Dense64-Dense10, Adam) on "
      + "Fashion-MNIST, with a live progress bar and the test loss/accuracy after each epoch.")
  static final class Train implements Callable<Integer> {
    @Mixin DeviceOption device;

    @Option(names = "--epochs", defaultValue = "1", description = "epochs (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "64", description = "batch size (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--seed", defaultValue = "1", description = "seed of initialization and shuffling (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--save", description = "checkpoint file (safetensors), written atomically after every epoch")
    Path save;

    @Option(names = "--data", description = "directory with the four Fashion-MNIST files (default: the Debian package's, or $JNN_FASHION_MNIST)")
    Path data;

    @Option(names = "--limit", description = "train on the first N training images only (quick runs); the test set stays whole")
    Integer limit;

    @Mixin ProfileOptions profile;

    @Override
    public Integer call() throws IOException {
      Cli.atLeast("--epochs", epochs, 1);
      Cli.atLeast("--batch-size", batchSize, 1);
      Cli.positive("--lr", lr);
      if (limit != null) Cli.atLeast("--limit", limit, 1);
      if (save != null) Cli.writableFile("--save", save);
      profile.validate();
      Device requested = device.resolve();
      requireData(data);
      try (DistributedRun dist = DistributedRun.join(requested)) {   // jnn launch / torchrun: data-parallel, rank 0 prints and saves
        return train(dist);
      }
    }

    private int train(DistributedRun dist) throws IOException {
      Device d = dist.device();
      FashionMnist.Splits fm = loadData(data);
      Dataset train = limit == null ? fm.train() : fm.train().slice(0, Math.min(limit, fm.train().size()));
      Model m = CnnExample.fashionMnistCnn(seed).to(d);
      dist.wrap(m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(lr).build()));
      System.out.printf(Locale.ROOT, "Fashion-MNIST: %d training, %d test images; device %s (%s)%n", train.size(), fm.test().size(), d,
          Backends.get(d).describe());
      System.out.println(m.summary(1, 28, 28));
      FitOptions.Builder fo = FitOptions.builder().epochs(epochs).batchSize(batchSize).seed(seed).validation(fm.test())
          .callback(dist.progress(train.size(), System.out));
      if (save != null) fo.callback(m.checkpointEvery(1, save));
      profile.start();
      History h = m.fit(train, fo.build());
      profile.stop();
      System.out.printf(Locale.ROOT, "test accuracy %.2f%% (loss %.4f) after %d epoch(s)%s%n", 100 * h.last().valAccuracy(), h.last().valLoss(),
          h.last().epoch(), save == null ? "" : "; checkpoint " + save);
      m.close();   // on a GPU: the model's memory back to the pool
      return 0;
    }
  }

  /** The options of commands that use a saved model: the file, the device, the data directory. */
  static final class SavedModel {
    @Option(names = "--model", required = true, description = "checkpoint written by jnn train fashion-mnist --save")
    Path model;

    @Mixin DeviceOption device;

    @Option(names = "--data", description = "directory with the Fashion-MNIST files")
    Path data;

    /** The options checked before any work: the model file readable, the device available, the data present. */
    Device validate() {
      Cli.readableFile("--model", model);
      Device d = device.resolve();
      requireData(data);
      return d;
    }

    /** The saved model on the requested device, compiled for evaluation if the file had no training state. */
    Model load(Device d) throws IOException {
      Model m = Model.load(model).to(d);
      if (m.loss() == null) m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
      return m;
    }
  }

  @Command(name = "eval", description = "Evaluate a saved model on the Fashion-MNIST test set.")
  static final class Eval implements Callable<Integer> {
    @Mixin SavedModel saved;

    @Override
    public Integer call() throws IOException {
      Device d = saved.validate();
      Dataset test;
      Evaluation e;
      try (Model m = saved.load(d)) {   // the model first: a corrupt --model file is reported before the data is read
        test = loadData(saved.data).test();
        e = m.evaluate(test, 256);          // (and a GPU model's memory goes back to the pool)
      }
      System.out.printf(Locale.ROOT, "%s on %d test images: loss %.4f, accuracy %.2f%%%n", saved.model, test.size(), e.loss(), 100 * e.accuracy());
      return 0;
    }
  }

  @Command(name = "predict", description = "Print a saved model's predictions for the first test images.")
  static final class Predict implements Callable<Integer> {
    @Mixin SavedModel saved;

    @Option(names = "--count", defaultValue = "10", description = "how many test images (default: ${DEFAULT-VALUE})")
    int count;

    @Override
    public Integer call() throws IOException {
      Cli.atLeast("--count", count, 1);
      Device d = saved.validate();
      Model m = saved.load(d);
      Dataset test = loadData(saved.data).test();
      int n = Math.max(1, Math.min(count, test.size()));
      int classes;
      float[] z;   // the (n, classes) logits on the host (one copy down from a GPU)
      try (Tensor x = test.features().rows(0, n).to(m.device()); Tensor logits = m.predict(x)) {   // device copies closed
        classes = logits.dim(1);
        z = logits.toArray();
      } finally {
        m.release();
      }
      int right = 0;
      for (int i = 0; i < n; i++) {
        int best = 0;
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int k = 0; k < classes; k++) max = Math.max(max, z[i * classes + k]);
        for (int k = 0; k < classes; k++) {
          sum += Math.exp(z[i * classes + k] - max);
          if (z[i * classes + k] > z[i * classes + best]) best = k;
        }
        int truth = (int) test.targets().get(i, 0);
        if (best == truth) right++;
        System.out.printf(Locale.ROOT, "test image %4d: predicted %-12s (p=%.3f)  actual %-12s %s%n", i, FashionMnist.CLASS_NAMES.get(best),
            1 / sum, FashionMnist.CLASS_NAMES.get(truth), best == truth ? "ok" : "WRONG");
      }
      System.out.printf(Locale.ROOT, "%d of %d right%n", right, n);
      return 0;
    }
  }
}
