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
 * softmax cross-entropy, Adam). By default the input is what the peers feed: one-hot vectors
 * (input size 80) straight into the first LSTM, which as a model's first layer needs no input
 * gradient (PyTorch's autograd skips it too). {@code --input embedding} puts an Embedding(80, 80)
 * in front instead (the model of the figures before 2026-12-06: the same input GEMM width, plus the
 * first layer's input gradient and the embedding's update).
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
  @Option(names = "--input", defaultValue = "onehot", description = "onehot (as the peers) or embedding (an Embedding(V, V) in front) (default: ${DEFAULT-VALUE})")
  String input;
  @Option(names = "--devices", split = ",", description = "devices to measure (default: every backend that loaded)") List<String> devices;

  @Override
  public Integer call() {
    if (!cell.equals("lstm") && !cell.equals("gru")) throw new IllegalArgumentException("--cell must be lstm or gru, got '" + cell + "'");
    if (!input.equals("onehot") && !input.equals("embedding")) throw new IllegalArgumentException("--input must be onehot or embedding, got '" + input + "'");
    String name = cell.toUpperCase(Locale.ROOT);
    String front = input.equals("onehot") ? "one-hot(" + vocab + ")" : "Embedding(" + vocab + ", " + vocab + ")";
    System.out.printf(Locale.ROOT, "char-%s: %s -> %s(%d, 2 layers) -> Dense(%d) per step, batch %d, sequence %d, Adam, "
        + "softmax cross-entropy; %d warm-up steps, %d runs of %d steps; median [min..max]%n", name, front, name, hidden, vocab, batch, seqLen, warmup,
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
    boolean oneHot = input.equals("onehot");
    Model m = (oneHot ? Model.sequential(rnn, new TimeDistributed(new Dense(hidden, vocab)))
        : Model.sequential(new Embedding(vocab, vocab), rnn, new TimeDistributed(new Dense(hidden, vocab)))).init(1).to(d);
    Loss loss = new SoftmaxCrossEntropyLoss();
    Optimizer opt = Adam.builder().lr(2e-3).build();
    m.compile(loss, opt);
    SplittableRandom rng = new SplittableRandom(7);
    float[] ids = new float[batch * seqLen], ys = new float[batch * seqLen];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rng.nextInt(vocab);
      ys[i] = rng.nextInt(vocab);
    }
    Tensor x;
    if (oneHot) {
      float[] oh = new float[batch * seqLen * vocab];
      for (int i = 0; i < ids.length; i++) oh[i * vocab + (int) ids[i]] = 1f;
      x = Tensor.of(Device.JAVA, oh, batch, seqLen, vocab).to(d);   // upload to a GPU
    } else {
      x = Tensor.of(Device.JAVA, ids, batch, seqLen).to(d);
    }
    Tensor y = Tensor.of(Device.JAVA, ys, batch, seqLen).to(d);
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
