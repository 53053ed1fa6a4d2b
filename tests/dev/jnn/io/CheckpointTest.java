package dev.jnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jnn.backend.Backends;
import dev.jnn.data.Dataset;
import dev.jnn.loss.BceLoss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.BatchNorm1d;
import dev.jnn.nn.BatchNorm2d;
import dev.jnn.nn.Conv2d;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Dropout;
import dev.jnn.nn.Flatten;
import dev.jnn.nn.GELU;
import dev.jnn.nn.Init;
import dev.jnn.nn.Layer;
import dev.jnn.nn.LeakyReLU;
import dev.jnn.nn.MaxPool2d;
import dev.jnn.nn.AvgPool2d;
import dev.jnn.nn.GlobalAvgPool2d;
import dev.jnn.nn.Parameter;
import dev.jnn.nn.ReLU;
import dev.jnn.nn.Sigmoid;
import dev.jnn.nn.Softmax;
import dev.jnn.nn.Tanh;
import dev.jnn.optim.Adagrad;
import dev.jnn.optim.Adam;
import dev.jnn.optim.AdamW;
import dev.jnn.optim.LrSchedule;
import dev.jnn.optim.Optimizer;
import dev.jnn.optim.RmsProp;
import dev.jnn.optim.Sgd;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Callback;
import dev.jnn.train.DenseExample;
import dev.jnn.train.EpochLog;
import dev.jnn.train.FitOptions;
import dev.jnn.train.History;
import dev.jnn.train.Model;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Checkpoints: round trip, exact resume, atomic writes, validation of bad files, the safetensors layout. */
class CheckpointTest {
  @TempDir Path dir;

  @AfterEach
  void clearHook() { SafeTensors.writeHook = null; }

  // ------------------------------------------------------------------ models and data

  /** Every dense-family layer type, with BatchNorm1d for running statistics. */
  static Model denseZoo() {
    return Model.sequential(new Dense(6, 8, Init.HE_NORMAL), new BatchNorm1d(8, 0.2f, 1e-3f), new LeakyReLU(0.05f), new Dropout(0.25f), new Dense(8, 8),
        new Tanh(), new GELU(), new Dense(8, 3), new Sigmoid(), new Dense(3, 3), new ReLU(), new Dense(3, 3), new Softmax());
  }

