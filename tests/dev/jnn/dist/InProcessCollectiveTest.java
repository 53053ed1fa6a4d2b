package dev.jnn.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Gloo groups of two ranks as two threads of this JVM (each with its own store connection and
 * Gloo context), for the argument checks and life cycle without starting processes; and the
 * library-free group of a world of one.
 */
class InProcessCollectiveTest {
  private static final ProcessGroups.Options OPTIONS = ProcessGroups.Options.defaults(java.util.Map.of()).toBuilder()
      .timeouts(Duration.ofSeconds(10)).build();

  /** Runs {@code body} on ranks 0 and 1 of a fresh two-rank Gloo job; rethrows the first failure. */
  private static void twoRanks(Consumer<ProcessGroup> body) throws Exception {
    int port = CollectiveProcesses.freePort();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        DistEnv env = DistEnv.local(r, 2, port);
        fs.add(pool.submit(() -> {
          try (ProcessGroup pg = ProcessGroups.init(env, Device.CPU, OPTIONS)) {
            body.accept(pg);
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        try {
          f.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof Exception x) throw x;
          throw e;
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void collectivesOfTwoThreadsAndScratchReuse() throws Exception {
    twoRanks(pg -> {
      assertEquals("gloo", pg.backend());
      int r = pg.rank();
      for (int n : new int[] {5, 3, 5000, 7}) {  // grows, shrinks (reuses), grows, reuses
        Tensor t = Tensor.of(Device.CPU, new float[n], n);
        for (int i = 0; i < n; i++) t.data()[i] = r + 1;
        pg.allReduce(t, ProcessGroup.ReduceOp.SUM);
        for (int i = 0; i < n; i++) assertEquals(3f, t.data()[i]);
        pg.allReduce(t, ProcessGroup.ReduceOp.AVG);
        for (int i = 0; i < n; i++) assertEquals(3f, t.data()[i]);
      }
      // allGather with in as out's own slot (in place)
      float[] both = new float[4];
      both[2 * r] = 10 * r;
      both[2 * r + 1] = 10 * r + 1;
      Tensor out = Tensor.of(Device.CPU, both, 4);
      pg.allGather(Tensor.wrap(Device.CPU, both, 2 * r, 2), out);
      assertArrayEquals(new float[] {0, 1, 10, 11}, both);
      // empty tensors are no-ops (no native call)
      pg.allReduce(Tensor.zeros(Device.CPU, 0), ProcessGroup.ReduceOp.SUM);
      pg.barrier();
    });
  }

  @Test
  void badArgumentsAreRejectedBeforeGloo() throws Exception {
    twoRanks(pg -> {
      Tensor t = Tensor.zeros(Device.CPU, 4);
      assertThrows(IllegalArgumentException.class, () -> pg.broadcast(t, 2), "root out of range");
      assertThrows(IllegalArgumentException.class, () -> pg.broadcast(t, -1));
      assertThrows(NullPointerException.class, () -> pg.allReduce(null, ProcessGroup.ReduceOp.SUM));
      assertThrows(NullPointerException.class, () -> pg.allReduce(t, null));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pg.allGather(t, Tensor.zeros(Device.CPU, 7)));
      assertTrue(e.getMessage().contains("expected world size 2 x in's 4"), e.getMessage());
      // the group still works after rejected calls
      pg.allReduce(t, ProcessGroup.ReduceOp.SUM);
    });
  }

  @Test
  void closeIsIdempotentAndClosedGroupsRefuseWork() throws Exception {
    List<ProcessGroup> groups = java.util.Collections.synchronizedList(new ArrayList<>());
    twoRanks(groups::add);
    for (ProcessGroup pg : groups) {
      pg.close();  // again
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> pg.barrier());
      assertTrue(e.getMessage().contains("is closed"), e.getMessage());
    }
  }

  @Test
  void aWorldOfOneNeedsNoNetwork() {
    for (Device d : new Device[] {Device.JAVA, Device.CPU}) {
      try (ProcessGroup pg = ProcessGroups.init(DistEnv.single(), d)) {
        assertEquals("gloo", pg.backend());
        assertEquals(1, pg.worldSize());
        Tensor t = Tensor.of(d, new float[] {1, 2, 3}, 3);
        pg.allReduce(t, ProcessGroup.ReduceOp.AVG);
        pg.broadcast(t, 0);
        assertArrayEquals(new float[] {1, 2, 3}, t.toArray());
        Tensor out = Tensor.zeros(d, 3);
        pg.allGather(t, out);
        assertArrayEquals(new float[] {1, 2, 3}, out.toArray());
        pg.barrier();
        assertThrows(IllegalArgumentException.class, () -> pg.broadcast(t, 1));
      }
    }
    try (ProcessGroup pg = ProcessGroups.init(DistEnv.single(), Device.cuda(0))) {
      assertEquals("nccl", pg.backend());
    }
  }
}
