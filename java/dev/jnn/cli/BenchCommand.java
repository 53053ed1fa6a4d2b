package dev.jnn.cli;

import dev.jnn.backend.Backend;
import dev.jnn.backend.Backends;
import dev.jnn.backend.Gemm;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jnn bench}: benchmarks reported as ratios against baselines measured in the same
 * process (OpenBLAS called directly through its preset, the Java backend). Each figure is the
 * median of several timed runs after warm-up, with the min..max spread.
 */
@Command(name = "bench", description = "Benchmarks: gemm (GFLOP/s vs OpenBLAS), mlp (training steps/s, heap bytes per step).",
    subcommands = {BenchCommand.GemmBench.class, MlpBench.class})
final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override public void run() { spec.commandLine().usage(System.out); }

  /** Runs {@code body} in timed runs of at least {@code minSeconds}, returning the per-call seconds of each run. */
  static double[] time(Runnable body, int runs, double minSeconds) {
    long t0 = System.nanoTime();
    int calls = 0;
    while (System.nanoTime() - t0 < minSeconds * 0.5e9 || calls < 2) { body.run(); calls++; }   // warm-up
    double perCall = (System.nanoTime() - t0) / 1e9 / calls;
    int iters = (int) Math.max(1, Math.ceil(minSeconds / perCall));
    double[] out = new double[runs];
    for (int r = 0; r < runs; r++) {
      long s = System.nanoTime();
      for (int i = 0; i < iters; i++) body.run();
      out[r] = (System.nanoTime() - s) / 1e9 / iters;
    }
    return out;
  }

  static float[] random(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (rng.nextDouble() * 2 - 1);
    return a;
  }

  @Command(name = "gemm", description = "Square SGEMM GFLOP/s on each backend and on OpenBLAS called directly, with ratios.")
  static final class GemmBench implements Callable<Integer> {
    @Option(names = "--sizes", split = ",", defaultValue = "256,1024,2048", description = "square sizes n (default: ${DEFAULT-VALUE})")
    int[] sizes;

    @Option(names = "--runs", defaultValue = "7", description = "timed runs per figure (median reported)")
    int runs;

    @Option(names = "--min-seconds", defaultValue = "0.3", description = "minimum length of one timed run")
    double minSeconds;

    @Override
    public Integer call() {
      List<Backend> backends = new ArrayList<>();
      for (Backends.Status s : Backends.statuses()) if (s.available()) backends.add(s.backend());
      boolean cpu = Backends.statuses().stream().anyMatch(s -> s.name().equals("cpu") && s.available());
      System.out.printf("SGEMM C = A B, square n, float32, %d runs of >= %.1f s each; GFLOP/s = 2n^3/t, median [min..max]%n",
          runs, minSeconds);
      for (Backend b : backends) System.out.println("  " + b.name() + ": " + b.describe());
      for (int n : sizes) {
        double flops = 2.0 * n * n * n;
        Stats blas = null;
        if (cpu) {
          Loader.load(openblas_nolapack.class);
          try (FloatPointer a = new FloatPointer(random(n * n, 1)); FloatPointer b = new FloatPointer(random(n * n, 2));
               FloatPointer c = new FloatPointer((long) n * n)) {
            blas = gflops(flops, time(() -> openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasNoTrans, n, n, n, 1f, a, n, b, n, 0f, c, n), runs, minSeconds));
          }
          System.out.printf("n=%-5d %-22s %s GFLOP/s%n", n, "openblas (direct)", blas.format("%7.1f"));
        }
        for (Backend be : backends) {
          Device d = be.device();
          Tensor a = Tensor.of(d, random(n * n, 1), n, n), b = Tensor.of(d, random(n * n, 2), n, n), c = Tensor.zeros(d, n, n);
          Stats s = gflops(flops, time(() -> be.gemm(Gemm.NN, a, b, null, c), runs, minSeconds));
          System.out.printf("n=%-5d %-22s %s GFLOP/s%s%n", n, "jnn " + be.name(), s.format("%7.1f"),
              blas == null ? "" : String.format("   %.2fx openblas", s.median() / blas.median()));
        }
      }
      return 0;
    }

    private static Stats gflops(double flops, double[] seconds) {
      double[] g = new double[seconds.length];
      for (int i = 0; i < g.length; i++) g[i] = flops / seconds[i] / 1e9;
      return Stats.of(g);
    }
  }
}
