package dev.jnn.nn;

import static dev.jnn.nn.LayerGradientTest.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.Tolerances;
import dev.jnn.backend.BackendSource;
import dev.jnn.optim.Adam;
import dev.jnn.optim.Optimizer;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sequence layers: java vs cpu layer parity (outputs, final states, every gradient) for 2-layer
 * bidirectional LSTM and GRU, a memory task the LSTM must learn on both backends, shapes,
 * masking, views, checkpoints, and bad input.
 */
class SequenceLayersTest {
  static final Device CPU = Device.CPU;

  // ------------------------------------------------------------------ parity java vs cpu

  /** Asserts |got - ref| <= RNN_PARITY_RTOL * max|ref| elementwise; returns max|got - ref| / max|ref| (0 for an all-zero ref). */
  static double parity(String what, Tensor ref, Tensor got) {
    assertArrayEquals(ref.shape(), got.shape(), what + " shape");
    float[] r = ref.toArray(), gs = got.toArray();   // got may be a device tensor: one copy down
    double scale = 0, worst = 0;
    for (float v : r) scale = Math.max(scale, Math.abs(v));
    for (int i = 0; i < r.length; i++) {
      double e = r[i], g = gs[i];
      worst = Math.max(worst, Math.abs(g - e));
      assertTrue(Math.abs(g - e) <= Tolerances.RNN_PARITY_RTOL * scale, what + "[" + i + "]: " + got.device() + " " + g + " vs java " + e + " (scale " + scale + ")");
    }
    return scale == 0 ? 0 : worst / scale;
  }

  static Recurrent build(boolean lstm, int in, int hidden, int layers, boolean bi, boolean seq) {
    return lstm ? LSTM.builder().inputSize(in).hiddenSize(hidden).numLayers(layers).bidirectional(bi).returnSequences(seq).build()
        : GRU.builder().inputSize(in).hiddenSize(hidden).numLayers(layers).bidirectional(bi).returnSequences(seq).build();
  }

  /** The 2-layer bidirectional LSTM/GRU on a non-reference backend (cpu; cuda where present) against the Java reference. */
  void layerParity(BackendSource.Candidate c, boolean lstm, int batch, int steps, boolean seq) {
    Device dev = BackendSource.require(c).device();   // the backend under test
    int in = 5, hidden = 7, layers = 2, n = layers * 2;
    Recurrent ref = build(lstm, in, hidden, layers, true, seq), got = build(lstm, in, hidden, layers, true, seq);
    ref.initialize(new SplittableRandom(31));
    got.initialize(new SplittableRandom(31));
    got.to(dev);
    Tensor x = randn(32, 1, batch, steps, in), h0 = randn(33, 0.5, n, batch, hidden), c0 = randn(34, 0.5, n, batch, hidden);
    if (ref instanceof LSTM l) {
      l.setInitialState(h0, c0);
      ((LSTM) got).setInitialState(h0.to(dev), c0.to(dev));
    } else {
      ((GRU) ref).setInitialState(h0);
      ((GRU) got).setInitialState(h0.to(dev));
    }
    Tensor yr = ref.forward(x, true), yg = got.forward(x.to(dev), true);
    assertEquals(dev, yg.device());
    double worst = parity("output", yr, yg);
    worst = Math.max(worst, parity("final hidden", ref.finalHidden(), got.finalHidden()));
    if (ref instanceof LSTM l) worst = Math.max(worst, parity("final cell", l.finalCell(), ((LSTM) got).finalCell()));
    Tensor dy = randn(35, 1, yr.shape());
    worst = Math.max(worst, parity("input gradient", ref.backward(dy), got.backward(dy.to(dev))));
    for (int i = 0; i < ref.parameters().size(); i++)
      worst = Math.max(worst, parity(ref.parameters().get(i).name() + " gradient", ref.parameters().get(i).grad(), got.parameters().get(i).grad()));
    Tensor[] sr = ref.initialStateGradients(), sg = got.initialStateGradients();
    for (int i = 0; i < sr.length; i++) worst = Math.max(worst, parity(i == 0 ? "dh0" : "dc0", sr[i], sg[i]));
    System.out.printf("%s B=%d T=%d: worst |%s - java| / max|java| over all tensors %.2e%n", ref.name(), batch, steps, c, worst);
    got.release();   // on a GPU: its memory back to the pool
  }