  static Dataset blobs(int n, int features, int classes, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * features];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(classes);
      for (int j = 0; j < features; j++) x[i * features + j] = (float) (r.nextGaussian() * 0.7 + (j % classes == y[i] ? 1.5 : 0));
    }
    return Dataset.ofLabels(Tensor.of(x, n, features), y);
  }

  /** A small conv net on 8x8 images with every conv-family layer. */
  static Model convNet() {
    return Model.sequential(Conv2d.builder(1, 4).kernel(3).padding(1).build(), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
        Conv2d.builder(4, 4).kernel(3).paddingSame().bias(false).build(), new AvgPool2d(2, 2, 0), new Dropout(0.1f), new Flatten(),
        new Dense(16, 3));
  }

  static Dataset images(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * 64];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(3);
      for (int p = 0; p < 64; p++) x[i * 64 + p] = (float) (r.nextGaussian() * 0.5 + ((p / 8) % 3 == y[i] ? 1 : 0));
    }
    return Dataset.ofLabels(Tensor.of(x, n, 1, 8, 8), y);
  }

  static void assertSameState(Model a, Model b) {
    assertEquals(a.sequential().size(), b.sequential().size());
    for (int i = 0; i < a.sequential().size(); i++) {
      Layer la = a.sequential().layer(i), lb = b.sequential().layer(i);
      assertEquals(la.getClass(), lb.getClass());
      assertEquals(la.name(), lb.name());
      for (int k = 0; k < la.parameters().size(); k++)
        assertArrayEquals(la.parameters().get(k).value().toArray(), lb.parameters().get(k).value().toArray(), i + "." + la.parameters().get(k).name());
      for (String n : la.buffers().keySet()) assertArrayEquals(la.buffers().get(n).toArray(), lb.buffers().get(n).toArray(), i + "." + n);
      if (la instanceof Dropout da) {
        assertEquals(da.seed(), ((Dropout) lb).seed());
        assertEquals(da.counter(), ((Dropout) lb).counter());
      }
    }
    Optimizer oa = a.optimizer(), ob = b.optimizer();
    if (oa != null) {
      assertNotNull(ob);
      assertEquals(oa.name(), ob.name());
      assertEquals(oa.steps(), ob.steps());
      for (int j = 0; j < oa.parameters().size(); j++)
        for (String s : oa.stateNames()) assertArrayEquals(oa.state(s, j).toArray(), ob.state(s, j).toArray(), "optimizer state " + s + " of " + j);
      assertEquals(a.loss().name(), b.loss().name());
    }
    assertEquals(a.trainingProgress(), b.trainingProgress());
    assertEquals(a.seed(), b.seed());
  }

  // ------------------------------------------------------------------ round trip

  static Stream<Arguments> optimizers() {
    return Stream.of(
        Arguments.of("Adam", (Supplier<Optimizer>) () -> Adam.builder().lr(3e-3).betas(0.8, 0.99).eps(1e-7).weightDecay(1e-4).build()),
        Arguments.of("AdamW", (Supplier<Optimizer>) () -> AdamW.builder().schedule(LrSchedule.warmup(3, LrSchedule.cosine(0.01, 50, 1e-4)))
            .clipGlobalNorm(1.5).build()),
        Arguments.of("SGD", (Supplier<Optimizer>) () -> Sgd.builder().schedule(LrSchedule.step(0.05, 4, 0.5)).momentum(0.9).nesterov(true)
            .weightDecay(5e-4).build()),
        Arguments.of("RMSprop", (Supplier<Optimizer>) () -> RmsProp.builder().lr(1e-3).alpha(0.9).build()),
        Arguments.of("Adagrad", (Supplier<Optimizer>) () -> Adagrad.builder().lr(0.05).lrDecay(1e-3).build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void roundTripWeightsBuffersOptimizerStateAndProgress(String name, Supplier<Optimizer> opt) throws IOException {
    Model m = denseZoo().init(17);
    m.compile(new SoftmaxCrossEntropyLoss(), opt.get());
    m.fit(blobs(50, 6, 3, 1), FitOptions.builder().epochs(2).batchSize(8).seed(3).build());
    Path p = dir.resolve("m.safetensors");
    m.save(p);
    Model back = Model.load(p);
    assertSameState(m, back);
    assertEquals(2, back.trainingProgress().epochsDone());
    assertEquals(8, back.trainingProgress().batchSize());
    assertEquals(m.optimizer().schedule(), back.optimizer().schedule());
    assertEquals(m.optimizer().clipNorm(), back.optimizer().clipNorm());
    assertTrue(((Dropout) back.sequential().layer(3)).counter() > 0, "dropout counter restored");
    assertTrue(((BatchNorm1d) back.sequential().layer(1)).runningMean().at(0) != 0f, "running statistics restored");
    // the loaded model computes what the saved one computes
    Tensor x = blobs(5, 6, 3, 2).features();
    assertArrayEquals(m.predict(x).toArray(), back.predict(x).toArray());
  }

  @Test
  void saveWeightsOnlyAndLoadIntoAnExistingModel() throws IOException {
    Model m = denseZoo().init(5);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
    m.fit(blobs(40, 6, 3, 1), FitOptions.builder().epochs(1).batchSize(8).build());
    Path p = dir.resolve("w.safetensors");
    m.saveWeights(p);
    Model uncompiled = Model.load(p);
    assertEquals(null, uncompiled.optimizer(), "weights-only file: not compiled");
    Model target = denseZoo().init(99);
    target.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
    target.loadWeights(p);
    for (int i = 0; i < m.parameters().size(); i++) assertArrayEquals(m.parameters().get(i).value().toArray(), target.parameters().get(i).value().toArray());
    assertEquals(0, target.optimizer().steps(), "no optimizer state in the file: a fresh optimizer");
    // and a full checkpoint into a compiled model restores the optimizer too
    Path full = dir.resolve("full.safetensors");
    m.save(full);
    target.loadWeights(full);
    assertSameState(m, target);
  }

  // ------------------------------------------------------------------ exact resume

  /** Per-step losses of a fit (all epochs), recorded by a callback. */
  static final class Recorder implements Callback {
    final List<Float> losses = new ArrayList<>();
    @Override public void onBatchEnd(int epoch, int step, float loss) { losses.add(loss); }
    @Override public void onEpochEnd(EpochLog log) {}
  }

  /** Two epochs in one go vs one epoch, save, load (a new model object graph), one more epoch: the same losses and weights, bit for bit. */
  void exactResume(Supplier<Model> build, Supplier<Optimizer> opt, dev.jnn.loss.Loss loss, Dataset data, Device dev, int batch) throws IOException {
    Backends.get(dev);
    Model full = build.get().init(7).to(dev);
    full.compile(loss, opt.get());
    Recorder all = new Recorder();
    History h2 = full.fit(data, FitOptions.builder().epochs(2).batchSize(batch).seed(21).callback(all).build());

    Model first = build.get().init(7).to(dev);
    first.compile(loss, opt.get());
    Recorder r1 = new Recorder();
    first.fit(data, FitOptions.builder().epochs(1).batchSize(batch).seed(21).callback(r1).build());
    Path p = dir.resolve("resume-" + dev + ".safetensors");
    first.save(p);

    Model resumed = Model.load(p).to(dev);
    Recorder r2 = new Recorder();
    History h = resumed.fit(data, FitOptions.builder().epochs(2).resume(resumed).callback(r2).build());
    assertEquals(1, h.size());
    assertEquals(2, h.last().epoch());
    List<Float> joined = new ArrayList<>(r1.losses);
    joined.addAll(r2.losses);
    assertEquals(all.losses, joined, "per-step losses of 1 + (save, load) + 1 epochs equal those of 2 epochs, bit for bit");
    assertEquals(Double.doubleToLongBits(h2.last().loss()), Double.doubleToLongBits(h.last().loss()));
    assertSameState(full, resumed);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void exactResumeDenseExample(String device) throws IOException {
    DenseExample.Data d = DenseExample.data(1, 300, 10);
    exactResume(() -> DenseExample.model(1), () -> Adam.builder().lr(1e-3).build(), new BceLoss(), d.train(), Device.parse(device), 32);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void exactResumeWithDropoutAndMomentum(String device) throws IOException {
    exactResume(() -> Model.sequential(new Dense(6, 16), new ReLU(), new Dropout(0.3f), new Dense(16, 3)),
        () -> Sgd.builder().schedule(LrSchedule.step(0.05, 5, 0.7)).momentum(0.9).build(), new SoftmaxCrossEntropyLoss(), blobs(70, 6, 3, 4),
        Device.parse(device), 16);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void exactResumeConvNet(String device) throws IOException {
    exactResume(CheckpointTest::convNet, () -> AdamW.builder().lr(3e-3).build(), new SoftmaxCrossEntropyLoss(), images(40, 3), Device.parse(device), 8);
  }

  @Test
  void callbackSavesEveryEpochAndAnInterruptedRunResumesExactly() throws IOException {
    DenseExample.Data d = DenseExample.data(1, 200, 10);
    Model full = DenseExample.compiledModel(DenseExample.Config.defaults());
    History h = full.fit(d.train(), FitOptions.builder().epochs(3).seed(5).build());
    // a run that "crashes" after epoch 2: its per-epoch checkpoint holds epoch 2
    Model crashed = DenseExample.compiledModel(DenseExample.Config.defaults());
    Path p = dir.resolve("every.safetensors");
    RuntimeException crash = assertThrows(RuntimeException.class, () -> crashed.fit(d.train(), FitOptions.builder().epochs(3).seed(5)
        .callback(crashed.checkpointEvery(1, p)).callback(log -> { if (log.epoch() == 2) throw new RuntimeException("killed"); }).build()));
    assertEquals("killed", crash.getMessage());
    Model resumed = Model.load(p);
    assertEquals(2, resumed.trainingProgress().epochsDone());
    History rest = resumed.fit(d.train(), FitOptions.builder().epochs(3).resume(resumed).build());
    assertEquals(h.loss()[2], rest.last().loss());
    assertSameState(full, resumed);
  }

  // ------------------------------------------------------------------ atomic writes

  @Test
  void failedWriteLeavesThePreviousCheckpointIntact() throws IOException {
    Model m = denseZoo().init(1);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
    Path p = dir.resolve("ckpt.safetensors");
    m.save(p);
    byte[] before = Files.readAllBytes(p);
    m.fit(blobs(30, 6, 3, 1), FitOptions.builder().epochs(1).batchSize(8).build());   // the model changes
    Path[] tmp = new Path[1];
    SafeTensors.writeHook = t -> {
      tmp[0] = t;
      assertTrue(Files.size(t) > before.length / 2, "the new file was being written");
      throw new IOException("injected failure: disk full");
    };
    IOException e = assertThrows(IOException.class, () -> m.save(p));
    assertTrue(e.getMessage().contains("injected"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(p), "the previous checkpoint is untouched");
    assertFalse(Files.exists(tmp[0]), "the temporary file is removed");
    try (Stream<Path> files = Files.list(dir)) { assertEquals(List.of(p), files.toList(), "nothing else left in the directory"); }
    assertEquals(0, Model.load(p).trainingProgress().epochsDone(), "the old checkpoint still loads");
    // a runtime failure (a bug, an OOM) behaves the same
    SafeTensors.writeHook = t -> { throw new IllegalStateException("crash"); };
    assertThrows(IllegalStateException.class, () -> m.save(p));
    assertArrayEquals(before, Files.readAllBytes(p));
    SafeTensors.writeHook = null;
    m.save(p);
    assertEquals(1, Model.load(p).trainingProgress().epochsDone(), "a successful save replaces it");
  }

  @Test
  void writesIntoNewDirectories() throws IOException {
    Path p = dir.resolve("a/b/c.safetensors");
    DenseExample.model(1).save(p);
    assertEquals(4, SafeTensors.read(p).tensors().size());
    assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
        "not the 0600 of a temporary file");
    Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
    DenseExample.model(2).save(p);
    assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), "a replaced file keeps its mode");
  }

  // ------------------------------------------------------------------ the safetensors layout (spec check by hand, no reader of ours)

  @Test
  void fileFollowsTheSafetensorsSpec() throws IOException {
    Model m = Model.sequential(new Dense(4, 3), new BatchNorm1d(3), new ReLU(), new Dense(3, 2)).init(2);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
    m.fit(blobs(20, 4, 2, 1), FitOptions.builder().epochs(1).batchSize(5).build());
    Path p = dir.resolve("spec.safetensors");
    m.save(p);
    byte[] f = Files.readAllBytes(p);
    ByteBuffer bb = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    long n = bb.getLong(0);
    assertEquals(0, (8 + n) % 8, "data starts 8-byte aligned");
    String header = new String(f, 8, (int) n, StandardCharsets.UTF_8);
    assertTrue(header.startsWith("{"), header);
    assertEquals(header.stripTrailing(), header.strip(), "only trailing padding");
    assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '), "padding is spaces");
    JsonNode h = new ObjectMapper().readTree(header);
    JsonNode meta = h.get("__metadata__");
    for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) assertTrue(it.next().getValue().isTextual(), "metadata values are strings");
    assertEquals("pt", meta.get("format").textValue());
    assertEquals(Checkpoint.FORMAT_VERSION, meta.get("jnn.format_version").textValue());
    assertEquals("2", Checkpoint.FORMAT_VERSION);
    JsonNode arch = new ObjectMapper().readTree(meta.get("jnn.architecture").textValue());
    assertEquals("Model", arch.get("class").textValue());
    assertEquals(2, arch.get("seed").intValue());
    assertEquals("Sequential", arch.get("root").get("type").textValue());
    JsonNode layers = arch.get("root").get("config").get("layers");
    assertEquals(4, layers.size());
    assertEquals("Dense", layers.get(0).get("type").textValue());
    assertEquals(4, layers.get(0).get("config").get("in_features").intValue());
    assertEquals("BatchNorm1d", layers.get(1).get("type").textValue());
    JsonNode opt = new ObjectMapper().readTree(meta.get("jnn.optimizer").textValue());
    assertEquals("Adam", opt.get("type").textValue());
    assertEquals(4, opt.get("steps").intValue());
    assertEquals(1, new ObjectMapper().readTree(meta.get("jnn.training").textValue()).get("epochs_done").intValue());

    Map<String, Tensor> expected = new LinkedHashMap<>();
    expected.put("0.weight", m.sequential().layer(0).parameters().get(0).value());
    expected.put("0.bias", m.sequential().layer(0).parameters().get(1).value());
    expected.put("1.weight", m.sequential().layer(1).parameters().get(0).value());
    expected.put("1.bias", m.sequential().layer(1).parameters().get(1).value());
    expected.put("1.running_mean", m.sequential().layer(1).buffers().get("running_mean"));
    expected.put("1.running_var", m.sequential().layer(1).buffers().get("running_var"));
    expected.put("3.weight", m.sequential().layer(3).parameters().get(0).value());
    expected.put("3.bias", m.sequential().layer(3).parameters().get(1).value());
    expected.put("optimizer.0.weight.exp_avg", m.optimizer().state("exp_avg", 0));
    expected.put("optimizer.3.bias.exp_avg_sq", m.optimizer().state("exp_avg_sq", 5));
    long[] ranges = new long[0];
    List<long[]> spans = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) continue;
      JsonNode t = e.getValue();
      assertEquals("F32", t.get("dtype").textValue());
      long b = t.get("data_offsets").get(0).longValue(), end = t.get("data_offsets").get(1).longValue();
      long numel = 1;
      for (JsonNode d : t.get("shape")) numel *= d.longValue();
      assertEquals(4 * numel, end - b, e.getKey());
      spans.add(new long[] {b, end});
      Tensor want = expected.get(e.getKey());
      if (want != null) {
        int[] shape = new int[t.get("shape").size()];
        for (int i = 0; i < shape.length; i++) shape[i] = t.get("shape").get(i).intValue();
        assertArrayEquals(want.shape(), shape, e.getKey());
        float[] got = new float[(int) numel];
        for (int i = 0; i < numel; i++) got[i] = bb.getFloat((int) (8 + n + b + 4L * i));
        assertArrayEquals(want.toArray(), got, e.getKey() + " data, little-endian float32");
      }
    }
    for (String k : expected.keySet()) assertTrue(h.has(k), "tensor " + k + " present");
    spans.sort((x, y) -> Long.compare(x[0], y[0]));
    long at = 0;
    for (long[] s : spans) {
      assertEquals(at, s[0], "tensors packed without gaps or overlaps");
      at = s[1];
    }
    assertEquals(f.length - 8 - n, at, "the data ends the file");
  }

  // ------------------------------------------------------------------ bad files

  Path valid() throws IOException {
    Model m = DenseExample.compiledModel(DenseExample.Config.defaults());
    Path p = dir.resolve("valid.safetensors");
    m.save(p);
    return p;
  }

  /** A file with a hand-written header and the given data length. */
  Path raw(String name, String header, int dataBytes) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Path p = dir.resolve(name);
    Files.write(p, b.array());
    return p;
  }

  static void assertProblem(Path p, String... words) {
    Exception e = assertThrows(Exception.class, () -> Model.load(p));
    assertTrue(e instanceof IOException || e instanceof IllegalArgumentException, "a clear exception, got " + e);
    String m = e.getMessage();
    assertTrue(m.contains(p.toString()), "names the file: " + m);
    for (String w : words) assertTrue(m.contains(w), "mentions '" + w + "': " + m);
  }

  @Test
  void truncatedFiles() throws IOException {
    Path p = valid();
    byte[] f = Files.readAllBytes(p);
    Path a = dir.resolve("a");
    Files.write(a, Arrays.copyOf(f, 5));
    assertProblem(a, "truncated", "5 bytes");
    Path b = dir.resolve("b");
    Files.write(b, Arrays.copyOf(f, 100));   // inside the header
    assertProblem(b, "beyond the end of the file");
    Path c = dir.resolve("c");
    Files.write(c, Arrays.copyOf(f, f.length - 10));   // inside the data
    assertProblem(c, "truncated");
    Path empty = dir.resolve("empty");
    Files.write(empty, new byte[0]);
    assertProblem(empty, "truncated");
    Path longer = dir.resolve("longer");
    Files.write(longer, Arrays.copyOf(f, f.length + 4));
    assertProblem(longer, "trailing bytes");
  }

  @Test
  void corruptedHeaders() throws IOException {
    Path p = valid();
    byte[] f = Files.readAllBytes(p);
    byte[] g = f.clone();
    g[8] = (byte) 'x';   // breaks the JSON: the header no longer starts with {
    Path c = dir.resolve("corrupt");
    Files.write(c, g);
    assertProblem(c, "corrupted header JSON");
    byte[] huge = f.clone();
    ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
    Path hl = dir.resolve("huge");
    Files.write(hl, huge);
    assertProblem(hl, "beyond the end of the file");
    ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -8);
    Files.write(hl, huge);
    assertProblem(hl, "beyond the end of the file");

    assertProblem(raw("array", "[1, 2]  ", 0), "not a JSON object");
    assertProblem(raw("dup", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
        "corrupted header JSON", "Duplicate");
    assertProblem(raw("out", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 12),
        "'b'", "beyond");
    assertProblem(raw("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
        "overlaps");
    assertProblem(raw("gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "gap");
    assertProblem(raw("dtype", "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4), "dtype F16", "F32");
    assertProblem(raw("size", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20), "needs 24 bytes", "hold 20");
    assertProblem(raw("neg", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "invalid dimension");
    assertProblem(raw("offs", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "data_offsets");
    assertProblem(raw("meta", "{\"__metadata__\":{\"x\":1}}", 0), "not a string");
    assertProblem(raw("plain", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "not a jnn checkpoint");
  }

  @Test
  void tensorsThatDoNotFitTheArchitecture() throws IOException {
    Path p = valid();
    SafeTensors.Contents c = SafeTensors.read(p);
    // same metadata, one tensor with another shape
    Map<String, Tensor> ts = new LinkedHashMap<>();
    for (SafeTensors.Entry e : c.tensors().values()) ts.put(e.name(), e.toTensor());
    ts.put("2.bias", Tensor.zeros(2));
    Path shape = dir.resolve("shape");
    SafeTensors.write(shape, ts, c.metadata());
    assertProblem(shape, "2.bias", "shape [2]", "[1]");
    ts.remove("2.bias");
    Path missing = dir.resolve("missing");
    SafeTensors.write(missing, ts, c.metadata());
    assertProblem(missing, "'2.bias' is missing");
    ts.put("2.bias", Tensor.zeros(1));
    ts.put("7.weight", Tensor.zeros(1));
    Path extra = dir.resolve("extra");
    SafeTensors.write(extra, ts, c.metadata());
    assertProblem(extra, "unexpected tensor '7.weight'");
    Map<String, String> meta = new LinkedHashMap<>(c.metadata());
    meta.put("jnn.architecture", meta.get("jnn.architecture").replace("\"Dense\"", "\"Densest\""));
    Path type = dir.resolve("type");
    SafeTensors.write(type, ts, meta);
    assertProblem(type, "unknown layer type 'Densest'");
  }

  /**
   * The message of a rejected architecture names the file and the first difference (where, and
   * what the file and the model have there), then shows both architectures.
   */
  static void assertDifferentArchitecture(IllegalArgumentException e, Path p, String... difference) {
    String m = e.getMessage();
    assertTrue(m.contains(p.toString()) && m.contains("written by a different architecture: "), m);
    int from = m.indexOf("architecture: ") + "architecture: ".length(), to = m.indexOf(" (file: ");
    assertTrue(to > from && m.indexOf("; model: ", to) > to, m);
    String clause = m.substring(from, to);
    for (String d : difference) assertTrue(clause.contains(d), "the first difference names " + d + ": " + clause);
  }

  @Test
  void wrongArchitectureWhenLoadingIntoAModel() throws IOException {
    Path p = valid();   // Dense(10->50), ReLU, Dense(50->1), Sigmoid
    Model other = Model.sequential(new Dense(10, 40), new ReLU(), new Dense(40, 1), new Sigmoid()).init(3);
    float[] before = other.parameters().get(0).value().toArray();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.loadWeights(p));
    assertDifferentArchitecture(e, p, "root.config.layers[0].config.out_features is 50 in the file but 40 in the model");
    assertArrayEquals(before, other.parameters().get(0).value().toArray(), "the model is unchanged");
    assertEquals(3, other.seed(), "the model is unchanged");
    // the lower-level API rejects it the same way
    e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.loadInto(other.network(), null, p));
    assertDifferentArchitecture(e, p, "out_features is 50 in the file but 40 in the model");
    assertArrayEquals(before, other.parameters().get(0).value().toArray(), "the model is unchanged");
    Model shorter = Model.sequential(new Dense(10, 50), new ReLU(), new Dense(50, 1));
    e = assertThrows(IllegalArgumentException.class, () -> shorter.loadWeights(p));
    assertDifferentArchitecture(e, p, "root.config.layers[3] is", "Sigmoid", "absent in the model (4 vs 3 entries)");
    Model tanh = Model.sequential(new Dense(10, 50), new Tanh(), new Dense(50, 1), new Sigmoid());
    e = assertThrows(IllegalArgumentException.class, () -> tanh.loadWeights(p));
    assertDifferentArchitecture(e, p, "root.config.layers[1].type is \"ReLU\" in the file but \"Tanh\" in the model");
    Model sgd = DenseExample.model(1);
    sgd.compile(new BceLoss(), Sgd.builder().build());
    e = assertThrows(IllegalArgumentException.class, () -> sgd.loadWeights(p));
    assertTrue(e.getMessage().contains("Adam") && e.getMessage().contains("SGD"), e.getMessage());
  }

  @Test
  void convFamilyConfigurationsSurvive() throws IOException {
    Model m = Model.sequential(Conv2d.builder(2, 3).kernel(3, 1).stride(2, 1).padding(1, 0).dilation(1, 1).init(Init.HE_UNIFORM).build(),
        new BatchNorm2d(3, 0.05f, 1e-4f), new MaxPool2d(2, 1, 2, 1, 1, 0), new AvgPool2d(1, 2, 1, 1, 0, 1), new GlobalAvgPool2d(), new Flatten(),
        new Dense(3, 2)).init(11);
    Path p = dir.resolve("conv.safetensors");
    m.save(p);
    Model back = Model.load(p);
    assertSameState(m, back);
    Conv2d c = (Conv2d) back.sequential().layer(0);
    assertEquals(((Conv2d) m.sequential().layer(0)).options(), c.options());
    MaxPool2d mp = (MaxPool2d) back.sequential().layer(2);
    assertArrayEquals(new int[] {2, 1, 2, 1, 1, 0}, new int[] {mp.kernelH(), mp.kernelW(), mp.strideH(), mp.strideW(), mp.paddingH(), mp.paddingW()});
    assertEquals(0.05f, ((BatchNorm2d) back.sequential().layer(1)).momentum());
    assertEquals(1e-4f, ((BatchNorm2d) back.sequential().layer(1)).eps());
    Tensor x = images(3, 1).features();
    Tensor x2 = Tensor.zeros(3, 2, 8, 8);
    for (int i = 0; i < x.size(); i++) x2.data()[i] = x.at(i);
    assertArrayEquals(m.predict(x2).toArray(), back.predict(x2).toArray());
  }
}
