package dev.jnn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.data.Dataset;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.BatchNorm2d;
import dev.jnn.nn.Concat;
import dev.jnn.nn.Conv2d;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Dropout;
import dev.jnn.nn.Flatten;
import dev.jnn.nn.Graph;
import dev.jnn.nn.Layer;
import dev.jnn.nn.LayerRegistry;
import dev.jnn.nn.MaxPool2d;
import dev.jnn.nn.ReLU;
import dev.jnn.nn.Tanh;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The threading contract of {@link Model} (README, "Threads"): predict and evaluate from many
 * threads at once give the single-threaded results bit for bit; training while another thread
 * uses the model, and inference while another thread trains it, are rejected.
 */
class ConcurrentInferenceTest {
  private static final int THREADS = 8, CALLS = 40;
  private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

  @AfterEach
  void shutdown() { pool.shutdownNow(); }

  private static Tensor random(SplittableRandom r, int... shape) {
    float[] a = new float[Tensor.sizeOf(shape)];
    for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-1, 1);
    return Tensor.of(Device.CPU, a, shape);
  }

  private static Tensor labels(SplittableRandom r, int n, int classes) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = r.nextInt(classes);
    return Tensor.of(Device.CPU, a, n, 1);
  }

  /** A small CNN with batch norm (running statistics: buffers) and dropout, trained a few steps on cpu. */
  private static Model trainedCnn(SplittableRandom r) {
    Model m = Model.sequential(new Conv2d(1, 6, 3), new BatchNorm2d(6), new ReLU(), new MaxPool2d(2), new Conv2d(6, 8, 3), new ReLU(),
        new Flatten(), new Dropout(0.25), new Dense(8 * 3 * 3, 16), new Tanh(), new Dense(16, 4)).init(3).to(Device.CPU);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-2).build());
    m.fit(new Dataset(random(r, 64, 1, 12, 12), labels(r, 64, 4)), 2, 16);
    return m;
  }

  /** One predict call: rows [start, start + count) in batches of batch. */
  private record Case(int start, int count, int batch) {}

  private static List<Case> cases(SplittableRandom r, int n, int k) {
    int[] batches = {1, 3, 7, 16, 64, 256};
    List<Case> cs = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      int start = r.nextInt(n), count = 1 + r.nextInt(n - start);
      cs.add(new Case(start, count, batches[r.nextInt(batches.length)]));
    }
    return cs;
  }

  private static float[] predict(Model m, Tensor x, Case c) {
    try (Tensor p = m.predict(x.rows(c.start(), c.count()), c.batch())) {
      return p.toArray();
    }
  }

  /** Runs every case from THREADS threads at once, in a different order per thread, and compares each with its reference bit for bit. */
  private void stress(Model m, Tensor x, List<Case> cs, List<float[]> ref) throws Exception {
    List<Future<Integer>> fs = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      final int seed = t;
      fs.add(pool.submit(() -> {
        SplittableRandom r = new SplittableRandom(seed);
        int done = 0;
        for (int i = 0; i < CALLS; i++) {
          int k = r.nextInt(cs.size());
          float[] got = predict(m, x, cs.get(k));
          if (!java.util.Arrays.equals(ref.get(k), got)) throw new AssertionError("thread " + seed + ", call " + i + ": " + cs.get(k) + " differs from the single-threaded result");
          done++;
        }
        return done;
      }));
    }
    for (Future<Integer> f : fs) assertEquals(CALLS, f.get(2, TimeUnit.MINUTES));
  }

  @Test
  void predictFromManyThreadsWithMixedBatchSizesIsBitIdentical() throws Exception {
    SplittableRandom r = new SplittableRandom(11);
    Model m = trainedCnn(r);
    Tensor x = random(r, 300, 1, 12, 12);
    List<Case> cs = cases(r, 300, 24);
    List<float[]> ref = new ArrayList<>();
    for (Case c : cs) ref.add(predict(m, x, c));
    assertNull(m.inferenceSerializedReason());
    m.maxConcurrentInference(4);
    stress(m, x, cs, ref);

    // the model trains on (replicas now exist and are stale): the next concurrent calls see the new weights and running statistics
    m.fit(new Dataset(random(r, 32, 1, 12, 12), labels(r, 32, 4)), 1, 8);
    List<float[]> after = new ArrayList<>();
    for (Case c : cs) after.add(predict(m, x, c));
    assertTrue(!java.util.Arrays.equals(ref.get(0), after.get(0)), "training changed the outputs");
    stress(m, x, cs, after);
  }

  @Test
  void evaluateFromManyThreadsIsBitIdentical() throws Exception {
    SplittableRandom r = new SplittableRandom(12);
    Model m = trainedCnn(r);
    List<Dataset> sets = new ArrayList<>();
    List<Evaluation> ref = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sets.add(new Dataset(random(r, 50 + 13 * i, 1, 12, 12), labels(r, 50 + 13 * i, 4)));
      ref.add(m.evaluate(sets.get(i), 8 + 5 * i));
    }
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      final int seed = t;
      fs.add(pool.submit(() -> {
        SplittableRandom tr = new SplittableRandom(seed);
        for (int i = 0; i < 10; i++) {
          int k = tr.nextInt(sets.size());
          Evaluation e = m.evaluate(sets.get(k), 8 + 5 * k);
          assertEquals(ref.get(k).loss(), e.loss(), 0.0, "loss of set " + k);
          assertEquals(ref.get(k).accuracy(), e.accuracy(), 0.0, "accuracy of set " + k);
        }
        return null;
      }));
    }
    for (Future<?> f : fs) f.get(2, TimeUnit.MINUTES);
  }

  @Test
  void graphWithTwoInputsAndASharedLayer() throws Exception {
    SplittableRandom r = new SplittableRandom(13);
    Graph.Builder g = Graph.builder();
    Graph.Node a = g.input("a", 5), b = g.input("b", 5);
    Dense shared = new Dense(5, 6);
    Graph.Node both = g.apply(new Concat(), g.apply(shared, a), g.apply(shared, b));
    Model m = Model.of(g.build(g.apply(new Dense(12, 3), g.apply(new Tanh(), both)))).init(5).to(Device.CPU);
    Tensor xa = random(r, 120, 5), xb = random(r, 120, 5);
    int[] batches = {1, 5, 32, 120};
    List<float[]> ref = new ArrayList<>();
    for (int bs : batches) ref.add(m.predict(new Tensor[] {xa, xb}, bs).toArray());
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      final int seed = t;
      fs.add(pool.submit(() -> {
        for (int i = 0; i < CALLS; i++) {
          int k = (seed + i) % batches.length;
          assertArrayEquals(ref.get(k), m.predict(new Tensor[] {xa, xb}, batches[k]).toArray(), "batch " + batches[k]);
        }
        return null;
      }));
    }
    for (Future<?> f : fs) f.get(2, TimeUnit.MINUTES);
  }

  // ---------------------------------------------------------------- a layer that holds its caller until released

  /** Identity that, in inference, counts its callers and waits for the test's latch: makes overlapping calls deterministic. */
  static final class Gate extends Layer {
    static final AtomicInteger inside = new AtomicInteger();
    static volatile CountDownLatch open = new CountDownLatch(0);

    @Override public String name() { return "Gate"; }

    @Override
    public Tensor forward(Tensor x, boolean training) {
      if (!training) {
        inside.incrementAndGet();
        try {
          if (!open.await(1, TimeUnit.MINUTES)) throw new IllegalStateException("Gate: never opened");
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        } finally {
          inside.decrementAndGet();
        }
      }
      return x;
    }

    @Override public Tensor backward(Tensor dy) { return dy; }
  }

  private static void awaitInside(int n) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (Gate.inside.get() < n) {
      if (System.nanoTime() > end) throw new AssertionError("expected " + n + " callers inside the gate, got " + Gate.inside.get());
      Thread.sleep(5);
    }
  }

  @Test
  void callsRunConcurrentlyOnReplicasAndTrainingIsRejectedMeanwhile() throws Exception {
    if (!LayerRegistry.types().contains("TestGate")) LayerRegistry.register("TestGate", Gate.class, (l, c) -> {}, c -> new Gate());
    SplittableRandom r = new SplittableRandom(14);
    Model m = Model.sequential(new Dense(4, 8), new Gate(), new ReLU(), new Dense(8, 2)).init(1).to(Device.CPU);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
    Tensor x = random(r, 10, 4), y = labels(r, 10, 2);
    float[] ref = m.predict(x).toArray();
    m.maxConcurrentInference(3);
    Gate.open = new CountDownLatch(1);
    List<Future<float[]>> fs = new ArrayList<>();
    for (int t = 0; t < 3; t++) fs.add(pool.submit(() -> m.predict(x).toArray()));
    awaitInside(3);   // three predict calls inside the network at once: the network and two replicas

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.trainOnBatch(x, y));
    assertTrue(e.getMessage().contains("trainOnBatch: 3 inference call(s)"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> m.fit(new Dataset(x, y), 1, 4));
    assertThrows(IllegalStateException.class, () -> m.to(Device.JAVA));
    assertThrows(IllegalStateException.class, () -> m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build()));
    // a fourth caller waits for a free copy (at most 3 at once)
    Future<float[]> fourth = pool.submit(() -> m.predict(x).toArray());
    assertThrows(TimeoutException.class, () -> fourth.get(200, TimeUnit.MILLISECONDS));
    assertEquals(3, Gate.inside.get());

    Gate.open.countDown();
    for (Future<float[]> f : fs) assertArrayEquals(ref, f.get(1, TimeUnit.MINUTES));
    assertArrayEquals(ref, fourth.get(1, TimeUnit.MINUTES));
    assertEquals(2, m.inferenceReplicas());
    m.trainOnBatch(x, y);   // nothing running now: allowed
  }

  @Test
  void inferenceWhileAnotherThreadTrainsIsRejected() throws Exception {
    SplittableRandom r = new SplittableRandom(15);
    Model m = Model.sequential(new Dense(4, 8), new ReLU(), new Dense(8, 2)).init(1).to(Device.CPU);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
    Tensor x = random(r, 10, 4), y = labels(r, 10, 2);
    CountDownLatch training = new CountDownLatch(1), release = new CountDownLatch(1);
    Future<History> fit = pool.submit(() -> m.fit(new Dataset(x, y), FitOptions.builder().epochs(1).batchSize(10).callback(log -> {
      assertNotNull(m.predict(x));   // the training thread itself may predict (nested)
      training.countDown();
      try {
        release.await(1, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }).build()));
    assertTrue(training.await(1, TimeUnit.MINUTES));
    IllegalStateException p = assertThrows(IllegalStateException.class, () -> m.predict(x));
    assertTrue(p.getMessage().startsWith("predict: the model is being changed by fit in thread"), p.getMessage());
    assertThrows(IllegalStateException.class, () -> m.evaluate(new Dataset(x, y)));
    assertThrows(IllegalStateException.class, () -> m.trainOnBatch(x, y));
    release.countDown();
    fit.get(1, TimeUnit.MINUTES);
    assertEquals(10, m.predict(x).dim(0));   // usable again
  }

  /** A layer type that is not registered: no replicas, calls take turns on the network and stay correct. */
  static final class Unregistered extends Layer {
    @Override public String name() { return "Unregistered"; }
    @Override public Tensor forward(Tensor x, boolean training) { return x; }
    @Override public Tensor backward(Tensor dy) { return dy; }
  }

  @Test
  void unregisteredLayersTakeTurns() throws Exception {
    SplittableRandom r = new SplittableRandom(16);
    Model m = Model.sequential(new Dense(4, 16), new Unregistered(), new Tanh(), new Dense(16, 3)).init(2).to(Device.CPU);
    Tensor x = random(r, 200, 4);
    List<Case> cs = cases(r, 200, 12);
    List<float[]> ref = new ArrayList<>();
    for (Case c : cs) ref.add(predict(m, x, c));
    stress(m, x, cs, ref);
    assertNotNull(m.inferenceSerializedReason());
    assertTrue(m.inferenceSerializedReason().contains("Unregistered"), m.inferenceSerializedReason());
    assertEquals(0, m.inferenceReplicas());
  }
}
