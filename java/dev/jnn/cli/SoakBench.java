package dev.jnn.cli;

import dev.jnn.backend.Backends;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.CnnExample;
import dev.jnn.train.Model;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jnn bench soak}: a long training run of the tutorial CNN (trainOnBatch over a fixed set of
 * synthetic batches) that prints, every so many steps, the heap in use after a full GC and the
 * process's resident memory (VmRSS): both must stay flat once the first steps have allocated the
 * per-shape buffers.
 */
@Command(name = "soak", description = "Long CNN training run: heap after GC and resident memory every N steps (both should stay flat).")
final class SoakBench implements Callable<Integer> {
  @Option(names = "--steps", defaultValue = "10000", description = "training steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--batch", defaultValue = "32", description = "batch size (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--every", defaultValue = "1000", description = "report every N steps (default: ${DEFAULT-VALUE})")
  int every;

  @Mixin DeviceOption device;

  @Override
  public Integer call() throws IOException {
    Cli.atLeast("--steps", steps, 1);
    Cli.atLeast("--batch", batch, 1);
    Cli.atLeast("--every", every, 1);
    Device d = device.resolve();
    Model m = CnnExample.fashionMnistCnn(1).to(d);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-3).build());
    int sets = 8;
    Tensor[] xs = new Tensor[sets], ys = new Tensor[sets];
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < sets; i++) {
      xs[i] = Tensor.of(Device.JAVA, BenchCommand.random(batch * 28 * 28, 100 + i), batch, 1, 28, 28).to(d);
      float[] y = new float[batch];
      for (int k = 0; k < batch; k++) y[k] = r.nextInt(CnnExample.CLASSES);
      ys[i] = Tensor.of(Device.JAVA, y, batch, 1).to(d);
    }
    System.out.printf(Locale.ROOT, "tutorial CNN, batch %d, Adam, %d steps on %s (%s); heap after a full GC and VmRSS every %d steps%n", batch, steps, d,
        Backends.get(d).describe(), every);
    System.out.printf(Locale.ROOT, "%8s %12s %12s %10s %10s%n", "step", "heap MiB", "RSS MiB", "steps/s", "loss");
    double heap0 = Double.NaN, rss0 = Double.NaN, heapLast = 0, rssLast = 0, heapMax = 0, rssMax = 0, heapMin = Double.MAX_VALUE, rssMin = Double.MAX_VALUE;
    long t0 = System.nanoTime();
    float loss = Float.NaN;
    for (int s = 1; s <= steps; s++) {
      loss = m.trainOnBatch(xs[s % sets], ys[s % sets]);
      if (s % every == 0 || s == steps) {
        double rate = every / ((System.nanoTime() - t0) / 1e9);
        double heap = heapAfterGc(), rss = rssMiB();
        System.out.printf(Locale.ROOT, "%8d %12.2f %12.1f %10.1f %10.4f%n", s, heap, rss, rate, loss);
        if (Double.isNaN(heap0)) {
          heap0 = heap;
          rss0 = rss;
        }
        heapLast = heap;
        rssLast = rss;
        heapMax = Math.max(heapMax, heap);
        heapMin = Math.min(heapMin, heap);
        rssMax = Math.max(rssMax, rss);
        rssMin = Math.min(rssMin, rss);
        t0 = System.nanoTime();
      }
    }
    System.out.printf(Locale.ROOT, "first report to last: heap %.2f -> %.2f MiB (min %.2f, max %.2f); RSS %.1f -> %.1f MiB (min %.1f, max %.1f)%n",
        heap0, heapLast, heapMin, heapMax, rss0, rssLast, rssMin, rssMax);
    m.close();
    return 0;
  }

  private static double heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
  }

  /** Resident memory of this process (Linux /proc/self/status VmRSS), NaN elsewhere. */
  private static double rssMiB() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) return Double.NaN;
    for (String line : Files.readAllLines(status))
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
    return Double.NaN;
  }
}
