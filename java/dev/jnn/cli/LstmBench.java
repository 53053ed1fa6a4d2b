package dev.jnn.cli;

import dev.jnn.backend.Backends;
import dev.jnn.loss.Loss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Embedding;
import dev.jnn.nn.GRU;
import dev.jnn.nn.LSTM;
import dev.jnn.nn.Layer;
import dev.jnn.train.Model;
import dev.jnn.nn.TimeDistributed;
import dev.jnn.optim.Adam;
import dev.jnn.optim.Optimizer;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jnn bench lstm}: training tokens/s of the char-LSTM shape the peers measure (2 x
 * LSTM(128), batch 32, sequence 64, vocabulary 80, a Dense over the vocabulary at every step,
 * softmax cross-entropy, Adam). The peers feed one-hot vectors (input size 80); jnn feeds an
 * Embedding(80, 80), the same input GEMM width, which is how a one-hot input is computed anyway.
 */
@Command(name = "lstm", description = "Char-LSTM training tokens/s per backend (2 x LSTM(128), batch 32, seq 64, vocab 80) and per-layer time; "
    + "--cell gru: the same shape with GRU layers.")
final class LstmBench implements Callable<Integer> {
  @Option(names = "--batch", defaultValue = "32") int batch;
  @Option(names = "--seq-len", defaultValue = "64") int seqLen;
  @Option(names = "--vocab", defaultValue = "80") int vocab;
  @Option(names = "--hidden", defaultValue = "128") int hidden;
  @Option(names = "--runs", defaultValue = "7", description = "timed runs (median reported)") int runs;
  @Option(names = "--steps", defaultValue = "10", description = "steps per timed run") int steps;
  @Option(names = "--warmup", defaultValue = "5", description = "warm-up steps") int warmup;
  @Option(names = "--cell", defaultValue = "lstm", description = "lstm or gru: the recurrent layers' cell, same shape (default: ${DEFAULT-VALUE})")
  String cell;
  @Option(names = "--devices", split = ",", description = "devices to measure (default: every backend that loaded)") List<String> devices;

  @Override
  public Integer call() {
    if (!cell.equals("lstm") && !cell.equals("gru")) throw new IllegalArgumentException("--cell must be lstm or gru, got '" + cell + "'");
    String name = cell.toUpperCase(Locale.ROOT);
    System.out.printf(Locale.ROOT, "char-%s: Embedding(%d, %d) -> %s(%d, 2 layers) -> Dense(%d) per step, batch %d, sequence %d, Adam, "
        + "softmax cross-entropy; %d warm-up steps, %d runs of %d steps; median [min..max]%n", name, vocab, vocab, name, hidden, vocab, batch, seqLen, warmup,
        runs, steps);
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
    Layer rnn = cell.equals("gru") ? GRU.builder().inputSize(vocab).hiddenSize(hidden).numLayers(2).build()
        : LSTM.builder().inputSize(vocab).hiddenSize(hidden).numLayers(2).build();
    Model m = Model.sequential(new Embedding(vocab, vocab), rnn,
        new TimeDistributed(new Dense(hidden, vocab))).init(1).to(d);
    Loss loss = new SoftmaxCrossEntropyLoss();
    Optimizer opt = Adam.builder().lr(2e-3).build();
    m.compile(loss, opt);
    SplittableRandom rng = new SplittableRandom(7);
    float[] xs = new float[batch * seqLen], ys = new float[batch * seqLen];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = rng.nextInt(vocab);
      ys[i] = rng.nextInt(vocab);
    }
    Tensor x = Tensor.of(Device.JAVA, xs, batch, seqLen).to(d), y = Tensor.of(Device.JAVA, ys, batch, seqLen).to(d);   // upload to a GPU
    for (int i = 0; i < warmup; i++) m.trainOnBatch(x, y);
    double[] tps = new double[runs];
    for (int r = 0; r < runs; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) m.trainOnBatch(x, y);
      tps[r] = (double) steps * batch * seqLen / ((System.nanoTime() - t0) * 1e-9);
    }
    Stats s = Stats.of(tps);
    System.out.printf(Locale.ROOT, "%-5s train %s tokens/s (%.0f sequences/s)%n", d, s.format("%8.0f"), s.median() / seqLen);
    LayerTimes.print(m.sequential(), loss, opt, x, y, steps * runs);
    Tensor.closeAll(x, y);
    m.close();
  }
}
