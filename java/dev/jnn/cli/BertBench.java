package dev.jnn.cli;

import com.sun.management.ThreadMXBean;
import dev.jnn.backend.Backends;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.optim.Adam;
import dev.jnn.profile.ProfileReport;
import dev.jnn.profile.Profiler;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.BertExamples;
import dev.jnn.train.Model;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jnn bench bert}: the BERT-style encoder in the peers' configuration (vocabulary 1000,
 * sequence 64, d 128, 4 heads, feed-forward 512, 2 post-LN GELU layers, dropout 0.1, batch 32, a
 * Dense(128, 1000) on every position, softmax cross-entropy over all 2048 positions, Adam 1e-3),
 * on four random batches used in turn: training and inference (forward without dropout) tokens/s
 * per backend, the Java heap bytes the training thread allocates per steady-state step
 * (ThreadMXBean, as {@code bench mlp}; counted over {@code --heap-steps} steps after the timed
 * runs and {@code --heap-warmup} more, when the JIT has compiled the step and stopped
 * deoptimizing it: before that, the interpreter's and the JIT's
 * transitions show up as a few bytes per step that no jnn code allocates), and the profiler's per-layer and per-kernel table of
 * training steps. jnn's encoder also takes a key mask (all ones here: no padding, as the peers)
 * and applies dropout after the embeddings' LayerNorm (BERT does; the peers' model does not).
 */
@Command(name = "bert", description = "BERT-style encoder (vocab 1000, seq 64, d 128, 4 heads, ff 512, 2 layers, batch 32, token head, Adam): "
    + "training/inference tokens/s per backend, heap bytes per step, per-layer time.")
final class BertBench implements Callable<Integer> {
  @Option(names = "--batch", defaultValue = "32") int batch;
  @Option(names = "--seq-len", defaultValue = "64") int seqLen;
  @Option(names = "--vocab", defaultValue = "1000") int vocab;
  @Option(names = "--hidden", defaultValue = "128") int hidden;
  @Option(names = "--heads", defaultValue = "4") int heads;
  @Option(names = "--intermediate", defaultValue = "512") int intermediate;
  @Option(names = "--layers", defaultValue = "2") int layers;
  @Option(names = "--runs", defaultValue = "9", description = "timed runs (median reported; default: ${DEFAULT-VALUE})") int runs;
  @Option(names = "--steps", defaultValue = "10", description = "training steps per timed run; inference runs twice as many (default: ${DEFAULT-VALUE})")
  int steps;
  @Option(names = "--warmup", defaultValue = "5", description = "warm-up steps (default: ${DEFAULT-VALUE})") int warmup;
  @Option(names = "--profile-steps", defaultValue = "10", description = "training steps in the per-layer table, 0: none (default: ${DEFAULT-VALUE})")
  int profileSteps;
  @Option(names = "--heap-warmup", defaultValue = "100", description = "untimed steps before the heap window, so the JIT has settled "
      + "(default: ${DEFAULT-VALUE})") int heapWarmup;
  @Option(names = "--heap-steps", defaultValue = "50", description = "steady-state steps (after the timed runs) whose heap allocation is reported "
      + "(default: ${DEFAULT-VALUE}; inference counts twice as many)") int heapSteps;
  @Option(names = "--devices", split = ",", description = "devices to measure (default: every backend that loaded)") List<String> devices;

  /** Random batches used in turn, as the peers do. */
  static final int BATCHES = 4;

  @Override
  public Integer call() {
    System.out.printf(Locale.ROOT, "BERT-style encoder: vocabulary %d, sequence %d, d %d, %d heads, feed-forward %d, %d layers, dropout %.1f, batch %d, "
        + "Dense(%d, %d) on every position, softmax cross-entropy, Adam 1e-3; %d random batches in turn; %d warm-up steps, %d runs of %d training "
        + "(%d inference) steps; median [min..max]%n", vocab, seqLen, hidden, heads, intermediate, layers, BertExamples.DROPOUT, batch, hidden, vocab, BATCHES,
        warmup, runs, steps, 2 * steps);
    List<Backends.Status> order = new ArrayList<>(Backends.statuses());
    Collections.reverse(order);   // native first (see CnnBench)
    for (Backends.Status s : order) {
      if (!s.available()) continue;
      Device d = s.backend().device();
      if (devices != null && !devices.contains(d.toString())) continue;
      measure(d);
    }
    return 0;
  }

