package dev.jnn.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.backend.Backends;
import dev.jnn.backend.SimulatedDevice;
import dev.jnn.data.Dataset;
import dev.jnn.data.text.CharVocabulary;
import dev.jnn.loss.BceLoss;
import dev.jnn.loss.BceWithLogitsLoss;
import dev.jnn.loss.Loss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.optim.Adam;
import dev.jnn.optim.Optimizer;
import dev.jnn.optim.Sgd;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Callback;
import dev.jnn.train.DenseExample;
import dev.jnn.train.EpochLog;
import dev.jnn.train.Evaluation;
import dev.jnn.train.FitOptions;
import dev.jnn.train.SequenceExamples;
import dev.jnn.train.History;
import dev.jnn.train.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every layer, loss, metric, optimizer, Model, Trainer and checkpoint path on DEVICE tensors,
 * proven without a GPU on a {@link SimulatedDevice}: its memory is reachable only through
 * DeviceMemory (any {@code data()} on a device tensor throws, as on a real GPU) and its kernels are
 * the java backend's, so each model must give results BIT-IDENTICAL to the same model on the java
 * backend. The simulator also counts device allocations, releases and transfers.
 */
class DeviceModelTest {
  static final Device GPU = Device.cuda(7);
  SimulatedDevice sim;

  @BeforeEach
  void install() { sim = SimulatedDevice.install(GPU); }

  @AfterEach
  void uninstall() { sim.close(); }

  // ------------------------------------------------------------------ helpers

