package dev.jnn.cli;

import dev.jnn.backend.Backends;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.CnnExample;
import dev.jnn.train.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jnn bench predict}: images/s of {@code Model.predict} on the tutorial CNN when 1, 2, 4...
 * threads share one model, against the same threads taking turns (what a lock around predict
 * gives). Rounds interleave the configurations, so a shared machine's drift hits all alike.
 */
@Command(name = "predict", description = "Concurrent inference: tutorial-CNN predict images/s with 1, 2, 4 threads sharing one model, "
    + "on replicas vs taking turns.")
final class PredictBench implements Callable<Integer> {
  @Option(names = "--threads", split = ",", defaultValue = "1,2,4", description = "thread counts (default: ${DEFAULT-VALUE})")
  int[] threads;

  @Option(names = "--batch", defaultValue = "64", description = "images per predict call (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--runs", defaultValue = "5", description = "rounds (median reported; default: ${DEFAULT-VALUE})")
  int runs;

  @Option(names = "--seconds", defaultValue = "2", description = "length of one timed run (default: ${DEFAULT-VALUE})")
  double seconds;

  @Mixin DeviceOption device;

  @Override
  public Integer call() throws Exception {
    Cli.require(threads.length > 0, "--threads needs at least one count");
    for (int t : threads) Cli.require(t >= 1, "--threads: counts must be >= 1, got " + t);
    Cli.require(batch >= 1, "--batch must be >= 1, got " + batch);
    Cli.require(runs >= 1, "--runs must be >= 1, got " + runs);
    Cli.require(seconds > 0, "--seconds must be > 0, got " + seconds);
    Device d = device.resolve();
    Model m = CnnExample.fashionMnistCnn(1).to(d);
    Tensor x = Tensor.of(Device.JAVA, BenchCommand.random(batch * 28 * 28, 3), batch, 1, 28, 28).to(d);
    System.out.printf(Locale.ROOT, "tutorial CNN predict, batch %d, on %s (%s); %d processors; %d rounds of %.1f s per configuration; "
        + "images/s median [min..max]%n", batch, d, Backends.get(d).describe(), Runtime.getRuntime().availableProcessors(), runs, seconds);
    int maxThreads = 1;
    for (int t : threads) maxThreads = Math.max(maxThreads, t);
    ExecutorService pool = Executors.newFixedThreadPool(maxThreads);
    try {
      double[][] shared = new double[threads.length][runs], turns = new double[threads.length][runs];
      m.maxConcurrentInference(maxThreads);
      run(m, x, pool, 1, seconds / 2);   // warm-up (replicas made, JIT)
      run(m, x, pool, maxThreads, seconds / 2);
      for (int r = 0; r < runs; r++) {
        for (int i = 0; i < threads.length; i++) {
          m.maxConcurrentInference(threads[i]);
          shared[i][r] = run(m, x, pool, threads[i], seconds);
          m.maxConcurrentInference(1);
          turns[i][r] = run(m, x, pool, threads[i], seconds);
        }
      }
      double one = Stats.of(shared[0]).median();
      System.out.printf(Locale.ROOT, "%-8s %-34s %-34s%n", "threads", "replicas (the default)", "taking turns (maxConcurrentInference(1))");
      for (int i = 0; i < threads.length; i++) {
        Stats s = Stats.of(shared[i]), t = Stats.of(turns[i]);
        System.out.printf(Locale.ROOT, "%-8d %-34s %-34s%n", threads[i], s.format("%.0f") + String.format(Locale.ROOT, " (%.2fx)", s.median() / one),
            t.format("%.0f") + String.format(Locale.ROOT, " (%.2fx)", t.median() / one));
      }
      System.out.printf(Locale.ROOT, "(ratios: to %d thread(s) on replicas; replicas made: at most %d)%n", threads[0], maxThreads - 1);
    } finally {
      pool.shutdownNow();
      m.close();
    }
    return 0;
  }

  /** Images/s of n threads calling predict for the given time. */
  private static double run(Model m, Tensor x, ExecutorService pool, int n, double seconds) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    List<Future<Long>> fs = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int t = 0; t < n; t++) {
      fs.add(pool.submit(() -> {
        long images = 0;
        while (!stop.get()) {
          m.predict(x, x.dim(0)).close();
          images += x.dim(0);
        }
        return images;
      }));
    }
    Thread.sleep((long) (seconds * 1000));
    stop.set(true);
    long images = 0;
    for (Future<Long> f : fs) images += f.get();
    return images / ((System.nanoTime() - t0) / 1e9);
  }
}
