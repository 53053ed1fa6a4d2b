package dev.jnn.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.Tolerances;
import dev.jnn.backend.Backends;
import dev.jnn.data.Dataset;
import dev.jnn.loss.BceWithLogitsLoss;
import dev.jnn.loss.MseLoss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.optim.Adam;
import dev.jnn.optim.AdamBase;
import dev.jnn.optim.Sgd;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Callback;
import dev.jnn.train.EpochLog;
import dev.jnn.train.Evaluation;
import dev.jnn.train.FitOptions;
import dev.jnn.train.History;
import dev.jnn.train.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Keras-like surface of a Model of a Sequential: init, summary, devices, fit/evaluate/predict, history and callbacks. */
class SequentialTest {
  static Device device(String name) {
    Device d = Device.parse(name);
    Backends.get(d);   // the cpu backend must load: never skipped
    return d;
  }

  static Model dense() { return Model.sequential(new Dense(10, 50), new ReLU(), new Dense(50, 1), new Sigmoid()); }

  /** Three Gaussian blobs in 4-d, class = blob. */
  static Dataset blobs(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[n * 4];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = rng.nextInt(3);
      for (int j = 0; j < 4; j++) x[i * 4 + j] = (float) ((j == y[i] ? 3 : 0) + Init.gaussianPair(rng)[0]);
    }
    return Dataset.ofLabels(Tensor.of(x, n, 4), y);
  }

  @Test
  void summaryListsLayersShapesAndParameterCounts() {
    Model m = dense();
    String s = m.summary();
    assertTrue(s.contains("Dense(10->50)") && s.contains("[None, 50]") && s.contains("550"), s);
    assertTrue(s.contains("Dense(50->1)") && s.contains("[None, 1]") && s.contains("51"), s);
    assertTrue(s.contains("ReLU") && s.contains("Sigmoid"), s);
    assertTrue(s.contains("Total params: 601"), s);
    assertEquals(601, m.network().parameterCount());
    String withInput = Model.sequential(new Tanh(), new Dense(3, 2)).summary(3);
    assertTrue(withInput.contains("Tanh") && withInput.contains("[None, 3]") && withInput.contains("[None, 2]"), withInput);
  }

  @Test
  void seededInitIsReproducibleInLayerOrder() {
    float[] a = dense().init(7).parameters().get(0).value().toArray();
    float[] b = dense().init(7).parameters().get(0).value().toArray();
    float[] c = dense().init(8).parameters().get(0).value().toArray();
    assertArrayEquals(a, b);
    assertFalse(java.util.Arrays.equals(a, c));
    // Xavier uniform bound sqrt(6 / (10 + 50)), zero biases
    double bound = Math.sqrt(6.0 / 60);
    for (float v : a) assertTrue(Math.abs(v) <= bound, "xavier bound");
    Model m = dense().init(7);
    for (float v : m.parameters().get(1).value().toArray()) assertEquals(0f, v);
    // He normal: std sqrt(2 / fanIn)
    Dense he = new Dense(200, 300, Init.HE_NORMAL);
    he.initialize(new SplittableRandom(1));
    double ss = 0;
    for (float v : he.weight().value().toArray()) ss += v * v;
    assertEquals(Math.sqrt(2.0 / 200), Math.sqrt(ss / (200 * 300)), 0.01 * Math.sqrt(2.0 / 200));
    // compile initializes with init(0) unless init was called
    Model x = dense();
    x.compile(new MseLoss(), Sgd.builder().build());
    assertArrayEquals(dense().init(0).parameters().get(0).value().toArray(), x.parameters().get(0).value().toArray());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void toDeviceRetagsParametersAndOptimizerState(String dev) {
    Device d = device(dev);
    Model m = dense().init(3);
    m.compile(new MseLoss(), Adam.builder().build());
    float[] w = m.parameters().get(0).value().data();
    float[] m0 = ((AdamBase) m.optimizer()).firstMoment(0).data();
    m.to(d);
    assertEquals(d, m.device());
    for (Parameter p : m.parameters()) {
      assertEquals(d, p.value().device());
      assertEquals(d, p.grad().device());
    }
    for (Layer l : m.sequential().layers()) assertEquals(d, l.device());
    assertSame(w, m.parameters().get(0).value().data(), "host devices share the array");
    assertEquals(d, ((AdamBase) m.optimizer()).firstMoment(0).device());
    assertSame(m0, ((AdamBase) m.optimizer()).firstMoment(0).data());
    Tensor x = Tensor.zeros(d, 4, 10), y = Tensor.zeros(d, 4, 1);
    m.trainOnBatch(x, y);
    assertEquals(d, m.predict(x).device());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void multiClassFitEvaluatePredict(String dev) {
    Device d = device(dev);
    Dataset train = blobs(1, 600), test = blobs(2, 300);
    Model m = Model.sequential(new Dense(4, 16), new Tanh(), new Dense(16, 3)).init(1).to(d);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(0.01).build());
    List<EpochLog> logs = new ArrayList<>();
    int[] batches = {0};
    int[] begin = {0};
    Callback cb = new Callback() {
      @Override public void onTrainBegin(int epochs, int stepsPerEpoch) { begin[0] = epochs * 1000 + stepsPerEpoch; }
      @Override public void onBatchEnd(int epoch, int step, float loss) { batches[0]++; }
      @Override public void onEpochEnd(EpochLog log) { logs.add(log); }
    };
    History h = m.fit(train, FitOptions.builder().epochs(10).batchSize(64).validation(test).callback(cb).build());
    assertEquals(10, h.size());
    assertEquals(10, logs.size());
    assertEquals(10 * 1000 + 10, begin[0], "10 epochs of ceil(600 / 64) = 10 steps");
    assertEquals(100, batches[0]);
    assertEquals(10, h.last().steps());
    assertTrue(h.loss()[9] < h.loss()[0], "loss decreases");
    assertTrue(h.last().accuracy() > 0.95, "train accuracy " + h.last().accuracy());
    assertTrue(h.last().valAccuracy() > 0.95, "validation accuracy " + h.last().valAccuracy());
    Evaluation e = m.evaluate(test, 64);   // the batch size of fit's validation: the same batches, the same loss
    assertEquals(h.last().valLoss(), e.loss(), Tolerances.LOSS_ATOL + Tolerances.LOSS_RTOL * e.loss(), "evaluate equals the last validation");
    assertEquals(h.last().valAccuracy(), e.accuracy(), 0.0);
    assertEquals(300, e.samples());
    Tensor p = m.predict(test.features().to(d), 64);
    assertArrayEquals(new int[] {300, 3}, p.shape());
    int ok = 0;
    for (int i = 0; i < 300; i++) {
      int best = 0;
      for (int c = 1; c < 3; c++) if (p.get(i, c) > p.get(i, best)) best = c;
      if (best == (int) test.targets().get(i, 0)) ok++;
    }
    assertEquals(e.accuracy(), ok / 300.0, 1e-12, "predict agrees with evaluate");
    assertTrue(EpochLogFormat.ok(h.last()), h.last().format());
  }

  @Test
  void regressionHasNoAccuracy() {
    Model m = Model.sequential(new Dense(2, 1)).init(1);
    m.compile(new MseLoss(), Sgd.builder().lr(0.1).build());
    float[] x = new float[64 * 2], y = new float[64];
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < 64; i++) {
      x[2 * i] = (float) rng.nextDouble();
      x[2 * i + 1] = (float) rng.nextDouble();
      y[i] = 2 * x[2 * i] - x[2 * i + 1] + 0.5f;
    }
    Dataset data = new Dataset(Tensor.of(x, 64, 2), Tensor.of(y, 64, 1));
    History h = m.fit(data, 200, 16);
    assertTrue(Double.isNaN(h.last().accuracy()));
    assertTrue(h.last().loss() < 1e-3, "linear regression converges, loss " + h.last().loss());
    assertFalse(m.evaluate(data).hasAccuracy());
    Dense dl = (Dense) m.sequential().layer(0);
    assertEquals(2.0, dl.weight().value().at(0), 0.05);
    assertEquals(-1.0, dl.weight().value().at(1), 0.05);
    assertEquals(0.5, dl.bias().value().at(0), 0.05);
  }

  @Test
  void buffersAreReusedPerBatchShape() {
    Model m = dense().init(1);
    Tensor x32 = Tensor.zeros(32, 10), x8 = Tensor.zeros(8, 10);
    Tensor y32 = m.forward(x32, true);
    Tensor y8 = m.forward(x8, true);
    assertNotSame(y32, y8);
    assertSame(y32, m.forward(x32, true), "the full batch's buffers survive the partial batch");
    assertSame(y8, m.forward(x8, true));
  }

  @Test
  void dropoutTrainsAndIsIdentityAtInference() {
    Model m = Model.sequential(new Dense(4, 8), new ReLU(), new Dropout(0.5f), new Dense(8, 1)).init(4);
    m.compile(new BceWithLogitsLoss(), Adam.builder().lr(0.01).build());
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 4, 3, 2, 1}, 2, 4);
    float[] a = m.predict(x).toArray(), b = m.predict(x).toArray();
    assertArrayEquals(a, b, "no dropout at inference");
    float[] t1 = m.forward(x, true).toArray(), t2 = m.forward(x, true).toArray();
    assertFalse(java.util.Arrays.equals(t1, t2), "new masks in training");
    assertFalse(m.network().inputGradRequired(), "a compiled model skips the input gradient");
    assertEquals(null, m.backward(Tensor.zeros(2, 1)));
  }

  /** Format of a progress line. */
  static final class EpochLogFormat {
    static boolean ok(EpochLog l) {
      String s = l.format();
      return s.startsWith("epoch 10/10 - loss ") && s.contains(" - acc ") && s.contains(" - val_loss ") && s.contains(" - val_acc ");
    }
  }
}
