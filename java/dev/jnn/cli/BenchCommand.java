package dev.jnn.cli;

import dev.jnn.backend.Backend;
import dev.jnn.backend.Backends;
import dev.jnn.backend.Gemm;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
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
@Command(name = "bench", description = "Benchmarks: all (the kernel suite: ratios to the libraries and the device peak), jmh (JMH "
    + "micro-benchmarks of call overhead), gemm (GFLOP/s vs OpenBLAS), mlp (training steps/s, heap bytes per step), cnn (samples/s, "
    + "per-layer time), lstm (tokens/s), predict (concurrent inference: 1, 2, 4 threads sharing one model), soak (heap and resident memory over a long CNN run), bert (tokens/s, heap bytes per step, per-layer time).",
    subcommands = {BenchSuiteCommand.class, BenchSummarizeCommand.class, BenchJmhCommand.class, BenchCommand.GemmBench.class, MlpBench.class, CnnBench.class, LstmBench.class,
        PredictBench.class, SoakBench.class, BertBench.class})
final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override public void run() { spec.commandLine().usage(System.out); }

  /** A named piece of work to time. */
  record Candidate(String name, Runnable body) {}

  /**
   * Times the candidates round-robin: after a warm-up of each, run r times every candidate once
   * (each run at least {@code minSeconds} long), so slow drifts of a shared machine hit all of
   * them alike. Returns per-call seconds, [candidate][run].
   */
  static double[][] timeInterleaved(List<Candidate> cands, int runs, double minSeconds) {
    int[] iters = new int[cands.size()];
    for (int c = 0; c < cands.size(); c++) {
      Runnable body = cands.get(c).body();
      long t0 = System.nanoTime();
      int calls = 0;
      while (System.nanoTime() - t0 < minSeconds * 0.5e9 || calls < 2) { body.run(); calls++; }
      double perCall = (System.nanoTime() - t0) / 1e9 / calls;
      iters[c] = (int) Math.max(1, Math.ceil(minSeconds / perCall));
    }
    double[][] out = new double[cands.size()][runs];
    for (int r = 0; r < runs; r++) {
      for (int c = 0; c < cands.size(); c++) {
        Runnable body = cands.get(c).body();
        long s = System.nanoTime();
        for (int i = 0; i < iters[c]; i++) body.run();
        out[c][r] = (System.nanoTime() - s) / 1e9 / iters[c];
      }
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
        List<Candidate> cands = new ArrayList<>();
        FloatPointer pa = null, pb = null, pc = null;
        if (cpu) {
          Loader.load(openblas_nolapack.class);
          FloatPointer a = pa = new FloatPointer(random(n * n, 1)), b = pb = new FloatPointer(random(n * n, 2));
          FloatPointer c = pc = new FloatPointer((long) n * n);
          cands.add(new Candidate("openblas (direct)", () -> openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
              openblas_nolapack.CblasNoTrans, openblas_nolapack.CblasNoTrans, n, n, n, 1f, a, n, b, n, 0f, c, n)));
        }
        List<Tensor> operands = new ArrayList<>();   // closed after timing (device tensors back to the pool; host: nothing)
        for (Backend be : backends) {
          Device d = be.device();
          Tensor a = Tensor.of(Device.JAVA, random(n * n, 1), n, n).to(d), b = Tensor.of(Device.JAVA, random(n * n, 2), n, n).to(d);
          Tensor c = Tensor.zeros(d, n, n);
          Collections.addAll(operands, a, b, c);
          cands.add(new Candidate("jnn " + be.name(), d.isHost() ? () -> be.gemm(Gemm.NN, a, b, null, c) : () -> {
            be.gemm(Gemm.NN, a, b, null, c);
            be.synchronize();   // a GPU GEMM is asynchronous: time it to completion
          }));
        }
        double[][] sec = timeInterleaved(cands, runs, minSeconds);
        Stats blas = cpu ? gflops(flops, sec[0]) : null;
        for (int i = 0; i < cands.size(); i++) {
          Stats s = gflops(flops, sec[i]);
          boolean ratio = blas != null && i > 0;
          System.out.printf("n=%-5d %-22s %s GFLOP/s%s%n", n, cands.get(i).name(), s.format("%7.1f"),
              ratio ? String.format("   %.2fx openblas (median of per-run ratios %.2f)", s.median() / blas.median(), medianRatio(sec[0], sec[i])) : "");
        }
        if (pa != null) { pa.close(); pb.close(); pc.close(); }
        for (Tensor t : operands) t.close();
      }
      return 0;
    }

    /** Median over runs of (time of the baseline run / time of the candidate's run in the same round). */
    private static double medianRatio(double[] base, double[] cand) {
      double[] r = new double[base.length];
      for (int i = 0; i < r.length; i++) r[i] = base[i] / cand[i];
      return Stats.of(r).median();
    }

    private static Stats gflops(double flops, double[] seconds) {
      double[] g = new double[seconds.length];
      for (int i = 0; i < g.length; i++) g[i] = flops / seconds[i] / 1e9;
      return Stats.of(g);
    }
  }
}