  private void measure(Device d) {
    Model m = BertExamples.tokenHead(BertExamples.config(vocab, seqLen, hidden, layers, heads, intermediate), seqLen, 1).to(d);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-3).build());
    SplittableRandom rng = new SplittableRandom(7);
    Tensor[][] xs = new Tensor[BATCHES][];
    Tensor[] ys = new Tensor[BATCHES];
    float[] ones = new float[batch * seqLen];
    java.util.Arrays.fill(ones, 1f);
    for (int b = 0; b < BATCHES; b++) {
      float[] ids = new float[batch * seqLen], y = new float[batch * seqLen];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = rng.nextInt(vocab);
        y[i] = rng.nextInt(vocab);
      }
      xs[b] = new Tensor[] {Tensor.of(Device.JAVA, ids, batch, seqLen).to(d), Tensor.of(Device.JAVA, ones, batch, seqLen).to(d)};
      ys[b] = Tensor.of(Device.JAVA, y, batch, seqLen).to(d);
    }
    double tokens = (double) batch * seqLen;
    float first = 0, last = 0;
    for (int i = 0; i < warmup; i++) {
      float l = m.trainOnBatch(xs[i % BATCHES], ys[i % BATCHES]);
      if (i == 0) first = l;
    }
    ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    double[] train = new double[runs], infer = new double[runs];
    int k = 0;
    for (int r = 0; r < runs; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++, k++) last = m.trainOnBatch(xs[k % BATCHES], ys[k % BATCHES]);
      m.network().backend().synchronize();
      train[r] = steps * tokens / ((System.nanoTime() - t0) * 1e-9);
    }
    for (int i = 0; i < heapWarmup; i++, k++) m.trainOnBatch(xs[k % BATCHES], ys[k % BATCHES]);
    long b0 = mx.getThreadAllocatedBytes(tid);
    for (int i = 0; i < heapSteps; i++, k++) last = m.trainOnBatch(xs[k % BATCHES], ys[k % BATCHES]);
    long bytes = mx.getThreadAllocatedBytes(tid) - b0;
    for (int i = 0; i < warmup; i++) m.forward(xs[i % BATCHES], false);
    for (int r = 0; r < runs; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < 2 * steps; i++, k++) m.forward(xs[k % BATCHES], false);
      m.network().backend().synchronize();   // a GPU runs the forwards asynchronously
      infer[r] = 2 * steps * tokens / ((System.nanoTime() - t0) * 1e-9);
    }
    for (int i = 0; i < heapWarmup; i++, k++) m.forward(xs[k % BATCHES], false);
    b0 = mx.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 2 * heapSteps; i++, k++) m.forward(xs[k % BATCHES], false);
    long ib = mx.getThreadAllocatedBytes(tid) - b0;
    System.out.printf(Locale.ROOT, "%-5s train %s tokens/s   inference %s tokens/s%n", d, Stats.of(train).format("%7.0f"), Stats.of(infer).format("%7.0f"));
    System.out.printf(Locale.ROOT, "      heap %.0f bytes per training step, %.0f per inference step (this thread, over %d and %d steps after the timed runs and %d more); "
        + "loss %.4f after the first step, %.4f after %d%n", (double) bytes / Math.max(1, heapSteps), (double) ib / Math.max(1, 2 * heapSteps),
        heapSteps, 2 * heapSteps, heapWarmup, first, last, warmup + runs * steps + heapWarmup + heapSteps);
    if (profileSteps > 0) {
      ProfileReport rep;
      try (Profiler p = Profiler.builder().model(m.network()).warmupSteps(1).steps(profileSteps).start()) {
        for (int i = 0; i <= profileSteps; i++, k++) m.trainOnBatch(xs[k % BATCHES], ys[k % BATCHES]);
        rep = p.report();
      }
      System.out.print(rep.table(12).indent(6));
    }
    for (int b = 0; b < BATCHES; b++) Tensor.closeAll(xs[b][0], xs[b][1], ys[b]);
    m.close();
  }
}
