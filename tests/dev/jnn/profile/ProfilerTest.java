package dev.jnn.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jnn.backend.Backend;
import dev.jnn.backend.ProfilingBackend;
import dev.jnn.data.Dataset;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.Conv2d;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Embedding;
import dev.jnn.nn.Flatten;
import dev.jnn.nn.LSTM;
import dev.jnn.nn.Layer;
import dev.jnn.nn.Parameter;
import dev.jnn.nn.ProfileHooks;
import dev.jnn.nn.ReLU;
import dev.jnn.nn.Sequential;
import dev.jnn.nn.TimeDistributed;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.FitOptions;
import dev.jnn.train.Model;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The profiler on the java and cpu backends: nesting and positive times, FLOP counts of Dense,
 * Conv2d and LSTM against their formulas, the Chrome trace, the PNG, backends restored (also after
 * an exception), step windows, identical training with and without profiling.
 */
class ProfilerTest {
  static final int B = 8, N = 32;

  @AfterEach
  void hooksOff() {
    assertNull(ProfileHooks.listener(), "a test left a profiler listener installed");
  }

  static Device device(String name) { return Device.parse(name); }

  /** Conv2d(1->4, 3) ReLU Conv2d(4->6, 3) Flatten Dense(96->5) on 1x8x8 images: 8x8 -> 6x6 -> 4x4. */
  static Model cnn(Device d) {
    Model m = Model.sequential(new Conv2d(1, 4, 3), new ReLU(), new Conv2d(4, 6, 3), new Flatten(), new Dense(96, 5)).init(3).to(d);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-3).build());
    return m;
  }

  static Dataset images(Device d) {
    SplittableRandom r = new SplittableRandom(5);
    float[] x = new float[N * 64];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
    int[] labels = new int[N];
    for (int i = 0; i < N; i++) labels[i] = r.nextInt(5);
    return Dataset.ofLabels(Tensor.of(x, N, 1, 8, 8), labels);
  }

  static FitOptions oneEpoch() { return FitOptions.builder().epochs(1).batchSize(B).shuffle(false).build(); }

  /** Every layer of a model, pre-order, with TimeDistributed inners. */
  static List<Layer> allLayers(Layer m) {
    List<Layer> out = new ArrayList<>();
    out.add(m);
    if (m instanceof Sequential s) for (Layer l : s.layers()) out.addAll(allLayers(l));
    if (m instanceof TimeDistributed t) out.addAll(allLayers(t.inner()));
    return out;
  }

  static Map<Layer, Backend> backends(Layer m) {
    Map<Layer, Backend> b = new IdentityHashMap<>();
    for (Layer l : allLayers(m)) b.put(l, l.backend());
    return b;
  }

  static void assertSameBackends(Map<Layer, Backend> before, Layer m) {
    for (Layer l : allLayers(m)) assertSame(before.get(l), l.backend(), l.name() + " did not get its backend back");
  }

  /** Kernel FLOPs of one layer's phase, summed over the report's kernels. */
  static long flops(ProfileReport r, String layer, String phase) {
    long f = 0;
    for (ProfileEvent e : r.events()) if (e.isKernel() && layer.equals(e.layer()) && phase.equals(e.phase()) && e.flops() > 0) f += e.flops();
    return f;
  }

  static List<String> kernels(ProfileReport r, String layer, String phase) {
    List<String> k = new ArrayList<>();
    for (ProfileEvent e : r.events()) if (e.isKernel() && layer.equals(e.layer()) && phase.equals(e.phase())) k.add(e.name());
    return k;
  }

  @ParameterizedTest
  @ValueSource(strings = {"java", "cpu"})
  void timesArePositiveAndNestedKernelInLayerPhaseInStep(String dev) {
    Model m = cnn(device(dev));
    ProfileReport r;
    try (Profiler p = Profiler.start(m.network())) {
      m.fit(images(m.device()), oneEpoch());
      r = p.report();
    }
    assertEquals(N / B, r.steps());
    List<ProfileEvent> steps = new ArrayList<>(), phases = new ArrayList<>();
    int kernels = 0;
    for (ProfileEvent e : r.events()) {
      assertTrue(e.durationNs() > 0, "non-positive time: " + e);
      if (e.category().equals(ProfileEvent.STEP)) steps.add(e);
      else if (!e.isKernel()) phases.add(e);
    }
    assertEquals(N / B, steps.size());
    for (ProfileEvent ph : phases) {
      assertEquals(1, ph.depth(), "layer/loss/optimizer ranges sit directly in a step: " + ph);
      assertTrue(steps.stream().anyMatch(ph::within), ph + " is not inside a step");
    }
    for (ProfileEvent k : r.events()) {
      if (!k.isKernel()) continue;
      kernels++;
      assertEquals(2, k.depth(), "kernels sit in a layer phase or the optimizer step: " + k);
      String rangeName = k.phase().equals("update") ? "Adam.step" : k.layer() + "." + k.phase();
      ProfileEvent parent = phases.stream().filter(k::within).filter(p -> p.name().equals(rangeName)).findFirst().orElse(null);
      assertNotNull(parent, k + " has no enclosing range " + rangeName);
      assertTrue(k.startNs() >= parent.startNs() && k.endNs() <= parent.endNs());
    }
    assertTrue(kernels >= N / B * 10, "too few kernels recorded: " + kernels);
    Set<String> names = new HashSet<>();
    for (ProfileEvent e : phases) names.add(e.name());
    assertTrue(names.containsAll(List.of("Conv2d#1.forward", "Conv2d#2.backward", "ReLU#1.forward", "Dense#1.backward",
        "SoftmaxCrossEntropyLoss.forward", "SoftmaxCrossEntropyLoss.backward", "Adam.step")), names.toString());
    // every parameter's fused update is reported under its layer
    assertEquals(N / B * 2, kernels(r, "Conv2d#1", "update").size());
    assertTrue(kernels(r, "Dense#1", "update").stream().allMatch("adam_update"::equals));
    String table = r.table();
    assertTrue(table.contains("Conv2d#2") && table.contains("conv2d_forward") && table.contains("% step"), table);
  }

  @ParameterizedTest
  @ValueSource(strings = {"java", "cpu"})
  void denseAndConvFlopsFollowTheFormulas(String dev) {
    Model m = cnn(device(dev));
    ProfileReport r;
    try (Profiler p = Profiler.start(m.network())) {
      m.fit(images(m.device()), oneEpoch());
      r = p.report();
    }
    int steps = N / B;
    // Dense(96 -> 5): forward one gemm 2*B*96*5; backward dW and dx, the same each
    long dense = 2L * B * 96 * 5;
    assertEquals(steps * dense, flops(r, "Dense#1", "forward"));
    assertEquals(steps * 2 * dense, flops(r, "Dense#1", "backward"));
    // conv 2 N K C R S P Q: Conv2d#1 (C=1, K=4, 6x6 out), Conv2d#2 (C=4, K=6, 4x4 out)
    long c1 = 2L * B * 4 * 1 * 3 * 3 * 6 * 6, c2 = 2L * B * 6 * 4 * 3 * 3 * 4 * 4;
    assertEquals(steps * c1, flops(r, "Conv2d#1", "forward"));
    assertEquals(steps * c2, flops(r, "Conv2d#2", "forward"));
    assertEquals(steps * 2 * c2, flops(r, "Conv2d#2", "backward"), "backward data + backward filter");
    // the first layer computes no input gradient: only the filter gradient
    assertEquals(steps * c1, flops(r, "Conv2d#1", "backward"));
    assertFalse(kernels(r, "Conv2d#1", "backward").contains("conv2d_backward_data"));
    assertEquals(steps * (c1 + c1) + 0, r.layer("Conv2d#1").flops());
    assertEquals(0, flops(r, "ReLU#1", "forward"), "elementwise kernels count bytes only");
    ProfileEvent relu = r.events().stream().filter(e -> e.name().equals("relu_forward")).findFirst().orElseThrow();
    assertEquals(-1, relu.flops());
    assertEquals(2L * 4 * B * 4 * 6 * 6, relu.bytes(), "relu_forward reads x and writes y");
  }

  @ParameterizedTest
  @ValueSource(strings = {"java", "cpu"})
  void lstmFlopsFollowTheGateGemmFormula(String dev) {
    int v = 11, t = 7, in = 6, h = 5, n = 16, batch = 4;
    Model m = Model.sequential(new Embedding(v, in), LSTM.builder().inputSize(in).hiddenSize(h).returnSequences(true).build(),
        new TimeDistributed(new Dense(h, v))).init(1).to(device(dev));
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
    SplittableRandom r = new SplittableRandom(2);
    float[] ids = new float[n * t], next = new float[n * t];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextInt(v);
      next[i] = r.nextInt(v);
    }
    Dataset data = new Dataset(Tensor.of(ids, n, t), Tensor.of(next, n, t));
    ProfileReport rep;
    try (Profiler p = Profiler.start(m.network())) {
      m.fit(data, FitOptions.builder().epochs(1).batchSize(batch).shuffle(false).build());
      rep = p.report();
    }
    int steps = n / batch;
    long gates = 2L * batch * t * 4 * h * (in + h);
    assertEquals(steps * gates, flops(rep, "LSTM#1", "forward"));
    assertEquals(steps * 2 * gates, flops(rep, "LSTM#1", "backward"));
    assertTrue(kernels(rep, "LSTM#1", "forward").contains("lstm_forward"));
    // TimeDistributed calls its Dense through call(): the Dense has its own ranges, nested in the TimeDistributed's, and its
    // gemm is reported under the Dense (so the args need not name another layer)
    ProfileEvent g = rep.events().stream().filter(e -> e.isKernel() && e.name().equals("gemm") && "Dense#1".equals(e.layer())
        && "forward".equals(e.phase())).findFirst().orElseThrow();
    assertNull(g.args().get("layer"), "the kernel's own layer: " + g.args());
    assertEquals(2L * batch * t * h * v, g.flops());
    ProfileEvent denseFwd = rep.events().stream().filter(e -> e.name().equals("Dense#1.forward") && g.within(e)).findFirst().orElseThrow();
    assertTrue(rep.events().stream().anyMatch(e -> e.name().equals("TimeDistributed#1.forward") && denseFwd.within(e)),
        "the Dense's forward range sits in the TimeDistributed's");
    assertEquals(steps * 2L * batch * t * h * v, flops(rep, "Dense#1", "forward"));
    assertEquals(steps * 2 * 2L * batch * t * h * v, flops(rep, "Dense#1", "backward"), "dW and dx");
    assertEquals(0, flops(rep, "TimeDistributed#1", "forward"), "no kernels of its own");
    assertTrue(rep.events().stream().anyMatch(e -> e.name().equals("Dense#1.backward")));
    // the Dense owns its parameters: their optimizer updates are reported under it
    assertEquals(steps * 2, kernels(rep, "Dense#1", "update").size());
    assertTrue(kernels(rep, "TimeDistributed#1", "update").isEmpty());
  }

  @Test
  void chromeTraceParsesWithTracksAndNestedCompleteEvents(@TempDir Path dir) throws IOException {
    Model m = cnn(Device.CPU);
    Path trace = dir.resolve("out/trace.json");
    try (Profiler p = Profiler.start(m.network())) {
      m.fit(images(m.device()), oneEpoch());
      p.report().writeChromeTrace(trace);
    }
    JsonNode root = new ObjectMapper().readTree(trace.toFile());
    JsonNode evs = root.get("traceEvents");
    assertTrue(evs.isArray() && evs.size() > 50);
    Set<Long> threadTracks = new HashSet<>(), namedThreads = new HashSet<>();
    Set<String> cats = new HashSet<>();
    boolean convArgs = false, gemmArgs = false;
    for (JsonNode e : evs) {
      String ph = e.get("ph").asText();
      if (ph.equals("M")) {
        if (e.get("name").asText().equals("thread_name")) namedThreads.add(e.get("tid").asLong());
        continue;
      }
      assertEquals("X", ph);
      assertTrue(e.get("dur").asDouble() > 0 && e.get("ts").asDouble() >= 0, e.toString());
      assertEquals(1, e.get("pid").asInt());
      threadTracks.add(e.get("tid").asLong());
      cats.add(e.get("cat").asText());
      if (e.get("name").asText().equals("Conv2d#1.forward")) convArgs = e.get("args").get("description").asText().startsWith("Conv2d(");
      if (e.get("name").asText().equals("gemm")) {
        JsonNode a = e.get("args");
        gemmArgs = a.get("flops").asLong() > 0 && a.has("a") && a.has("b") && a.has("c") && a.get("layer").asText().equals("Dense#1");
      }
    }
    assertEquals(Set.of(Thread.currentThread().getId()), threadTracks, "one track: the training thread");
    assertTrue(namedThreads.containsAll(threadTracks), "every track is named");
    assertEquals(Set.of("step", "layer", "loss", "optimizer", "kernel"), cats);
    assertTrue(convArgs, "layer events carry the layer description");
    assertTrue(gemmArgs, "kernel events carry flops and shapes");
  }

  @Test
  void layerChartIsAPngOfTheRequestedSize(@TempDir Path dir) throws IOException {
    Model m = cnn(Device.CPU);
    Path png = dir.resolve("layers.png"), auto = dir.resolve("auto.png");
    try (Profiler p = Profiler.start(m.network())) {
      m.fit(images(m.device()), oneEpoch());
      p.report().writeLayerChart(png, 640, 360);
      p.report().writeLayerChart(auto);
    }
    byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 8);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(640, img.getWidth());
    assertEquals(360, img.getHeight());
    BufferedImage a = ImageIO.read(auto.toFile());
    assertEquals(1000, a.getWidth());
    assertEquals(140 + 28 * 6, a.getHeight(), "5 layers with time + the loss row");
  }

  @ParameterizedTest
  @ValueSource(strings = {"java", "cpu"})
  void backendsAreSwappedWhileOnAndRestoredAfterCloseEvenAfterAnException(String dev) {
    Model m = cnn(device(dev));
    Map<Layer, Backend> before = backends(m.network());
    m.fit(images(m.device()), oneEpoch());   // no profiler: nothing changes
    assertSameBackends(before, m.network());
    assertNull(ProfileHooks.listener());
    Tensor bad = Tensor.zeros(m.device(), 2, 3, 8, 8);   // 3 channels: Conv2d#1 wants 1
    Profiler kept = null;
    try (Profiler p = Profiler.start(m.network())) {
      kept = p;
      for (Layer l : allLayers(m.network())) {
        ProfilingBackend pb = assertInstanceOf(ProfilingBackend.class, l.backend(), l.name());
        assertSame(before.get(l), pb.delegate());
      }
      assertNotNull(ProfileHooks.listener());
      m.forward(bad, true);
    } catch (IllegalArgumentException expected) {
      assertTrue(expected.getMessage().contains("Conv2d"), expected.getMessage());
    }
    assertFalse(kept.isAttached());
    assertSameBackends(before, m.network());
    assertNull(ProfileHooks.listener());
    m.fit(images(m.device()), oneEpoch());   // the model is still usable, unprofiled
    assertSameBackends(before, m.network());
  }

  @Test
  void onlyOneProfilerAtATime() {
    Model m = cnn(Device.JAVA);
    try (Profiler p = Profiler.start(m.network())) {
      assertThrows(IllegalStateException.class, () -> Profiler.start(m.network()));
    }
    Profiler.start(m.network()).close();   // the slot is free again
  }

  @Test
  void windowRecordsStepsAfterWarmupThenDetachesWhileTrainingGoesOn() {
    Model m = cnn(Device.CPU);
    Map<Layer, Backend> before = backends(m.network());
    AtomicInteger completions = new AtomicInteger();
    List<ProfileReport> got = new ArrayList<>();
    Profiler p = Profiler.builder().warmupSteps(1).steps(2).onComplete(r -> {
      completions.incrementAndGet();
      got.add(r);
    }).start();   // no model: attaches to the first one trained
    try (p) {
      m.fit(images(m.device()), FitOptions.builder().epochs(2).batchSize(B).shuffle(false).build());   // 8 steps
      assertFalse(p.isAttached(), "detached after warm-up + window");
      assertSameBackends(before, m.network());
      assertNull(ProfileHooks.listener());
    }
    assertEquals(1, completions.get());
    ProfileReport r = got.get(0);
    assertEquals(2, r.steps());
    assertEquals(2, r.events().stream().filter(e -> e.category().equals(ProfileEvent.STEP)).count());
    assertSame(r, p.report());
  }

  @Test
  void windowNotReachedReportsAtClose() {
    Model m = cnn(Device.JAVA);
    List<ProfileReport> got = new ArrayList<>();
    try (Profiler p = Profiler.builder().model(m.network()).warmupSteps(2).steps(100).onComplete(got::add).start()) {
      m.fit(images(m.device()), oneEpoch());   // 4 steps: 2 warm-up, 2 recorded
    }
    assertEquals(1, got.size());
    assertEquals(2, got.get(0).steps());
  }

  @Test
  void profiledTrainingComputesExactlyWhatUnprofiledTrainingDoes() {
    Model a = cnn(Device.CPU), b = cnn(Device.CPU);
    a.fit(images(Device.CPU), oneEpoch());
    try (Profiler p = Profiler.start(b.network())) {
      b.fit(images(Device.CPU), oneEpoch());
    }
    List<Parameter> pa = a.parameters(), pb = b.parameters();
    for (int i = 0; i < pa.size(); i++) assertArrayEquals(pa.get(i).value().toArray(), pb.get(i).value().toArray(), pa.get(i).name());
  }

  @Test
  void plainForwardCallsAreRecordedWithoutSteps() {
    Model m = cnn(Device.CPU);
    Tensor x = Tensor.zeros(Device.CPU, B, 1, 8, 8);
    ProfileReport r;
    try (Profiler p = Profiler.start(m.network())) {
      m.forward(x, false);
      r = p.report();
    }
    assertEquals(0, r.steps());
    assertTrue(r.layer("Conv2d#2").forwardNs() > 0);
    assertTrue(r.table().contains("no training steps"), r.table());
  }

  @Test
  void nvtxCallsAreHarmlessWithoutTheLibraryOrAGpu() {
    if (!NvtxRanges.available()) System.out.println("NVTX not available here (expected without libjnn_nvtx): " + NvtxRanges.unavailableReason());
    NvtxRanges.push("test.range");
    NvtxRanges.mark("test.mark");
    NvtxRanges.pop();
    Model m = cnn(Device.CPU);
    try (Profiler p = Profiler.builder().model(m.network()).nvtx(true).start()) {
      m.fit(images(m.device()), oneEpoch());
      assertEquals(N / B, p.report().steps());
    }
    if (NvtxRanges.available()) assertNotNull(NvtxRanges.listenerIfAvailable());
    else assertNull(NvtxRanges.listenerIfAvailable());
  }

  @Test
  void gpuKernelsGetATrackPerDeviceStreamBesideTheHostThread() throws IOException {
    // synthetic events: no GPU here; this checks only the trace layout for device kernels
    long t0 = 1_000_000;
    List<ProfileEvent> evs = List.of(
        new ProfileEvent("Conv2d#1.forward", ProfileEvent.LAYER, 7, "main", t0, 5_000, 0, "Conv2d#1", "forward", -1, -1, null, null),
        new ProfileEvent("conv2d_forward", ProfileEvent.KERNEL, 7, "main", t0 + 1_000, 3_000, 1, "Conv2d#1", "forward", 1000, 400, "cuda:0",
            new Object[] {"x", Tensor.zeros(2, 3)}));
    ProfileReport r = new ProfileReport(evs, 0, 0, 0, "cuda:0", "test", DevicePeak.gpu(Device.cuda(0), "NVIDIA H100 PCIe"),
        Map.of("Conv2d#1", "Conv2d(1->4, 3x3)"), 0, 0, false);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    r.writeChromeTrace(out);
    JsonNode evsJson = new ObjectMapper().readTree(out.toByteArray()).get("traceEvents");
    Set<String> tracks = new HashSet<>();
    boolean streamNamed = false;
    for (JsonNode e : evsJson) {
      if (e.get("ph").asText().equals("X")) tracks.add(e.get("pid").asInt() + "/" + e.get("tid").asLong() + "/" + e.get("name").asText());
      else if (e.get("pid").asInt() == 2 && e.get("name").asText().equals("thread_name")) streamNamed = true;
    }
    assertEquals(Set.of("1/7/Conv2d#1.forward", "1/7/conv2d_forward", "2/1/conv2d_forward"), tracks);
    assertTrue(streamNamed);
    assertTrue(r.table().contains("conv2d_forward"), r.table());
  }
}
