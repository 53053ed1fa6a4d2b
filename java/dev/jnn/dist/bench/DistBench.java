package dev.jnn.dist.bench;

import dev.jnn.data.Dataset;
import dev.jnn.dist.DistEnv;
import dev.jnn.dist.DistributedDataParallel;
import dev.jnn.dist.ProcessGroup;
import dev.jnn.dist.ProcessGroups;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.CnnExample;
import dev.jnn.train.FitOptions;
import dev.jnn.train.Model;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The measurements of docs/DISTRIBUTED.md, run as the ranks of a job ({@code jnn launch --main}) or
 * as one process; rank 0 prints.
 *
 * <pre>
 * ./jnn launch --nproc 2 --main dev.jnn.dist.bench.DistBench allreduce        # ms per MiB over loopback, Gloo
 * ./jnn launch --nproc 2 --main dev.jnn.dist.bench.DistBench cnn              # tutorial-CNN training samples/s, 2 x 1 thread
 * OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 java -cp ... dev.jnn.dist.bench.DistBench cnn   # 1 x 2 threads
 * </pre>
 *
 * <p>{@code allreduce [MiB,...] [repeats]}: for each size, 3 warm-up and {@code repeats} (default
 * 20) timed all-reduces (AVG, float32, host tensors), median and 10th/90th percentiles.
 * {@code cnn [repeats] [steps]}: the tutorial CNN (1x28x28, Adam) on seeded synthetic images,
 * global batch 64, {@code steps} (default 40) steps per timed fit after one warm-up fit,
 * {@code repeats} (default 5) fits; samples/s over all ranks, median and range.
 */
public final class DistBench {
  private DistBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || !(args[0].equals("allreduce") || args[0].equals("cnn")))
      throw new IllegalArgumentException("usage: DistBench allreduce [MiB,...] [repeats] | cnn [repeats] [steps]");
    DistEnv env = DistEnv.fromEnvironment();
    try (ProcessGroup g = ProcessGroups.init(env, Device.CPU)) {
      if (args[0].equals("allreduce")) allReduce(g, args.length > 1 ? args[1] : "0.25,1,4,16,64", args.length > 2 ? Integer.parseInt(args[2]) : 20);
      else cnn(g, args.length > 1 ? Integer.parseInt(args[1]) : 5, args.length > 2 ? Integer.parseInt(args[2]) : 40);
    }
    System.exit(0);
  }

  static void allReduce(ProcessGroup g, String sizes, int repeats) {
    if (g.rank() == 0)
      System.out.printf(Locale.ROOT, "all-reduce (AVG, float32, host tensors) over %d processes, %s; %d timed repeats after 3 warm-up%n", g.worldSize(), g.backend(), repeats);
    for (String s : sizes.split(",")) {
      double mib = Double.parseDouble(s);
      int n = (int) Math.round(mib * 1048576 / Float.BYTES);
      Tensor t = Tensor.zeros(Device.CPU, n);
      t.fill(1f);
      double[] ms = new double[repeats];
      for (int i = -3; i < repeats; i++) {
        g.barrier();
        long t0 = System.nanoTime();
        g.allReduce(t, ProcessGroup.ReduceOp.AVG);
        if (i >= 0) ms[i] = (System.nanoTime() - t0) * 1e-6;
      }
      Arrays.sort(ms);
      if (g.rank() == 0)
        System.out.printf(Locale.ROOT, "%8.2f MiB: median %8.3f ms (p10 %8.3f, p90 %8.3f) = %.3f ms/MiB, %.2f GB/s algorithm bandwidth%n", mib, ms[repeats / 2],
            ms[repeats / 10], ms[repeats * 9 / 10], ms[repeats / 2] / mib, mib * 1048576 / (ms[repeats / 2] * 1e-3) / 1e9);
    }
  }

  static void cnn(ProcessGroup g, int repeats, int steps) {
    int batch = 64, n = batch * steps;
    SplittableRandom rng = new SplittableRandom(3);
    float[] x = new float[n * 784];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = rng.nextInt(10);
      for (int p = 0; p < 784; p++) x[i * 784 + p] = (float) rng.nextDouble();
    }
    Dataset data = Dataset.ofLabels(Tensor.of(x, n, 1, 28, 28), y);
    Model m = CnnExample.fashionMnistCnn(1).to(Device.CPU).compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-3).build());
    DistributedDataParallel ddp = g.worldSize() > 1 ? DistributedDataParallel.wrap(m, g) : null;
    FitOptions o = FitOptions.builder().epochs(1).batchSize(batch).seed(1).build();
    m.fit(data, o);   // warm-up
    double[] rate = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      g.barrier();
      long t0 = System.nanoTime();
      m.fit(data, o);
      g.barrier();
      rate[r] = n / ((System.nanoTime() - t0) * 1e-9);
    }
    Arrays.sort(rate);
    if (g.rank() == 0) {
      System.out.printf(Locale.ROOT, "tutorial CNN training, global batch %d, %d steps per fit, %d process(es) x %s kernel thread(s): median %.0f samples/s (min %.0f, max %.0f)%n",
          batch, steps, g.worldSize(), System.getenv().getOrDefault("OMP_NUM_THREADS", "default"), rate[repeats / 2], rate[0], rate[repeats - 1]);
      if (ddp != null) System.out.println("  gradient sync: " + ddp.stats());
    }
    if (ddp != null) ddp.close();
  }
}