  @ParameterizedTest(name = "{0}") @MethodSource("dev.jnn.backend.BackendSource#nonReference")
  void lstmParityLongSequence(BackendSource.Candidate c) { layerParity(c, true, 8, 37, true); }
  @ParameterizedTest(name = "{0}") @MethodSource("dev.jnn.backend.BackendSource#nonReference")
  void lstmParityLastStep(BackendSource.Candidate c) { layerParity(c, true, 8, 37, false); }
  @ParameterizedTest(name = "{0}") @MethodSource("dev.jnn.backend.BackendSource#nonReference")
  void lstmParitySingleStep(BackendSource.Candidate c) { layerParity(c, true, 1, 1, true); }
  @ParameterizedTest(name = "{0}") @MethodSource("dev.jnn.backend.BackendSource#nonReference")
  void gruParityLongSequence(BackendSource.Candidate c) { layerParity(c, false, 8, 37, true); }
  @ParameterizedTest(name = "{0}") @MethodSource("dev.jnn.backend.BackendSource#nonReference")
  void gruParityLastStep(BackendSource.Candidate c) { layerParity(c, false, 8, 37, false); }
  @ParameterizedTest(name = "{0}") @MethodSource("dev.jnn.backend.BackendSource#nonReference")
  void gruParitySingleStep(BackendSource.Candidate c) { layerParity(c, false, 1, 1, true); }

  // ------------------------------------------------------------------ memory task

  /**
   * Copy task: at step t >= K the model must output the symbol it saw at t - K (4 symbols,
   * sequences of 10, K = 5): Embedding -> LSTM(32) -> TimeDistributed(Dense) trained with Adam on
   * fresh random batches, softmax cross-entropy on the steps t >= K (computed here).
   */
  static double memoryTask(Device device) {
    final int V = 4, T = 10, K = 5, B = 32, H = 32, maxSteps = 1500;
    Sequential m = new Sequential(new Embedding(V, 8), LSTM.builder().inputSize(8).hiddenSize(H).build(), new TimeDistributed(new Dense(H, V))).init(41);
    m.to(device);
    Optimizer opt = Adam.builder().lr(0.01).build();
    opt.bind(m.parameters());
    SplittableRandom rng = new SplittableRandom(42);
    Tensor dlogits = Tensor.zeros(device, B, T, V);
    double acc = 0;
    for (int step = 1; step <= maxSteps; step++) {
      int[] sym = new int[B * T];
      float[] ids = new float[B * T];
      for (int i = 0; i < sym.length; i++) ids[i] = sym[i] = rng.nextInt(V);
      Tensor logits = m.forward(Tensor.of(device, ids, B, T), true);
      crossEntropyGrad(logits, sym, T, K, dlogits);
      m.backward(dlogits);
      opt.step();
      if (step % 50 == 0) {
        acc = evaluate(m, device, V, T, K, new SplittableRandom(1000 + step));
        if (acc >= Tolerances.MEMORY_TASK_ACCURACY) {
          System.out.printf("memory task on %s: held-out accuracy %.4f after %d Adam steps%n", device, acc, step);
          return acc;
        }
      }
    }
    return acc;
  }

