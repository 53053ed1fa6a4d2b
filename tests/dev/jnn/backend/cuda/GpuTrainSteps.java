package dev.jnn.backend.cuda;

import dev.jnn.backend.Backends;
import dev.jnn.backend.SimulatedDevice;
import dev.jnn.loss.BceLoss;
import dev.jnn.loss.Loss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.CnnExample;
import dev.jnn.train.DenseExample;
import dev.jnn.train.Model;
import dev.jnn.train.SequenceExamples;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Training steps of jnn's four example networks on synthetic data, for bin/gpu-check (no data set
 * and no network on the GPU machine): a few steps under compute-sanitizer memcheck, and a long run
 * whose device memory must stay flat. Batches change shape as in real training (a last partial
 * batch, a shorter sequence), so the per-shape caches are exercised. Prints one {@code MEM} line
 * per report and a {@code RESULT} line per example:
 *
 * <pre>
 * GpuTrainSteps [--device cuda:0|simulated] [--steps N] [--report-every K] [--check-flat] dense|cnn|char-lstm|text-classifier|all ...
 * MEM   cnn step 500 loss 2.2931 allocated 12.0 MiB reserved 18.0 MiB mallocs 14 frees 0
 * RESULT cnn steps 1000 flat yes first-loss 2.3051 last-loss 2.2873 (after warm-up at step 100: ...)
 * </pre>
 *
 * On {@code simulated} (no GPU: the rehearsal) memory is the simulated device's live blocks and
 * allocation count. Exit status 1 when {@code --check-flat} is given and memory grew after the
 * warm-up, 2 on bad arguments.
 */
public final class GpuTrainSteps {
  private GpuTrainSteps() {}

  /** One batch: the model's input and target, on the device. */
  private record Batch(Tensor x, Tensor y) {}

  /** Memory figures: the pool's bytes live and held from the device and its device mallocs and frees; on the simulated device, blocks. */
  private record Mem(long allocated, long reserved, long mallocs, long frees, boolean simulated) {
    boolean sameAs(Mem o) { return allocated == o.allocated && reserved == o.reserved && mallocs == o.mallocs && frees == o.frees; }

