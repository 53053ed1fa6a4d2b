package dev.jnn.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.Tolerances;
import dev.jnn.data.Dataset;
import dev.jnn.loss.BceLoss;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Graph;
import dev.jnn.nn.ProfileHooks;
import dev.jnn.nn.ReLU;
import dev.jnn.nn.Sigmoid;
import dev.jnn.optim.Adam;
import dev.jnn.train.DenseExample;
import dev.jnn.train.FitOptions;
import dev.jnn.train.History;
import dev.jnn.train.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * DistributedDataParallel's logic with the ranks as threads of this JVM ({@link DdpTestGroup}):
 * the averaged gradients reproduce one process with the global batch, the replicas and their
 * optimizer states stay bit-identical, buckets start during backward, shared layers wait for
 * their summed gradient, the epoch metrics are global. The same over real processes and Gloo:
 * {@link DdpProcessesTest}.
 */
class DdpInProcessTest {
  static final int STEPS = 20, GLOBAL_BATCH = 32;

  @AfterEach
  void noHookLeftBehind() { assertNull(ProfileHooks.listener(), "a DDP hook is still installed"); }

  /** What one rank (or the single process) ends with. */
  record Outcome(Map<String, float[]> weights, Map<String, float[]> adamState, History history, DistributedDataParallel.Stats stats, List<List<String>> buckets) {}

  static Outcome train(LongFunction<Model> build, Dataset data, int epochs, ProcessGroup g, DistributedDataParallel.Options o) {
    Model m = build.apply(5);
    DistributedDataParallel ddp = g == null ? null : DistributedDataParallel.wrap(m, g, o);
    try {
      History h = m.fit(data, FitOptions.builder().epochs(epochs).batchSize(GLOBAL_BATCH).seed(9).build());
      return new Outcome(DdpChecks.weights(m), DdpChecks.optimizerState(m), h, ddp == null ? null : ddp.stats(), ddp == null ? null : ddp.bucketLayout());
    } finally {
      if (ddp != null) ddp.close();
    }
  }

  static List<Outcome> inThreads(int w, Callable<Outcome>[] ranks) throws Exception {
    ExecutorService ex = Executors.newFixedThreadPool(w);
    try {
      List<Future<Outcome>> fs = new ArrayList<>();
      for (Callable<Outcome> c : ranks) fs.add(ex.submit(c));
      List<Outcome> out = new ArrayList<>();
      for (Future<Outcome> f : fs) out.add(f.get());
      return out;
    } finally {
      // A rank that failed ends the wait above while the others may still be inside fit: wait for
      // every rank's thread to finish (and close its DDP, removing its hook) before the test goes on.
      ex.shutdownNow();
      if (!ex.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) throw new AssertionError("rank threads still running after 60 s");
    }
  }

  @SuppressWarnings("unchecked")
  static List<Outcome> ddp(int w, LongFunction<Model> build, Dataset data, int epochs, DistributedDataParallel.Options o) throws Exception {
    DdpTestGroup[] g = DdpTestGroup.world(w);
    Callable<Outcome>[] c = new Callable[w];
    for (int r = 0; r < w; r++) {
      DdpTestGroup gr = g[r];
      c[r] = () -> train(build, data, epochs, gr, o);
    }
    return inThreads(w, c);
  }

  static Model dense(long seed) {
    Model m = DenseExample.model(seed);
    return m.compile(new BceLoss(), Adam.builder().lr(1e-3).build());
  }

  /** 320 samples: 10 steps of the global batch 32 per epoch, 2 epochs = 20 steps. */
  static Dataset denseData() { return DenseExample.data(3, 320, 1).train(); }

  @Test
  void twoRanksMatchOneProcessWithTheGlobalBatchAndStayIdentical() throws Exception {
    Dataset data = denseData();
    Outcome single = train(DdpInProcessTest::dense, data, 2, null, null);
    DistributedDataParallel.Options o = DistributedDataParallel.Options.defaults().withBucketCapBytes(1024);   // several buckets
    List<Outcome> ranks = ddp(2, DdpInProcessTest::dense, data, 2, o);
    DdpChecks.assertBitIdentical(ranks.get(0).weights(), ranks.get(1).weights(), "weights of rank 0 and rank 1");
    DdpChecks.assertBitIdentical(ranks.get(0).adamState(), ranks.get(1).adamState(), "Adam state of rank 0 and rank 1");
    DdpChecks.assertClose(single.weights(), ranks.get(0).weights(), "weights after " + STEPS + " steps");
    DdpChecks.assertClose(single.adamState(), ranks.get(0).adamState(), "Adam state after " + STEPS + " steps");
    for (int e = 0; e < 2; e++) {   // the epoch loss and accuracy are over both ranks' samples: the single process's
      assertEquals(single.history().epochs().get(e).loss(), ranks.get(0).history().epochs().get(e).loss(), Tolerances.DDP_RTOL * 10);
      assertEquals(single.history().epochs().get(e).accuracy(), ranks.get(1).history().epochs().get(e).accuracy(), 1.0 / 320 + 1e-12);
    }
    DistributedDataParallel.Stats s = ranks.get(0).stats();
    assertEquals(STEPS, s.steps());
    assertTrue(s.buckets() >= 3, "buckets: " + s);
    assertTrue(s.overlappedBuckets() > 0, "no bucket started during backward: " + s);
    // after the first step the buckets follow backward: the last Dense's parameters first
    assertTrue(ranks.get(0).buckets().get(0).contains("2.weight"), "first bucket " + ranks.get(0).buckets().get(0));
  }