  /** d(mean CE over the steps t >= K)/d logits, written into dl. */
  static void crossEntropyGrad(Tensor logits, int[] sym, int T, int K, Tensor dl) {
    int V = logits.dim(2), B = logits.dim(0);
    double norm = 1.0 / (B * (T - K));
    dl.fill(0f);
    for (int b = 0; b < B; b++)
      for (int t = K; t < T; t++) {
        int target = sym[b * T + t - K];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int v = 0; v < V; v++) max = Math.max(max, logits.get(b, t, v));
        for (int v = 0; v < V; v++) sum += Math.exp(logits.get(b, t, v) - max);
        for (int v = 0; v < V; v++) {
          double p = Math.exp(logits.get(b, t, v) - max) / sum;
          dl.set((float) ((p - (v == target ? 1 : 0)) * norm), b, t, v);
        }
      }
  }

  static double evaluate(Sequential m, Device device, int V, int T, int K, SplittableRandom rng) {
    int B = 256, correct = 0;
    int[] sym = new int[B * T];
    float[] ids = new float[B * T];
    for (int i = 0; i < sym.length; i++) ids[i] = sym[i] = rng.nextInt(V);
    Tensor logits = m.forward(Tensor.of(device, ids, B, T), false);
    for (int b = 0; b < B; b++)
      for (int t = K; t < T; t++) {
        int best = 0;
        for (int v = 1; v < V; v++) if (logits.get(b, t, v) > logits.get(b, t, best)) best = v;
        if (best == sym[b * T + t - K]) correct++;
      }
    return correct / (double) (B * (T - K));
  }

  @Test
  void lstmLearnsToRememberJava() {
    double acc = memoryTask(Device.JAVA);
    assertTrue(acc >= Tolerances.MEMORY_TASK_ACCURACY, "java: accuracy " + acc);
  }

  @Test
  void lstmLearnsToRememberCpu() {
    double acc = memoryTask(CPU);
    assertTrue(acc >= Tolerances.MEMORY_TASK_ACCURACY, "cpu: accuracy " + acc);
  }

  // ------------------------------------------------------------------ shapes, states, views

  @Test
  void shapesAndParameters() {
    LSTM l = LSTM.builder().inputSize(3).hiddenSize(4).numLayers(2).bidirectional(true).build();
    assertArrayEquals(new int[] {-1, 7, 8}, l.outputShape(new int[] {-1, 7, 3}));
    assertEquals(List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
        "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_ih_l1_reverse", "weight_hh_l1_reverse",
        "bias_ih_l1_reverse", "bias_hh_l1_reverse"), l.parameters().stream().map(Parameter::name).toList());
    assertArrayEquals(new int[] {16, 8}, l.parameter("weight_ih_l1").value().shape());
    double bound = 1 / Math.sqrt(4);
    for (Parameter p : l.parameters())
      for (int i = 0; i < p.size(); i++) assertTrue(Math.abs(p.value().at(i)) <= bound, p.name() + " within U(-1/sqrt(H), 1/sqrt(H))");
    GRU g = GRU.builder().inputSize(3).hiddenSize(4).returnSequences(false).bidirectional(true).build();
    assertArrayEquals(new int[] {-1, 8}, g.outputShape(new int[] {-1, 7, 3}));
    assertArrayEquals(new int[] {12, 3}, g.parameter("weight_ih_l0").value().shape());
    Tensor y = g.forward(randn(1, 1, 2, 5, 3), true);
    assertArrayEquals(new int[] {2, 8}, y.shape());
    assertArrayEquals(new int[] {2, 2, 4}, g.finalHidden().shape());
    Tensor x2 = randn(2, 1, 2, 5, 3), dy = randn(3, 1, 2, 8);
    Tensor dx = g.backward(dy);
    assertSame(y, g.forward(x2, true), "buffers reused per shape");
    assertSame(dx, g.backward(dy), "input gradient buffer reused per shape");
  }

  @Test
  void zeroInitialStateEqualsExplicitZeros() {
    LSTM l = LSTM.builder().inputSize(3).hiddenSize(4).build();
    Tensor x = randn(2, 1, 2, 4, 3);
    Tensor a = l.forward(x, true).copy();
    l.setInitialState(Tensor.zeros(1, 2, 4), Tensor.zeros(1, 2, 4));
    assertArrayEquals(a.toArray(), l.forward(x, true).toArray());
    l.setInitialState(randn(3, 1, 1, 2, 4));
    assertTrue(l.forward(x, true).at(0) != a.at(0), "the initial state is used");
    l.clearInitialState();
    assertArrayEquals(a.toArray(), l.forward(x, true).toArray());
  }

  @Test
  void embeddingLooksUpAndPads() {
    Embedding e = new Embedding(5, 3, 2);
    for (int d = 0; d < 3; d++) assertEquals(0f, e.weight().value().get(2, d), "padding row zero");
    Tensor y = e.forward(Tensor.of(new float[] {4, 2, 0, 4}, 2, 2), true);
    assertArrayEquals(new int[] {2, 2, 3}, y.shape());
    for (int d = 0; d < 3; d++) {
      assertEquals(e.weight().value().get(4, d), y.get(0, 0, d));
      assertEquals(0f, y.get(0, 1, d));
      assertEquals(e.weight().value().get(0, d), y.get(1, 0, d));
    }
    assertNull(e.backward(Tensor.zeros(2, 2, 3)), "ids have no gradient");
    // N(0, 1) init: mean ~0, variance ~1 over 10000 draws
    Embedding big = new Embedding(1000, 10);
    double s = 0, s2 = 0;
    for (int i = 0; i < 10000; i++) { double v = big.weight().value().at(i); s += v; s2 += v * v; }
    assertEquals(0, s / 10000, 0.05);
    assertEquals(1, s2 / 10000, 0.05);
  }

  @Test
  void globalAvgPool1dMaskedMeans() {
    GlobalAvgPool1d p = new GlobalAvgPool1d();
    Tensor x = Tensor.of(new float[] {1, 10, 2, 20, 3, 30, /**/ 4, 40, 5, 50, 6, 60}, 2, 3, 2);
    assertArrayEquals(new float[] {2, 20, 5, 50}, p.forward(x, true).toArray());
    p.setMask(Tensor.of(new float[] {1, 0, 1, 0, 0, 0}, 2, 3));
    Tensor y = p.forward(x, true);
    assertArrayEquals(new float[] {2, 20, 0, 0}, y.toArray(), "mean over valid steps; a row without one gives 0");
    Tensor dx = p.backward(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
    assertArrayEquals(new float[] {0.5f, 1, 0, 0, 0.5f, 1, 0, 0, 0, 0, 0, 0}, dx.toArray());
    assertTrue(!dx.hasNonFinite() && !y.hasNonFinite());
  }

  @Test
  void timeDistributedIsAView() {
    Dense d = new Dense(4, 3);
    TimeDistributed td = new TimeDistributed(d);
    Tensor x = randn(5, 1, 2, 6, 4);
    Tensor y = td.forward(x, true);
    assertArrayEquals(new int[] {2, 6, 3}, y.shape());
    Tensor direct = d.forward(x.reshape(12, 4), true);
    assertSame(direct.data(), y.data(), "the Dense output viewed, not copied");
    assertEquals(d.parameters(), td.parameters());
    assertArrayEquals(new int[] {-1, 6, 3}, td.outputShape(new int[] {-1, 6, 4}));
  }

  @Test
  void checkpointRoundTrip(@TempDir Path dir) throws Exception {
    Model m = Model.sequential(new Embedding(6, 4, 0), LSTM.builder().inputSize(4).hiddenSize(3).numLayers(2).bidirectional(true).build(),
        GRU.builder().inputSize(6).hiddenSize(5).build(), new TimeDistributed(new Dense(5, 2)), new GlobalAvgPool1d()).init(3);
    Path f = dir.resolve("seq.safetensors");
    m.saveWeights(f);
    assertTrue(Files.size(f) > 0);
    Model back = Model.load(f);
    Tensor ids = Tensor.of(new float[] {1, 2, 0, 5, 3, 3}, 2, 3);
    assertArrayEquals(m.forward(ids, false).toArray(), back.forward(ids, false).toArray());
    assertTrue(m.sequential().layer(1).parameters().stream().anyMatch(p -> p.name().equals("weight_hh_l1_reverse")));
  }

  // ------------------------------------------------------------------ bad input

  static void expect(Class<? extends Throwable> type, Executable e, String... parts) {
    Throwable t = assertThrows(type, e);
    for (String p : parts) assertTrue(t.getMessage().contains(p), "message '" + t.getMessage() + "' should mention '" + p + "'");
  }

  @Test
  void badInput() {
    LSTM l = LSTM.builder().inputSize(3).hiddenSize(4).numLayers(2).build();
    expect(IllegalStateException.class, () -> l.backward(Tensor.zeros(2, 5, 4)), "LSTM", "before forward");
    expect(IllegalArgumentException.class, () -> l.forward(Tensor.zeros(2, 3), true), "LSTM", "rank 3", "[2, 3]");
    expect(IllegalArgumentException.class, () -> l.forward(Tensor.zeros(2, 5, 6), true), "LSTM", "6 features", "expected 3");
    expect(IllegalArgumentException.class, () -> l.setInitialState(Tensor.zeros(1, 2, 4)), "LSTM", "h0", "[1, 2, 4]", "[2, batch, 4]");
    l.setInitialState(Tensor.zeros(2, 3, 4));
    expect(IllegalArgumentException.class, () -> l.forward(Tensor.zeros(2, 5, 3), true), "LSTM", "[2, 3, 4]", "[2, 2, 4]");
    l.clearInitialState();
    expect(IllegalStateException.class, l::initialStateGradients, "LSTM");
    Tensor y = l.forward(randn(1, 1, 2, 5, 3), true);   // still usable
    assertArrayEquals(new int[] {2, 5, 4}, y.shape());
    expect(IllegalArgumentException.class, () -> l.backward(Tensor.zeros(2, 4, 4)), "LSTM", "gradOutput");
    l.backward(Tensor.zeros(2, 5, 4));
    expect(IllegalArgumentException.class, () -> l.forward(Tensor.zeros(CPU, 2, 5, 3), true), "LSTM", "device");
    expect(IllegalArgumentException.class, () -> LSTM.builder().inputSize(0).hiddenSize(4).build(), "inputSize");
    expect(IllegalArgumentException.class, () -> GRU.builder().inputSize(3).hiddenSize(4).numLayers(0).build(), "numLayers");

    Embedding e = new Embedding(5, 2);
    expect(IllegalStateException.class, () -> e.backward(Tensor.zeros(1, 1, 2)), "Embedding", "before forward");
    expect(IllegalArgumentException.class, () -> e.forward(Tensor.of(new float[] {1, 5}, 1, 2), true), "Embedding", "5.0", "[0, 5)");
    expect(IllegalArgumentException.class, () -> e.forward(Tensor.of(new float[] {-1, 0}, 1, 2), true), "Embedding", "-1.0");
    expect(IllegalArgumentException.class, () -> e.forward(Tensor.of(new float[] {1.5f, 0}, 1, 2), true), "Embedding", "1.5", "integers");
    expect(IllegalArgumentException.class, () -> e.forward(Tensor.of(new float[] {Float.NaN, 0}, 1, 2), true), "Embedding", "NaN");
    expect(IllegalArgumentException.class, () -> new Embedding(5, 2, 5), "paddingIdx");
    assertArrayEquals(new int[] {1, 2, 2}, e.forward(Tensor.of(new float[] {1, 4}, 1, 2), true).shape());

    GlobalAvgPool1d p = new GlobalAvgPool1d();
    expect(IllegalStateException.class, () -> p.backward(Tensor.zeros(2, 3)), "GlobalAvgPool1d", "before forward");
    expect(IllegalArgumentException.class, () -> p.forward(Tensor.zeros(2, 3), true), "GlobalAvgPool1d", "rank 3");
    expect(IllegalArgumentException.class, () -> p.setMask(Tensor.of(new float[] {0.5f, 1}, 1, 2)), "GlobalAvgPool1d", "0.5");
    p.setMask(Tensor.zeros(2, 4));
    expect(IllegalArgumentException.class, () -> p.forward(Tensor.zeros(2, 3, 5), true), "GlobalAvgPool1d", "mask", "[2, 4]", "[2, 3, 5]");

    TimeDistributed td = new TimeDistributed(new Dense(4, 2));
    expect(IllegalStateException.class, () -> td.backward(Tensor.zeros(1, 1, 2)), "TimeDistributed", "before forward");
    expect(IllegalArgumentException.class, () -> td.forward(Tensor.zeros(3, 4), true), "TimeDistributed", "rank 3");
    expect(IllegalArgumentException.class, () -> td.forward(Tensor.zeros(2, 3, 5), true), "Dense(4->2)", "4 features");
  }
}
