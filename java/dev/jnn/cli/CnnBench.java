package dev.jnn.cli;

import dev.jnn.backend.Backends;
import dev.jnn.loss.Loss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.train.Model;
import dev.jnn.optim.Adam;
import dev.jnn.optim.Optimizer;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.CnnExample;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jnn bench cnn}: training and inference throughput of the tutorial CNN (the network of
 * {@code jnn train fashion-mnist}) on each backend, one fixed synthetic batch as the peers'
 * harnesses measure it, and where a training step's time goes, layer by layer.
 */
@Command(name = "cnn", description = "Tutorial CNN training/inference samples/s per backend, and a per-layer time breakdown.")
final class CnnBench implements Callable<Integer> {
  @Option(names = "--channels", defaultValue = "1", description = "input channels (1: Fashion-MNIST, 3: the CIFAR-shaped variant)")
  int channels;

  @Option(names = "--size", defaultValue = "28", description = "input height and width (28, or 32 for the CIFAR-shaped variant)")
  int size;

  @Option(names = "--batch", defaultValue = "64", description = "batch size (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--runs", defaultValue = "7", description = "timed runs (median reported)")
  int runs;

  @Option(names = "--steps", defaultValue = "20", description = "steps per timed run")
  int steps;

  @Option(names = "--warmup", defaultValue = "15", description = "warm-up steps")
  int warmup;

  @Option(names = "--devices", split = ",", description = "devices to measure (default: every backend that loaded)")
  List<String> devices;

  @Override
  public Integer call() {
    System.out.printf(Locale.ROOT, "tutorial CNN, input %dx%dx%d, batch %d, Adam, softmax cross-entropy: %d warm-up steps, %d runs of %d steps; "
        + "median [min..max]%n", channels, size, size, batch, warmup, runs, steps);
    // Native backends first: the Java backend's run leaves JIT and pool threads busy for a while after.
    List<Backends.Status> order = new java.util.ArrayList<>(Backends.statuses());
    java.util.Collections.reverse(order);
    for (Backends.Status s : order) {
      if (!s.available()) continue;
      Device d = s.backend().device();
      if (devices != null && !devices.contains(d.toString())) continue;
      measure(d);
    }
    return 0;
  }

  private void measure(Device d) {
    Model m = CnnExample.tutorialCnn(channels, size, size, 1).to(d);
    Loss loss = new SoftmaxCrossEntropyLoss();
    Optimizer opt = Adam.builder().lr(1e-3).build();
    m.compile(loss, opt);
    SplittableRandom rng = new SplittableRandom(7);
    float[] xs = new float[batch * channels * size * size];
    for (int i = 0; i < xs.length; i++) xs[i] = (float) rng.nextDouble();
    float[] ys = new float[batch];
    for (int i = 0; i < batch; i++) ys[i] = rng.nextInt(10);
    // host arrays wrapped on the java device, then moved (a retag on the host, an upload to a GPU)
    Tensor x = Tensor.of(Device.JAVA, xs, batch, channels, size, size).to(d), y = Tensor.of(Device.JAVA, ys, batch, 1).to(d);

    for (int i = 0; i < warmup; i++) m.trainOnBatch(x, y);
    double[] train = new double[runs];
    for (int r = 0; r < runs; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) m.trainOnBatch(x, y);
      train[r] = (double) steps * batch / ((System.nanoTime() - t0) * 1e-9);
    }
    for (int i = 0; i < warmup; i++) m.forward(x, false);
    double[] infer = new double[runs];
    for (int r = 0; r < runs; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) m.forward(x, false);
      m.network().backend().synchronize();   // a GPU runs the forwards asynchronously
      infer[r] = (double) steps * batch / ((System.nanoTime() - t0) * 1e-9);
    }
    System.out.printf(Locale.ROOT, "%-5s train %s samples/s   inference %s samples/s%n", d, Stats.of(train).format("%7.0f"),
        Stats.of(infer).format("%7.0f"));
    LayerTimes.print(m.sequential(), loss, opt, x, y, steps * runs);
    Tensor.closeAll(x, y);   // device copies back to the pool (host: nothing to do)
    m.close();
  }

}