  @Test
  void withoutOverlapTheResultIsTheSame() throws Exception {
    Dataset data = denseData();
    List<Outcome> a = ddp(2, DdpInProcessTest::dense, data, 1, DistributedDataParallel.Options.defaults().withBucketCapBytes(1024));
    List<Outcome> b = ddp(2, DdpInProcessTest::dense, data, 1, DistributedDataParallel.Options.defaults().withOverlap(false));
    DdpChecks.assertBitIdentical(a.get(0).weights(), b.get(0).weights(), "weights with and without overlap");
    assertEquals(0, b.get(0).stats().overlappedBuckets());
  }

  /** x -> shared Dense(6, 6) -> ReLU -> the same Dense -> Dense(6, 1) -> Sigmoid: the shared layer's gradient is complete only after the graph sums its uses. */
  static Model sharedGraph(long seed) {
    Dense shared = new Dense(6, 6);
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input("x", 6);
    Graph.Node h = g.apply("relu", new ReLU(), g.apply("shared", shared, x));
    Graph.Node y = g.apply("sigmoid", new Sigmoid(), g.apply("head", new Dense(6, 1), g.apply("again", shared, h)));
    Model m = Model.of(g.build(y)).init(seed);
    return m.compile(new BceLoss(), Adam.builder().lr(1e-2).build());
  }

  @Test
  void aLayerSharedInAGraphIsReducedAfterItsGradientsAreSummed() throws Exception {
    float[][] x = new float[64][6], y = new float[64][1];
    java.util.SplittableRandom rng = new java.util.SplittableRandom(4);
    for (int i = 0; i < 64; i++) {
      for (int j = 0; j < 6; j++) x[i][j] = (float) rng.nextDouble(-1, 1);
      y[i][0] = x[i][0] * x[i][1] > 0 ? 1 : 0;
    }
    Dataset data = Dataset.of(x, y);
    Outcome single = train(DdpInProcessTest::sharedGraph, data, 10, null, null);
    List<Outcome> ranks = ddp(2, DdpInProcessTest::sharedGraph, data, 10, DistributedDataParallel.Options.defaults().withBucketCapBytes(4));   // one bucket per parameter
    DdpChecks.assertClose(single.weights(), ranks.get(0).weights(), "weights of the graph with a shared layer");
    assertTrue(ranks.get(0).stats().overlappedBuckets() > 0, ranks.get(0).stats().toString());
  }

  @Test
  void ranksWithDifferentModelsFailNamingTheRank() throws Exception {
    DdpTestGroup[] g = DdpTestGroup.world(2);
    @SuppressWarnings("unchecked")
    Callable<Outcome>[] c = new Callable[] {
        () -> train(DdpInProcessTest::dense, denseData(), 1, g[0], DistributedDataParallel.Options.defaults()),
        () -> train(s -> Model.sequential(new Dense(10, 7), new Dense(7, 1), new Sigmoid()).init(s).compile(new BceLoss(), Adam.builder().build()),
            denseData(), 1, g[1], DistributedDataParallel.Options.defaults())};
    Exception e = assertThrows(Exception.class, () -> inThreads(2, c));
    assertTrue(e.getMessage().contains("rank 1's model differs from rank 0's") || e.getMessage().contains("rank 0's model differs from rank 1's"), e.getMessage());
  }

  @Test
  void theFitBatchIsTheGlobalBatchAndMustDivideByTheWorldSize() throws Exception {
    DdpTestGroup[] g = DdpTestGroup.world(3);
    @SuppressWarnings("unchecked")
    Callable<Outcome>[] c = new Callable[3];
    for (int r = 0; r < 3; r++) {
      DdpTestGroup gr = g[r];
      c[r] = () -> train(DdpInProcessTest::dense, denseData(), 1, gr, DistributedDataParallel.Options.defaults());   // batch 32 over 3 ranks
    }
    Exception e = assertThrows(Exception.class, () -> inThreads(3, c));
    assertTrue(e.getMessage().contains("the batch size 32 is the global batch of 3 processes and must be divisible by 3"), e.getMessage());
  }
}