  static void assertBits(float expected, float actual, String what) {
    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual), what + ": " + expected + " vs " + actual);
  }

  static void assertBits(double[] expected, double[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++)
      assertEquals(Double.doubleToLongBits(expected[i]), Double.doubleToLongBits(actual[i]), what + "[" + i + "]: " + expected[i] + " vs " + actual[i]);
  }

  /** Parameters (values and gradients), buffers and optimizer state of two models are bit-identical; b may be on the device. */
  static void assertSameState(Model a, Model b) {
    List<Parameter> pa = a.parameters(), pb = b.parameters();
    assertEquals(pa.size(), pb.size());
    for (int i = 0; i < pa.size(); i++) {
      assertArrayEquals(pa.get(i).value().toArray(), pb.get(i).value().toArray(), "parameter " + i + " " + pa.get(i));
      assertArrayEquals(pa.get(i).grad().toArray(), pb.get(i).grad().toArray(), "gradient of parameter " + i + " " + pa.get(i));
    }
    Map<String, Tensor> ba = a.network().buffers(), bb = b.network().buffers();
    assertEquals(ba.keySet(), bb.keySet());
    for (String k : ba.keySet()) assertArrayEquals(ba.get(k).toArray(), bb.get(k).toArray(), "buffer " + k);
    Optimizer oa = a.optimizer(), ob = b.optimizer();
    if (oa != null) {
      assertEquals(oa.steps(), ob.steps());
      for (String s : oa.stateNames())
        for (int i = 0; i < pa.size(); i++) assertArrayEquals(oa.state(s, i).toArray(), ob.state(s, i).toArray(), "optimizer " + s + " " + i);
    }
  }

  static void assertSameHistory(History a, History b) {
    assertBits(a.loss(), b.loss(), "loss");
    assertBits(a.accuracy(), b.accuracy(), "accuracy");
    assertBits(a.valLoss(), b.valLoss(), "val loss");
    assertBits(a.valAccuracy(), b.valAccuracy(), "val accuracy");
  }

  static void assertSameEvaluation(Evaluation a, Evaluation b) {
    assertEquals(Double.doubleToLongBits(a.loss()), Double.doubleToLongBits(b.loss()), "evaluate loss " + a + " vs " + b);
    assertEquals(Double.doubleToLongBits(a.accuracy()), Double.doubleToLongBits(b.accuracy()), "evaluate accuracy " + a + " vs " + b);
  }

  /** predict on both (the device input uploaded and closed, the device result closed) gives identical outputs. */
  static void assertSamePredictions(Model host, Model dev, Tensor x, int batch) {
    float[] expected = host.predict(x, batch).toArray();
    try (Tensor dx = x.to(GPU); Tensor p = dev.predict(dx, batch)) {
      assertEquals(GPU, p.device());
      assertArrayEquals(expected, p.toArray(), "predict");
    }
  }

  static Tensor random(SplittableRandom rng, int... shape) {
    float[] a = new float[Tensor.sizeOf(shape)];
    for (int i = 0; i < a.length; i++) a[i] = (float) (2 * rng.nextDouble() - 1);
    return Tensor.of(a, shape);
  }

  static Tensor labels(SplittableRandom rng, int classes, int... shape) {
    float[] a = new float[Tensor.sizeOf(shape)];
    for (int i = 0; i < a.length; i++) a[i] = rng.nextInt(classes);
    return Tensor.of(a, shape);
  }

  /**
   * Builds the model twice from the same seed (java backend and simulated device), trains one
   * step on a batch, then fits with validation, evaluates and predicts, comparing bit for bit;
   * finally releases the device model and checks that every device block went back.
   */
  void trainBoth(Supplier<Model> model, Supplier<Loss> loss, Supplier<Optimizer> opt, Dataset train, Dataset val, int batch, int epochs) {
    Model host = model.get().compile(loss.get(), opt.get());
    Model dev = model.get().to(GPU).compile(loss.get(), opt.get());
    assertEquals(GPU, dev.device());
    for (Parameter p : dev.parameters()) assertFalse(p.value().isHost(), p + " is on the device");
    assertSameState(host, dev);

    Tensor x = train.features().rows(0, batch), y = train.targets().rows(0, batch);
    float lh = host.trainOnBatch(x, y);
    float ld;
    try (Tensor gx = x.to(GPU); Tensor gy = y.to(GPU)) {
      ld = dev.trainOnBatch(gx, gy);
    }
    assertBits(lh, ld, "trainOnBatch loss");
    assertSameState(host, dev);

    FitOptions fo = FitOptions.builder().epochs(epochs).batchSize(batch).seed(3).validation(val).build();
    History hh = host.fit(train, fo), hd = dev.fit(train, fo);
    assertSameHistory(hh, hd);
    assertSameState(host, dev);
    assertSameEvaluation(host.evaluate(val, batch), dev.evaluate(val, batch));
    assertSamePredictions(host, dev, val.features(), batch);

    assertTrue(sim.liveBlocks() > 0);
    dev.close();
    assertEquals(0, sim.liveBlocks(), "device blocks left after close(): " + sim);
    assertThrows(IllegalStateException.class, () -> dev.parameters().get(0).value().toArray());
  }

  // ------------------------------------------------------------------ models

  @Test
  void denseExampleTrainsBitIdentically() {
    DenseExample.Data d = DenseExample.data(1, 200, 70);
    trainBoth(() -> DenseExample.model(1), BceLoss::new, () -> Adam.builder().lr(1e-2).build(), d.train(), d.test(), 32, 3);
  }

  static Model cnn() {
    // 1x10x10 -> conv 4x8x8 -> BN -> ReLU -> maxpool 4x4x4 -> dropout -> flatten 64 -> dense 16 -> GELU -> dense 10
    return Model.sequential(new Conv2d(1, 4, 3), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new Dropout(0.25f), new Flatten(),
        new Dense(64, 16), new GELU(), new Dense(16, 10)).init(5);
  }

  @Test
  void cnnWithBatchNormPoolingDropoutTrainsBitIdentically() {
    SplittableRandom rng = new SplittableRandom(11);
    Dataset train = new Dataset(random(rng, 70, 1, 10, 10), labels(rng, 10, 70, 1));
    Dataset val = new Dataset(random(rng, 30, 1, 10, 10), labels(rng, 10, 30, 1));
    trainBoth(DeviceModelTest::cnn, SoftmaxCrossEntropyLoss::new,
        () -> Sgd.builder().lr(0.05).momentum(0.9).clipGlobalNorm(0.5).build(), train, val, 16, 2);
  }

  @ParameterizedTest(name = "{0}, returnSequences {1}")
  @CsvSource({"LSTM, true", "LSTM, false", "GRU, true", "GRU, false"})
  void twoLayerBidirectionalRecurrentTrainsBitIdentically(String kind, boolean sequences) {
    int in = 3, hidden = 5, steps = 7;
    SplittableRandom rng = new SplittableRandom(kind.hashCode() + (sequences ? 1 : 0));
    Supplier<Model> model = () -> {
      Layer rnn = kind.equals("LSTM")
          ? LSTM.builder().inputSize(in).hiddenSize(hidden).numLayers(2).bidirectional(true).returnSequences(sequences).build()
          : GRU.builder().inputSize(in).hiddenSize(hidden).numLayers(2).bidirectional(true).returnSequences(sequences).build();
      return sequences ? Model.sequential(rnn, new TimeDistributed(new Dense(2 * hidden, 4))).init(9)
          : Model.sequential(rnn, new Dense(2 * hidden, 1), new Sigmoid()).init(9);
    };
    Dataset train, val;
    if (sequences) {
      train = new Dataset(random(rng, 20, steps, in), labels(rng, 4, 20, steps));
      val = new Dataset(random(rng, 9, steps, in), labels(rng, 4, 9, steps));
    } else {
      train = new Dataset(random(rng, 20, steps, in), labels(rng, 2, 20, 1));
      val = new Dataset(random(rng, 9, steps, in), labels(rng, 2, 9, 1));
    }
    trainBoth(model, sequences ? SoftmaxCrossEntropyLoss::new : BceLoss::new, () -> Adam.builder().lr(1e-2).build(), train, val, 6, 2);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"rmsprop", "adagrad", "adamw", "sgd-nesterov"})
  void otherLayersLossesAndOptimizersTrainBitIdentically(String optimizer) {
    // 1x8x8 -> conv 3x6x6 -> avgpool 3x3x3 -> LeakyReLU -> global avgpool (N, 3) -> BatchNorm1d -> dense 2 -> softmax; MSE
    Supplier<Model> model = () -> Model.sequential(new Conv2d(1, 3, 3), new AvgPool2d(2), new LeakyReLU(0.1f), new GlobalAvgPool2d(),
        new BatchNorm1d(3), new Dense(3, 2), new Softmax()).init(6);
    Supplier<Optimizer> opt = switch (optimizer) {
      case "rmsprop" -> () -> dev.jnn.optim.RmsProp.builder().lr(1e-2).build();
      case "adagrad" -> () -> dev.jnn.optim.Adagrad.builder().lr(1e-1).build();
      case "adamw" -> () -> dev.jnn.optim.AdamW.builder().lr(1e-2).build();
      default -> () -> Sgd.builder().lr(0.1).momentum(0.8).nesterov(true).build();
    };
    SplittableRandom rng = new SplittableRandom(optimizer.hashCode());
    Dataset train = new Dataset(random(rng, 30, 1, 8, 8), uniform(rng, 30, 2));
    Dataset val = new Dataset(random(rng, 11, 1, 8, 8), uniform(rng, 11, 2));
    trainBoth(model, dev.jnn.loss.MseLoss::new, opt, train, val, 8, 2);
  }

  static Tensor uniform(SplittableRandom rng, int... shape) {
    float[] a = new float[Tensor.sizeOf(shape)];
    for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextDouble();
    return Tensor.of(a, shape);
  }

  @Test
  void embeddingMaskedPoolingTextClassifierTrainsBitIdentically() {
    int B = 8, T = 6, V = 20;
    SplittableRandom rng = new SplittableRandom(4);
    Supplier<Model> model = () -> Model.sequential(new Embedding(V, 5, 0), new GlobalAvgPool1d(), new Dense(5, 1)).init(2);
    Model host = model.get().compile(new BceWithLogitsLoss(), Adam.builder().lr(0.05).build());
    Model dev = model.get().to(GPU).compile(new BceWithLogitsLoss(), Adam.builder().lr(0.05).build());
    for (int step = 0; step < 4; step++) {
      float[] ids = new float[B * T], mask = new float[B * T], y = new float[B];
      for (int b = 0; b < B; b++) {
        int len = 1 + rng.nextInt(T);   // padded tail: id 0, mask 0
        if (b == 0 && step == 1) len = 0;   // a row without any valid step pools to 0
        for (int t = 0; t < len; t++) {
          ids[b * T + t] = 1 + rng.nextInt(V - 1);
          mask[b * T + t] = 1;
        }
        y[b] = rng.nextInt(2);
      }
      Tensor hx = Tensor.of(ids, B, T), hm = Tensor.of(mask, B, T), hy = Tensor.of(y, B, 1);
      ((GlobalAvgPool1d) host.sequential().layer(1)).setMask(hm);
      float lh = host.trainOnBatch(hx, hy);
      try (Tensor gx = hx.to(GPU); Tensor gm = hm.to(GPU); Tensor gy = hy.to(GPU)) {
        ((GlobalAvgPool1d) dev.sequential().layer(1)).setMask(gm);
        assertBits(lh, dev.trainOnBatch(gx, gy), "step " + step + " loss");
        assertSameState(host, dev);
        assertSamePredictions(host, dev, hx, 3 == step ? B : 4 * 2);
        ((GlobalAvgPool1d) dev.sequential().layer(1)).setMask(null);
      }
    }
    dev.close();
    assertEquals(0, sim.liveBlocks(), sim.toString());
  }

  @Test
  void charLstmSamplesTheSameTextOnTheDevice() {
    CharVocabulary vocab = CharVocabulary.of("the quick brown fox jumps over the lazy dog");
    Model host = SequenceExamples.charLstm(vocab.size(), 3);
    Model dev = SequenceExamples.charLstm(vocab.size(), 3).to(GPU);
    String a = SequenceExamples.sample(host, vocab, "the ", 6, 1.0, new SplittableRandom(1));
    String b = SequenceExamples.sample(dev, vocab, "the ", 6, 1.0, new SplittableRandom(1));
    assertEquals(a, b);
    dev.close();
    assertEquals(0, sim.liveBlocks(), sim.toString());
  }

  @Test
  void deviceIdsAreCheckedLikeHostIds() {
    Embedding e = new Embedding(4, 2);
    e.to(GPU);
    try (Tensor bad = Tensor.of(new float[] {1, 4}, 2).to(GPU)) {
      IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> e.forward(bad, true));
      assertTrue(ex.getMessage().contains("element 1 is 4.0"), ex.getMessage());
    }
    e.release();
    assertEquals(0, sim.liveBlocks(), sim.toString());
  }

  // ------------------------------------------------------------------ moving, checkpoints

  @Test
  void modelMovesToTheDeviceAndBackWithoutLeaks() {
    Model m = cnn().compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
    SplittableRandom rng = new SplittableRandom(1);
    Tensor x = random(rng, 4, 1, 10, 10), y = labels(rng, 10, 4, 1);
    m.trainOnBatch(x, y);
    Model ref = cnn().compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
    ref.trainOnBatch(x, y);

    m.to(GPU);
    for (Parameter p : m.parameters()) assertEquals(GPU, p.value().device());
    for (Tensor b : m.network().buffers().values()) assertEquals(GPU, b.device());
    assertEquals(GPU, m.optimizer().state("exp_avg", 0).device());
    assertSameState(ref, m);
    try (Tensor gx = x.to(GPU); Tensor gy = y.to(GPU)) {
      assertBits(ref.trainOnBatch(x, y), m.trainOnBatch(gx, gy), "loss after the move");
    }
    assertSameState(ref, m);

    m.to(Device.CPU);
    assertEquals(0, sim.liveBlocks(), "moving back must close every device tensor (parameters, grads, buffers, optimizer state, "
        + "work buffers): " + sim);
    for (Parameter p : m.parameters()) assertTrue(p.value().isHost());
    assertSameState(ref, m);
    m.to(Device.JAVA);
    assertBits(ref.trainOnBatch(x, y), m.trainOnBatch(x, y), "loss back on the host");
  }

  @Test
  void checkpointFromDeviceLoadsOnHostAndBack(@TempDir Path dir) throws Exception {
    SplittableRandom rng = new SplittableRandom(8);
    Dataset train = new Dataset(random(rng, 40, 1, 10, 10), labels(rng, 10, 40, 1));
    Model dev = cnn().to(GPU).compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-2).build());
    dev.fit(train, 1, 8);
    Path file = dir.resolve("dev.safetensors");
    dev.save(file);

    Model host = Model.load(file);
    assertEquals(Device.JAVA, host.device());
    assertSameState(withoutGrads(dev), withoutGrads(host));

    // back: the host checkpoint into a fresh device model, then one more identical epoch on both
    Path file2 = dir.resolve("host.safetensors");
    host.save(file2);
    Model dev2 = cnn().to(GPU).compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-2).build());
    dev2.loadWeights(file2);
    assertEquals(GPU, dev2.device());
    assertSameState(withoutGrads(host), withoutGrads(dev2));
    History a = host.fit(train, FitOptions.builder().epochs(2).initialEpoch(1).batchSize(8).build());
    History b = dev2.fit(train, FitOptions.builder().epochs(2).initialEpoch(1).batchSize(8).build());
    assertSameHistory(a, b);
    assertSameState(host, dev2);
    dev.close();
    dev2.close();
    assertEquals(0, sim.liveBlocks(), sim.toString());
  }

  /** The model with zeroed gradients view: checkpoints hold no gradients, so compare values, buffers and state only. */
  private static Model withoutGrads(Model m) {
    for (Parameter p : m.parameters()) p.grad().fill(0f);
    return m;
  }

  // ------------------------------------------------------------------ memory

  @Test
  void steadyStateTrainingAllocatesNoDeviceMemory() {
    SplittableRandom rng = new SplittableRandom(3);
    Dataset train = new Dataset(random(rng, 50, 1, 10, 10), labels(rng, 10, 50, 1));   // 3 full batches of 16 and one of 2
    Dataset val = new Dataset(random(rng, 20, 1, 10, 10), labels(rng, 10, 20, 1));
    Model m = cnn().to(GPU).compile(new SoftmaxCrossEntropyLoss(), Adam.builder().clipGlobalNorm(1).build());
    List<long[]> perStep = new ArrayList<>();   // {epoch, allocations, releases} after each batch
    Callback rec = new Callback() {
      @Override public void onBatchEnd(int epoch, int step, float loss) { perStep.add(new long[] {epoch, sim.allocations(), sim.releases()}); }
      @Override public void onEpochEnd(EpochLog log) {}
    };
    m.fit(train, FitOptions.builder().epochs(4).batchSize(16).validation(val).callback(rec).build());
    long[] afterWarmUp = perStep.stream().filter(s -> s[0] == 2).findFirst().orElseThrow();
    long[] end = perStep.get(perStep.size() - 1);
    assertEquals(afterWarmUp[1], end[1], "device allocations during epochs 2-4 of fit (after the first epoch and validation)");
    assertEquals(afterWarmUp[2], end[2], "device releases during epochs 2-4 of fit");

    Tensor x = train.features().rows(0, 16), y = train.targets().rows(0, 16);
    try (Tensor gx = x.to(GPU); Tensor gy = y.to(GPU)) {
      m.trainOnBatch(gx, gy);
      m.trainOnBatch(gx, gy);
      long allocs = sim.allocations(), releases = sim.releases(), uploads = sim.uploads();
      for (int i = 0; i < 10; i++) m.trainOnBatch(gx, gy);
      assertEquals(allocs, sim.allocations(), "10 trainOnBatch steps allocated device memory");
      assertEquals(releases, sim.releases(), "10 trainOnBatch steps released device memory they should keep");
      assertEquals(uploads, sim.uploads(), "a device training step of this model uploads nothing");
    }
    m.close();
    assertEquals(0, sim.liveBlocks(), sim.toString());
  }

  @Test
  void evictedWorkBuffersAreClosed() {
    Dense d = new Dense(3, 2);
    d.to(GPU);
    long base = sim.liveBlocks();   // weight, bias and their gradients
    for (int batch = 1; batch <= 6; batch++)
      try (Tensor x = Tensor.zeros(GPU, batch, 3)) {
        d.forward(x, true);
      }
    assertEquals(base + 2L * ShapeCache.DEFAULT_CAPACITY, sim.liveBlocks(), "only the cached shapes keep their (y, dx) buffers: " + sim);
    d.to(Device.JAVA);
    assertEquals(0, sim.liveBlocks(), sim.toString());
  }

  @Test
  void closedTensorsFailClearly() {
    Tensor t = Tensor.zeros(GPU, 2, 3);
    Tensor view = t.rows(1, 1);
    t.close();
    assertTrue(t.isClosed());
    IllegalStateException e = assertThrows(IllegalStateException.class, t::toArray);
    assertTrue(e.getMessage().contains("was closed"), e.getMessage());
    assertThrows(IllegalStateException.class, view::toArray, "a view of a closed block is closed too");
    try (Tensor y = Tensor.zeros(GPU, 2, 3)) {
      IllegalStateException k = assertThrows(IllegalStateException.class, () -> Backends.get(GPU).reluForward(t, y));
      assertTrue(k.getMessage().startsWith("relu_forward: x [2, 3] on cuda:7 was closed"), k.getMessage());
    }
    Sequential m = new Sequential(new Dense(3, 2)).to(GPU);
    m.release();
    try (Tensor x = Tensor.zeros(GPU, 1, 3)) {
      IllegalStateException r = assertThrows(IllegalStateException.class, () -> m.forward(x, false));
      assertTrue(r.getMessage().contains("was closed"), r.getMessage());
    }
    m.release();   // the work buffers the failed forward allocated
    assertEquals(0, sim.liveBlocks(), sim.toString());
  }

  @Test
  void hostViewCopiesDeviceTensorsIntoTheReusedBufferOnly() {
    float[] a = {1, 2, 3, 4, 5, 6};
    Tensor host = Tensor.of(a, 2, 3).rows(1, 1);
    assertTrue(host.hostView(null) == a, "a host tensor is read in place");
    assertEquals(3, host.hostStart());
    try (Tensor dev = Tensor.of(a, 2, 3).to(GPU)) {
      Tensor row = dev.rows(1, 1);
      float[] scratch = new float[8];
      long downloads = sim.downloads();
      float[] h = row.hostView(scratch);
      assertTrue(h == scratch, "a long enough buffer is reused");
      assertEquals(0, row.hostStart());
      assertArrayEquals(new float[] {4, 5, 6}, java.util.Arrays.copyOf(h, 3));
      assertEquals(downloads + 1, sim.downloads());
      float[] grown = dev.hostView(new float[2]);
      assertEquals(6, grown.length, "a short buffer is replaced by one of the tensor's size");
      assertArrayEquals(a, grown);
    }
  }

  @Test
  void hostDataOnADeviceTensorThrows() {
    try (Tensor t = Tensor.zeros(GPU, 4)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, t::data);
      assertTrue(e.getMessage().contains("device memory"), e.getMessage());
    }
  }

  @Test
  void viewsKeepTheBlockAlive() throws Exception {
    Tensor view = viewOfUnreachableRoot();
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(20);
    }
    assertEquals(0, sim.releases(), "the block of a reachable view was released");
    assertArrayEquals(new float[] {5, 6, 7}, view.toArray());
    view.close();   // closing a view does nothing
    assertFalse(view.isClosed());
    assertEquals(0, sim.releases());
  }

  private Tensor viewOfUnreachableRoot() {
    Tensor root = Tensor.zeros(GPU, 3, 3);
    root.copyFrom(new float[] {1, 2, 3, 5, 6, 7, 8, 9, 10}, 0);
    return root.rows(1, 1).reshape(3);
  }

  @Test
  void unclosedDeviceTensorIsReportedByTheCleaner() throws Exception {
    java.util.logging.Logger log = java.util.logging.Logger.getLogger("dev.jnn");
    List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler h = new java.util.logging.Handler() {
      @Override public void publish(java.util.logging.LogRecord r) {
        if (r.getLevel() == java.util.logging.Level.WARNING) warnings.add(r.getMessage());
      }
      @Override public void flush() {}
      @Override public void close() {}
    };
    log.addHandler(h);
    try {
      leak();
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (sim.releases() == 0 && System.nanoTime() < deadline) {
        System.gc();
        Thread.sleep(20);
      }
      assertEquals(1, sim.releases(), "the Cleaner returned the leaked block");
      assertTrue(warnings.stream().anyMatch(w -> w.contains("device tensor [5, 7] on cuda:7 was never closed")), warnings.toString());
    } finally {
      log.removeHandler(h);
    }
  }

  private void leak() { assertNotEquals(null, Tensor.zeros(GPU, 5, 7)); }
}