    @Override public String toString() {
      if (simulated) return "live blocks " + allocated + " allocations " + mallocs + " releases " + frees;
      return "allocated " + CachingAllocator.human(allocated) + " reserved " + CachingAllocator.human(reserved) + " mallocs " + mallocs + " frees " + frees;
    }
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /** Runs the command line {@code args}, printing to {@code out}; returns the exit status. */
  static int run(String[] args, java.io.PrintStream out) {
    String deviceName = "cuda:0";
    int steps = 20, every = 0;
    boolean checkFlat = false;
    List<String> examples = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--device" -> deviceName = args[++i];
        case "--steps" -> steps = Integer.parseInt(args[++i]);
        case "--report-every" -> every = Integer.parseInt(args[++i]);
        case "--check-flat" -> checkFlat = true;
        case "all" -> examples.addAll(List.of("dense", "cnn", "char-lstm", "text-classifier"));
        case "dense", "cnn", "char-lstm", "text-classifier" -> examples.add(args[i]);
        default -> {
          System.err.println("GpuTrainSteps: unknown argument " + args[i]
              + " (usage: [--device cuda:0|simulated] [--steps N] [--report-every K] [--check-flat] dense|cnn|char-lstm|text-classifier|all ...)");
          return 2;
        }
      }
    }
    if (examples.isEmpty() || steps < 1) {
      System.err.println("GpuTrainSteps: name at least one example and --steps >= 1");
      return 2;
    }
    boolean grew = false;
    if (deviceName.equals("simulated")) {
      try (SimulatedDevice sim = SimulatedDevice.install(Device.cuda(7))) {
        out.println("device: " + sim.backend().describe());
        for (String ex : examples) grew |= !train(out, ex, sim.device(), steps, every, () -> new Mem(sim.liveBlocks(), sim.liveBlocks(), sim.allocations(), sim.releases(), true));
      }
    } else {
      Device d = Device.parse(deviceName);
      out.println("device: " + Backends.get(d).describe());
      CudaContext ctx = CudaContext.of(d.index());
      for (String ex : examples) {
        grew |= !train(out, ex, d, steps, every, () -> {
          CachingAllocator.Stats s = ctx.pool().stats();
          return new Mem(s.allocatedBytes(), s.reservedBytes(), s.deviceMallocs(), s.deviceFrees(), false);
        });
      }
      out.println("pool after the runs: " + ctx.pool().stats() + "; " + ((CudaBackend) Backends.get(d)).cacheStats());
    }
    return checkFlat && grew ? 1 : 0;
  }

  /** Trains {@code steps} steps of one example; returns whether memory stayed flat after the warm-up. */
  private static boolean train(java.io.PrintStream out, String example, Device device, int steps, int every, java.util.function.Supplier<Mem> mem) {
    SplittableRandom rng = new SplittableRandom(example.hashCode());
    Model m;
    Loss loss;
    List<Batch> batches = new ArrayList<>();
    double lr = 1e-3;
    switch (example) {
      case "dense" -> {
        m = DenseExample.model(1);
        loss = new BceLoss();
        for (int b : new int[] {32, 32, 32, 8}) batches.add(new Batch(uniform(device, rng, -1, 1, b, DenseExample.INPUTS), binary(device, rng, b, 1)));
      }
      case "cnn" -> {
        m = CnnExample.fashionMnistCnn(1);
        loss = new SoftmaxCrossEntropyLoss();
        for (int b : new int[] {64, 64, 64, 23}) batches.add(new Batch(uniform(device, rng, 0, 1, b, 1, 28, 28), ids(device, rng, CnnExample.CLASSES, b)));
      }
      case "char-lstm" -> {
        int vocab = 80;
        m = SequenceExamples.charLstm(vocab, 1);
        loss = new SoftmaxCrossEntropyLoss();
        lr = 2e-3;
        for (int t : new int[] {64, 64, 37}) batches.add(new Batch(ids(device, rng, vocab, 32, t), ids(device, rng, vocab, 32, t)));
      }
      case "text-classifier" -> {
        m = SequenceExamples.textClassifier(1000, 1);
        loss = new BceLoss();
        lr = 1e-2;
        for (int t : new int[] {40, 40, 17}) batches.add(new Batch(ids(device, rng, 1000, 32, t), binary(device, rng, 32, 1)));
      }
      default -> throw new IllegalArgumentException(example);
    }
    m.to(device).compile(loss, Adam.builder().lr(lr).build());
    int warmup = Math.min(steps, Math.max(2 * batches.size(), steps / 10));
    Mem atWarmup = null;
    float first = Float.NaN, last = Float.NaN;
    long t0 = System.nanoTime();
    for (int s = 1; s <= steps; s++) {
      Batch b = batches.get((s - 1) % batches.size());
      last = m.trainOnBatch(b.x(), b.y());
      if (s == 1) first = last;
      if (s == warmup) {
        Backends.get(device).synchronize();
        atWarmup = mem.get();
      }
      if (every > 0 && (s % every == 0 || s == 1)) out.printf(Locale.ROOT, "MEM   %s step %d loss %.4f %s%n", example, s, last, mem.get());
    }
    Backends.get(device).synchronize();
    double seconds = (System.nanoTime() - t0) / 1e9;
    Mem end = mem.get();
    boolean flat = atWarmup != null && atWarmup.sameAs(end);
    out.printf(Locale.ROOT, "RESULT %s steps %d flat %s first-loss %.4f last-loss %.4f %.1f steps/s (after warm-up at step %d: %s; at the end: %s)%n",
        example, steps, flat ? "yes" : "NO", first, last, steps / seconds, warmup, atWarmup, end);
    m.close();
    for (Batch b : batches) {
      b.x().close();
      b.y().close();
    }
    return flat;
  }

  private static Tensor upload(Device d, float[] v, int... shape) {
    Tensor t = Tensor.zeros(d, shape);
    t.copyFrom(v, 0);
    return t;
  }

  private static Tensor uniform(Device d, SplittableRandom rng, double lo, double hi, int... shape) {
    float[] v = new float[Tensor.sizeOf(shape)];
    for (int i = 0; i < v.length; i++) v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
    return upload(d, v, shape);
  }

  private static Tensor ids(Device d, SplittableRandom rng, int classes, int... shape) {
    float[] v = new float[Tensor.sizeOf(shape)];
    for (int i = 0; i < v.length; i++) v[i] = rng.nextInt(classes);
    return upload(d, v, shape);
  }

  private static Tensor binary(Device d, SplittableRandom rng, int... shape) { return ids(d, rng, 2, shape); }
}
