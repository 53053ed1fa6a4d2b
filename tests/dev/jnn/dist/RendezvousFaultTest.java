package dev.jnn.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Failures across real processes end as a {@link DistributedException} naming the rank, within
 * the (short, test-set) timeout, and every surviving rank exits non-zero: a rank that never
 * arrives at the rendezvous, a rank killed before a collective, a rank that stops calling
 * collectives. {@link CollectiveProcesses} kills whatever is left.
 */
class RendezvousFaultTest {
  private static final Pattern AFTER = Pattern.compile("after (\\d+) ms");

  @Test
  void aRankThatNeverArrivesIsNamedAfterTheRendezvousTimeout() throws Exception {
    // rank 2 of 3 is never started; the timeout is 3 s
    List<CollectiveProcesses.Result> results = CollectiveProcesses.run(3, CollectiveWorker.class,
        r -> r == 2 ? null : List.of("rendezvous"), Map.of(ProcessGroups.TIMEOUT_ENV, "3"), Duration.ofSeconds(40));
    String all = CollectiveProcesses.outputs(results);
    for (int r = 0; r < 2; r++) {
      CollectiveProcesses.Result res = results.get(r);
      assertEquals(3, res.exit(), "rank " + r + " should fail with a DistributedException:" + all);
      assertTrue(res.output().contains("rendezvous timed out after 3 s: rank 2 of world 3 never connected to 127.0.0.1:"),
          "rank " + r + "'s message should name rank 2:" + all);
      assertTrue(elapsedMs(res) < 3_000 + 5_000, "rank " + r + " took too long:" + all);
    }
  }

  @Test
  void aRankKilledBeforeACollectiveIsNamedByTheSurvivors() throws Exception {
    List<CollectiveProcesses.Result> results = CollectiveProcesses.run(3, CollectiveWorker.class, r -> List.of("die", "2"),
        Map.of(ProcessGroups.TIMEOUT_ENV, "5"), Duration.ofSeconds(40));
    String all = CollectiveProcesses.outputs(results);
    assertEquals(9, results.get(2).exit(), "rank 2 should have halted with status 9:" + all);
    for (int r = 0; r < 2; r++) {
      CollectiveProcesses.Result res = results.get(r);
      assertEquals(3, res.exit(), "rank " + r + " should fail with a DistributedException:" + all);
      assertTrue(res.output().contains("first allReduce ok"), all);
      assertTrue(res.output().contains("rank 2 is gone"), "rank " + r + "'s message should name rank 2:" + all);
      assertTrue(secondCallMs(res) < 5_000 + 3_000, "rank " + r + " waited longer than the timeout:" + all);
    }
  }

  @Test
  void aRankThatStopsCallingCollectivesTimesTheOthersOut() throws Exception {
    List<CollectiveProcesses.Result> results = CollectiveProcesses.run(2, CollectiveWorker.class, r -> List.of("hang", "1"),
        Map.of(ProcessGroups.TIMEOUT_ENV, "3"), Duration.ofSeconds(40));
    String all = CollectiveProcesses.outputs(results);
    CollectiveProcesses.Result res = results.get(0);
    assertEquals(3, res.exit(), "rank 0 should fail with a DistributedException:" + all);
    assertTrue(res.output().contains("allReduce SUM of 1001 floats [1001] failed on rank 0 of 2"), all);
    assertTrue(res.output().contains("a rank is slow or stuck"), all);
    long waited = secondCallMs(res);
    assertTrue(waited >= 2_500 && waited < 3_000 + 4_000, "rank 0 should give up after about 3 s, took " + waited + " ms:" + all);
  }

  private static long elapsedMs(CollectiveProcesses.Result r) {
    Matcher m = AFTER.matcher(r.output());
    assertTrue(m.find(), "no elapsed time in rank " + r.rank() + "'s output: " + r.output());
    return Long.parseLong(m.group(1));
  }

  private static long secondCallMs(CollectiveProcesses.Result r) {
    Matcher m = Pattern.compile("second allReduce returned after (\\d+) ms").matcher(r.output());
    assertTrue(m.find(), "no time of the second allReduce in rank " + r.rank() + "'s output: " + r.output());
    return Long.parseLong(m.group(1));
  }
}
