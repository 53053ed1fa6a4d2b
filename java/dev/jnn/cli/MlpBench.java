package dev.jnn.cli;

import com.sun.management.ThreadMXBean;
import dev.jnn.backend.Backends;
import dev.jnn.data.Dataset;
import dev.jnn.train.Model;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.DenseExample;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jnn bench mlp}: training steps/s of the dense example (10-50-1, BCE, Adam, batch 32) on
 * each backend, one step = forward + backward + Adam update on one fixed batch (as the peers'
 * harnesses measure it), and the Java heap bytes the training thread allocates per step in steady
 * state (ThreadMXBean.getThreadAllocatedBytes over the timed steps).
 */
@Command(name = "mlp", description = "Dense example training steps/s per backend, and heap bytes allocated per step.")
final class MlpBench implements Callable<Integer> {
  @Option(names = "--runs", defaultValue = "9", description = "timed runs (median reported)")
  int runs;

  @Option(names = "--steps", defaultValue = "5000", description = "steps per timed run")
  int steps;

  @Option(names = "--devices", split = ",", description = "devices to measure (default: every backend that loaded)")
  java.util.List<String> devices;

  @Option(names = "--warmup", defaultValue = "20000", description = "warm-up steps (JIT) before timing")
  int warmup;

  @Override
  public Integer call() {
    System.out.printf(Locale.ROOT, "dense 10-50-1 training step (batch 32, BCE, Adam): %d warm-up steps, %d runs of %d steps; median [min..max]%n",
        warmup, runs, steps);
    Stats javaStats = null;
    for (Backends.Status s : Backends.statuses()) {
      if (!s.available()) continue;
      Device d = s.backend().device();
      if (devices != null && !devices.contains(d.toString())) continue;
      Result r = measure(d);
      if (d.equals(Device.JAVA)) javaStats = r.stepsPerSecond;
      System.out.printf(Locale.ROOT, "%-5s %s steps/s   heap %.0f bytes/step%s%n", d, r.stepsPerSecond.format("%9.0f"), r.bytesPerStep,
          javaStats == null || d.equals(Device.JAVA) ? "" : String.format(Locale.ROOT, "   %.2fx java", r.stepsPerSecond.median() / javaStats.median()));
    }
    return 0;
  }

  record Result(Stats stepsPerSecond, double bytesPerStep) {}

  Result measure(Device d) {
    DenseExample.Data data = DenseExample.data(1, 1000, 32);
    Dataset train = data.train();
    Tensor x = train.features().rows(0, 32).copy().to(d), y = train.targets().rows(0, 32).copy().to(d);
    Model m = DenseExample.compiledModel(DenseExample.Config.defaults().withDevice(d));
    for (int i = 0; i < warmup; i++) m.trainOnBatch(x, y);
    ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    double[] sps = new double[runs];
    long bytes = 0, total = 0;
    for (int r = 0; r < runs; r++) {
      long b0 = mx.getThreadAllocatedBytes(tid);
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) m.trainOnBatch(x, y);
      long t1 = System.nanoTime();
      bytes += mx.getThreadAllocatedBytes(tid) - b0;
      total += steps;
      sps[r] = steps / ((t1 - t0) * 1e-9);
    }
    Tensor.closeAll(x, y);
    m.close();
    return new Result(Stats.of(sps), (double) bytes / total);
  }
}
