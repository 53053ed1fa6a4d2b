package dev.jnn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.DenseExample;
import dev.jnn.train.FitOptions;
import dev.jnn.train.History;
import dev.jnn.train.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Batching, seeded per-epoch shuffling, normalization and background prefetch of {@link DataLoader}. */
class DataLoaderTest {
  static final int N = 23, C = 2, H = 3;

  /** Sample i has features i*100 + j (j over the 6 feature values) and target i. */
  static Dataset indexed() {
    float[] x = new float[N * C * H], y = new float[N];
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < C * H; j++) x[i * C * H + j] = i * 100 + j;
      y[i] = i;
    }
    return new Dataset(Tensor.of(x, N, C, H), Tensor.of(y, N, 1));
  }

  /** Every batch of epochs [first, last] as sample ids, checking each batch's contents against its ids. */
  static List<int[]> drain(DataLoader l, int first, int last, long sleepMillis) throws InterruptedException {
    List<int[]> out = new ArrayList<>();
    try (DataLoader.Cursor c = l.open(first, last)) {
      for (int e = first; e <= last; e++) {
        int index = 0;
        for (DataLoader.Batch b; (b = c.next()) != null; ) {
          index++;
          assertEquals(e, b.epoch());
          assertEquals(index, b.index());
          assertEquals(b.size(), b.x().dim(0));
          assertArrayEquals(new int[] {b.size(), C, H}, b.x().shape());
          int[] ids = new int[b.size()];
          for (int r = 0; r < b.size(); r++) {
            ids[r] = (int) b.y().get(r, 0);
            for (int j = 0; j < C * H; j++) assertEquals(ids[r] * 100 + j, b.x().at(r * C * H + j), "batch row matches its target");
          }
          if (sleepMillis > 0) Thread.sleep(sleepMillis);   // a slow training step: the producer must not overwrite this batch
          for (int r = 0; r < b.size(); r++) assertEquals(ids[r], (int) b.y().get(r, 0), "batch changed while held");
          out.add(ids);
        }
        assertEquals(l.batchesPerEpoch(), index);
      }
      assertThrows(IllegalStateException.class, c::next, "past the last epoch");
    }
    return out;
  }

  static int[] concat(List<int[]> batches, int from, int count) {
    return batches.subList(from, from + count).stream().flatMapToInt(Arrays::stream).toArray();
  }

  @ParameterizedTest(name = "prefetch={0}")
  @ValueSource(ints = {0, 1, 3})
  void everySampleOncePerEpochWithLastPartialBatch(int prefetch) throws InterruptedException {
    DataLoader l = DataLoader.builder(indexed()).batchSize(5).seed(11).prefetch(prefetch).build();
    assertEquals(5, l.batchesPerEpoch());
    List<int[]> b = drain(l, 1, 3, 0);
    assertEquals(15, b.size());
    for (int e = 0; e < 3; e++) {
      int[] sizes = b.subList(e * 5, e * 5 + 5).stream().mapToInt(a -> a.length).toArray();
      assertArrayEquals(new int[] {5, 5, 5, 5, 3}, sizes, "last partial batch kept");
      int[] ids = concat(b, e * 5, 5);
      assertArrayEquals(l.order(e + 1), ids);
      int[] sorted = ids.clone();
      Arrays.sort(sorted);
      for (int i = 0; i < N; i++) assertEquals(i, sorted[i], "each sample exactly once in epoch " + (e + 1));
    }
    assertFalse(Arrays.equals(concat(b, 0, 5), concat(b, 5, 5)), "a new order every epoch");
  }

  @Test
  void shufflingIsDeterministicBySeedAndEpochIndexed() throws InterruptedException {
    Dataset d = indexed();
    DataLoader a = DataLoader.builder(d).batchSize(4).seed(5).build(), same = DataLoader.builder(d).batchSize(4).seed(5).prefetch(2).build();
    DataLoader other = DataLoader.builder(d).batchSize(4).seed(6).build();
    for (int e = 1; e <= 4; e++) {
      assertArrayEquals(a.order(e), same.order(e));
      assertFalse(Arrays.equals(a.order(e), other.order(e)), "another seed, another order");
    }
    // the order is fit's historical one: e successive Fisher-Yates shuffles of the identity from one SplittableRandom(seed)
    int[] perm = new int[N];
    for (int i = 0; i < N; i++) perm[i] = i;
    SplittableRandom rng = new SplittableRandom(5);
    for (int e = 1; e <= 3; e++) {
      for (int i = N - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      assertArrayEquals(perm, a.order(e));
    }
    // a cursor opened at epoch 3 sees exactly epochs 3..4 of a run started at 1 (resume)
    List<int[]> full = drain(same, 1, 4, 0), tail = drain(same, 3, 4, 0);
    assertArrayEquals(concat(full, 12, 12), concat(tail, 0, 12));
    // no shuffling: data set order every epoch
    DataLoader plain = DataLoader.builder(d).batchSize(4).shuffle(false).build();
    for (int i = 0; i < N; i++) assertEquals(i, plain.order(2)[i]);
  }

  @Test
  void prefetchGivesCorrectBatchesToASlowConsumer() throws InterruptedException {
    Dataset d = indexed();
    List<int[]> sync = drain(DataLoader.builder(d).batchSize(3).seed(9).build(), 1, 2, 0);
    // ring of 3 buffers, consumer 20 ms per batch: the producer fills ahead and blocks; the held batch must stay intact
    List<int[]> slow = drain(DataLoader.builder(d).batchSize(3).seed(9).prefetch(2).build(), 1, 2, 20);
    assertEquals(sync.size(), slow.size());
    for (int i = 0; i < sync.size(); i++) assertArrayEquals(sync.get(i), slow.get(i), "batch " + i);
  }

  @Test
  void prefetchRunsAheadOfTheConsumerUpToTheRing() throws InterruptedException {
    DataLoader l = DataLoader.builder(indexed()).batchSize(3).seed(1).prefetch(4).build();   // 8 batches per epoch, ring of 5
    try (DataLoader.Cursor c = l.open(1, 2)) {
      assertEquals(1, c.next().index());
      // while the consumer holds batch 1, the producer fills the 4 other buffers, then blocks (no timing: wait for the state)
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (c.readyCount() < 4 && System.nanoTime() < deadline) Thread.sleep(1);
      assertEquals(4, c.readyCount(), "4 batches prepared ahead");
      Thread.sleep(50);
      assertEquals(4, c.readyCount(), "never more than the ring holds");
      for (int i = 2; i <= 5; i++) assertEquals(i, c.next().index());
    }
  }

  @Test
  void normalizationAndDeviceTag() throws InterruptedException {
    DataLoader l = DataLoader.builder(indexed()).batchSize(N).shuffle(false).normalize(100f, 4f).device(Device.CPU).build();
    try (DataLoader.Cursor c = l.open(1)) {
      DataLoader.Batch b = c.next();
      assertEquals(Device.CPU, b.x().device());
      assertEquals(Device.CPU, b.y().device());
      assertEquals((7 * 100 + 5 - 100f) / 4f, b.x().get(7, 1, 2));
      assertEquals(7f, b.y().get(7, 0), "targets are not normalized");
      assertNull(c.next());
    }
    assertEquals(100f, indexed().features().get(1, 0, 0), "the data set is unchanged");
  }

  @Test
  void badArguments() {
    Dataset d = indexed();
    assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(d).batchSize(0));
    assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(d).prefetch(-1));
    assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(d).normalize(0f, 0f));
    assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(d).build().open(0, 1));
    assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(d).build().open(3, 2));
  }

  @ParameterizedTest(name = "prefetch={0}")
  @ValueSource(ints = {0, 2})
  void fitOnALoaderEqualsFitOnTheDataset(int prefetch) {
    DenseExample.Config c = DenseExample.Config.defaults();
    DenseExample.Data d = DenseExample.data(c.seed(), 200, 50);
    Model a = DenseExample.compiledModel(c), b = DenseExample.compiledModel(c);
    History ha = a.fit(d.train(), FitOptions.builder().epochs(3).batchSize(32).seed(4).build());
    DataLoader l = DataLoader.builder(d.train()).batchSize(32).seed(4).prefetch(prefetch).build();
    History hb = b.fit(l, FitOptions.builder().epochs(3).build());
    assertArrayEquals(ha.loss(), hb.loss());
    assertArrayEquals(a.parameters().get(0).value().toArray(), b.parameters().get(0).value().toArray());
    assertEquals(3, b.trainingProgress().epochsDone());
    assertEquals(4, b.trainingProgress().seed());
  }

  /**
   * With prefetch the training thread's steady state allocates (almost) nothing either: batches
   * come from a ring of reused buffers through array queues (the AllocationTest bar of 1 KiB per
   * step; a queue allocates a wait node only when the consumer actually has to wait).
   */
  @Test
  void prefetchedFitStepAllocatesUnderOneKiBOnTheTrainingThread() {
    dev.jnn.backend.Backends.get(Device.CPU);
    DenseExample.Config c = DenseExample.Config.defaults().withDevice(Device.CPU);
    DenseExample.Data d = DenseExample.data(c.seed(), c.trainSize(), c.testSize());
    Model m = DenseExample.compiledModel(c);
    FitOptions one = FitOptions.builder().epochs(2).batchSize(32).prefetch(2).build(), many = FitOptions.builder().epochs(42).batchSize(32).prefetch(2).build();
    for (int i = 0; i < 5; i++) m.fit(d.train(), one);
    long a0 = allocated();
    m.fit(d.train(), one);
    long a1 = allocated();
    m.fit(d.train(), many);
    long a2 = allocated();
    double perStep = (double) ((a2 - a1) - (a1 - a0)) / (40 * 32);
    System.out.printf(java.util.Locale.ROOT, "dense example on cpu, prefetch 2: %.1f bytes allocated per step on the training thread%n", perStep);
    assertTrue(perStep < 1024, "a steady-state step allocates " + perStep + " bytes");
  }

  static long allocated() {
    return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  @Test
  void imageShapedDatasetThroughFitOptionsPrefetch() {
    DenseExample.Config c = DenseExample.Config.defaults();
    DenseExample.Data d = DenseExample.data(c.seed(), 100, 10);
    Model a = DenseExample.compiledModel(c), b = DenseExample.compiledModel(c);
    History ha = a.fit(d.train(), FitOptions.builder().epochs(2).batchSize(16).build());
    History hb = b.fit(d.train(), FitOptions.builder().epochs(2).batchSize(16).prefetch(3).build());
    assertArrayEquals(ha.loss(), hb.loss(), "prefetch changes nothing but the thread that gathers");
  }
}
