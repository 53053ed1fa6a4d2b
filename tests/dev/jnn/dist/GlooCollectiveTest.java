package dev.jnn.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Gloo collectives across real JVM processes on loopback: 2 and 3 ranks run
 * {@link CollectiveWorker}'s "collectives" scenario (allReduce SUM and AVG, broadcast from a
 * non-zero root, allGather, barrier; sizes 1, 1001 and 3 MiB; java and cpu devices), each rank
 * checking its results against the arithmetic; the test asserts every rank exited 0.
 */
class GlooCollectiveTest {
  @ParameterizedTest(name = "gloo collectives, world {0}")
  @ValueSource(ints = {2, 3})
  void everyCollectiveOnEveryRank(int world) throws Exception {
    List<CollectiveProcesses.Result> results = CollectiveProcesses.run(world, CollectiveWorker.class, r -> List.of("collectives"),
        Map.of(ProcessGroups.TIMEOUT_ENV, "20"), Duration.ofSeconds(90));
    for (CollectiveProcesses.Result r : results) {
      assertEquals(0, r.exit(), "rank " + r.rank() + " failed:" + CollectiveProcesses.outputs(results));
      assertTrue(r.output().contains("cpu collectives ok") && r.output().contains("java collectives ok"),
          "rank " + r.rank() + " did not run both devices:" + CollectiveProcesses.outputs(results));
    }
  }
}
