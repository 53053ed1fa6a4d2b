package dev.jnn.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.backend.Backends;
import dev.jnn.data.Dataset;
import dev.jnn.loss.BceLoss;
import dev.jnn.loss.MseLoss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.optim.Adam;
import dev.jnn.optim.Sgd;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Model;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Bad input at the layer and model level (docs/ARCHITECTURE.md, "Tests"): each case gets a clear exception
 * naming the layer (or entry point) and the shapes, thrown before any kernel call, and the model
 * still trains and predicts afterwards. Models run on the native cpu backend, which must load.
 */
class ModelBadInputTest {
  static final Device CPU = Device.CPU;

  static Model model() {
    Backends.get(CPU);
    Model m = Model.sequential(new Dense(10, 50), new ReLU(), new Dense(50, 1), new Sigmoid()).init(1).to(CPU);
    return m.compile(new BceLoss(), Adam.builder().lr(1e-2).build());
  }

  static Dataset data(Device d, int n) {
    SplittableRandom rng = new SplittableRandom(9);
    float[] x = new float[n * 10], y = new float[n];
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int j = 0; j < 10; j++) {
        x[i * 10 + j] = (float) (2 * rng.nextDouble() - 1);
        s += x[i * 10 + j];
      }
      y[i] = s > 0 ? 1 : 0;
    }
    return new Dataset(Tensor.of(d, x, n, 10), Tensor.of(d, y, n, 1));
  }

  /** The model still trains (loss goes down) and predicts after an exception. */
  static void stillUsable(Model m) {
    Dataset d = data(CPU, 256);
    double before = m.evaluate(d).loss();
    m.fit(d, 5, 32);
    double after = m.evaluate(d).loss();
    assertTrue(after < before, "still trains: loss " + before + " -> " + after);
    Tensor p = m.predict(d.features());
    assertEquals(256, p.dim(0));
    assertTrue(!p.hasNonFinite());
  }

  static void mentions(Throwable e, String... parts) {
    for (String p : parts) assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
  }

  @Test
  void shapeMismatchIntoDense() {
    Model m = model();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(CPU, 4, 7), false));
    mentions(e, "Dense(10->50)", "[4, 7]", "10 features");
    e = assertThrows(IllegalArgumentException.class, () -> m.predict(Tensor.zeros(CPU, 4, 7)));
    mentions(e, "Dense(10->50)", "7", "10 features");
    e = assertThrows(IllegalArgumentException.class, () -> m.fit(new Dataset(Tensor.zeros(CPU, 8, 7), Tensor.zeros(CPU, 8, 1)), 1, 4));
    mentions(e, "Dense(10->50)", "7");
    e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(CPU, 10), false));
    mentions(e, "Dense(10->50)", "[10]");
    e = assertThrows(IllegalArgumentException.class, () -> m.fit(new Dataset(Tensor.zeros(CPU, 8, 10), Tensor.zeros(CPU, 8, 2)), 1, 4));
    mentions(e, "BceLoss", "[8, 2]", "1 column");
    stillUsable(m);
  }

  @Test
  void wrongDevice() {
    Model m = model();
    Tensor javaX = Tensor.zeros(Device.JAVA, 4, 10);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.forward(javaX, false));
    mentions(e, "Dense(10->50)", "[4, 10]", "device java", "cpu");
    e = assertThrows(IllegalArgumentException.class, () -> m.predict(javaX));
    mentions(e, "predict", "[4, 10]", "java", "cpu");
    e = assertThrows(IllegalArgumentException.class, () -> m.trainOnBatch(javaX, Tensor.zeros(Device.JAVA, 4, 1)));
    mentions(e, "Dense(10->50)", "java");
    // a gradient on the wrong device into backward
    m.forward(Tensor.zeros(CPU, 4, 10), true);
    e = assertThrows(IllegalArgumentException.class, () -> m.backward(Tensor.zeros(Device.JAVA, 4, 1)));
    mentions(e, "Sigmoid", "gradOutput", "java");
    // a data set on the other host device is fine for fit: rows are copied into batches on the model's device
    m.fit(data(Device.JAVA, 64), 1, 32);
    stillUsable(m);
  }

  @Test
  void nullInput() {
    Model m = model();
    mentions(assertThrows(NullPointerException.class, () -> m.forward((Tensor) null, true)), "input is null");
    mentions(assertThrows(NullPointerException.class, () -> m.predict(null)), "predict", "null");
    mentions(assertThrows(NullPointerException.class, () -> m.fit(null, 1, 32)), "fit", "null");
    mentions(assertThrows(NullPointerException.class, () -> m.evaluate(null)), "evaluate", "null");
    mentions(assertThrows(NullPointerException.class, () -> new Dense(3, 2).forward((Tensor) null, true)), "Dense(3->2)", "null");
    m.forward(Tensor.zeros(CPU, 2, 10), true);
    mentions(assertThrows(NullPointerException.class, () -> m.backward(null)), "Sigmoid", "null");
    stillUsable(m);
  }

  @Test
  void nonFiniteTrainingDataIsRejected() {
    Model m = model();
    Dataset d = data(CPU, 64);
    d.features().set(Float.NaN, 17, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.fit(d, 1, 32));
    mentions(e, "fit", "NaN", "row 17", "column 3");
    Dataset t = data(CPU, 64);
    t.targets().set(Float.POSITIVE_INFINITY, 5, 0);
    e = assertThrows(IllegalArgumentException.class, () -> m.fit(data(CPU, 64), dev.jnn.train.FitOptions.builder().validation(t).build()));
    mentions(e, "validation", "Infinity", "row 5");
    stillUsable(m);
  }

  @Test
  void nonFiniteLossNamesEpochAndStep() {
    Backends.get(CPU);
    Model m = Model.sequential(new Dense(10, 1)).init(1).to(CPU);
    m.compile(new MseLoss(), Sgd.builder().lr(1e6).build());   // diverges within a few steps
    Dataset d = data(CPU, 256);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.fit(d, 5, 32));
    mentions(e, "fit", "epoch", "step", "loss");
    // recover: re-initialize, recompile with a sane optimizer, train
    m.init(1).compile(new MseLoss(), Sgd.builder().lr(0.05).build());
    double before = m.evaluate(d).loss();
    m.fit(d, 5, 32);
    assertTrue(m.evaluate(d).loss() < before);
  }

  @Test
  void backwardBeforeForward() {
    mentions(assertThrows(IllegalStateException.class, () -> new Dense(10, 50).backward(Tensor.zeros(4, 50))), "Dense(10->50)", "before forward");
    mentions(assertThrows(IllegalStateException.class, () -> new ReLU().backward(Tensor.zeros(4, 5))), "ReLU", "before forward");
    mentions(assertThrows(IllegalStateException.class, () -> new Dropout(0.5f).backward(Tensor.zeros(4, 5))), "Dropout", "before forward");
    Model m = model();
    mentions(assertThrows(IllegalStateException.class, () -> m.backward(Tensor.zeros(CPU, 4, 1))), "Sequential", "before forward");
    // a gradient of the wrong shape after forward
    m.forward(Tensor.zeros(CPU, 4, 10), true);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.backward(Tensor.zeros(CPU, 3, 1)));
    mentions(e, "Sigmoid", "[3, 1]", "[4, 1]");
    stillUsable(m);
  }

  @Test
  void labelsOutOfRange() {
    Backends.get(CPU);
    Model m = Model.sequential(new Dense(10, 8), new ReLU(), new Dense(8, 3)).init(2).to(CPU);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-2).build());
    Dataset base = data(CPU, 64);
    int[] labels = new int[64];
    for (int i = 0; i < 64; i++) labels[i] = i % 3;
    labels[40] = 3;
    Dataset bad = Dataset.ofLabels(base.features(), labels);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.fit(bad, 1, 16));
    mentions(e, "SoftmaxCrossEntropyLoss", "3.0", "row 40", "[0, 3)");
    e = assertThrows(IllegalArgumentException.class, () -> m.trainOnBatch(base.features().rows(0, 4), Tensor.of(CPU, new float[] {0, 1, -1, 2}, 4, 1)));
    mentions(e, "SoftmaxCrossEntropyLoss", "-1", "row 2");
    labels[40] = 2;
    Dataset good = Dataset.ofLabels(base.features(), labels);
    double before = m.evaluate(good).loss();
    m.fit(good, 10, 16);
    assertTrue(m.evaluate(good).loss() < before, "still trains");
    assertEquals(64, m.predict(good.features()).dim(0));
  }

  @Test
  void misuseOfTheModelApi() {
    Model fresh = Model.sequential(new Dense(10, 1));
    mentions(assertThrows(IllegalStateException.class, () -> fresh.fit(data(Device.JAVA, 8), 1, 4)), "compile");
    mentions(assertThrows(IllegalArgumentException.class, () -> model().fit(data(CPU, 8), 0, 4)), "epochs");
    mentions(assertThrows(IllegalArgumentException.class, () -> model().fit(data(CPU, 8), 1, 0)), "batchSize");
    Dataset bad = data(CPU, 8);
    bad.targets().set(2f, 3, 0);
    mentions(assertThrows(IllegalArgumentException.class, () -> model().fit(bad, 1, 4)), "BceLoss", "row 3", "[0, 1]");
    mentions(assertThrows(IllegalArgumentException.class, () -> new Dense(0, 3)), "Dense(0->3)");
    ReLU shared = new ReLU();
    mentions(assertThrows(IllegalArgumentException.class, () -> new Sequential(shared, new Dense(3, 3), shared)), "ReLU", "already in this model");
    mentions(assertThrows(IllegalArgumentException.class, () -> new Dropout(1f)), "Dropout", "[0, 1)");
    mentions(assertThrows(IllegalArgumentException.class, () -> new Softmax().forward(Tensor.zeros(3, 0), false)), "Softmax", "[3, 0]");
  }
}
