package dev.jnn.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** DistEnv reads torchrun's, Open MPI's and Slurm's variables, or none; bad launches fail naming the variable. */
class DistEnvTest {
  private static Map<String, String> env(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }

  private static String error(Map<String, String> e) {
    return assertThrows(IllegalArgumentException.class, () -> DistEnv.fromEnvironment(e)).getMessage();
  }

  @Test
  void nothingSetIsOneProcess() {
    DistEnv e = DistEnv.fromEnvironment(Map.of());
    assertEquals(DistEnv.single(), e);
    assertFalse(e.isDistributed());
    assertTrue(e.isMaster());
    assertEquals("rank 0 of 1 (local 0 of 1), single process", e.toString());
  }

  @Test
  void torchrun() {
    DistEnv e = DistEnv.fromEnvironment(env("RANK", "3", "WORLD_SIZE", "4", "LOCAL_RANK", "1", "LOCAL_WORLD_SIZE", "2",
        "MASTER_ADDR", "10.0.0.5", "MASTER_PORT", "29501"));
    assertEquals(new DistEnv(3, 4, 1, 2, "10.0.0.5", 29501), e);
    assertTrue(e.isDistributed());
    assertEquals("rank 3 of 4 (local 1 of 2), rendezvous at 10.0.0.5:29501", e.toString());
    // a hand-made launch without LOCAL_*: one machine
    assertEquals(new DistEnv(1, 2, 1, 2, "h", 1234),
        DistEnv.fromEnvironment(env("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "1234")));
    // torchrun wins over the others
    assertEquals(0, DistEnv.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "1",
        "OMPI_COMM_WORLD_RANK", "1", "OMPI_COMM_WORLD_SIZE", "2", "SLURM_PROCID", "1", "SLURM_NTASKS", "2")).rank());
    // a launcher's world of one without an address is the single-process environment
    assertEquals(DistEnv.single(), DistEnv.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "1")));
  }

  @Test
  void openMpi() {
    assertEquals(new DistEnv(5, 8, 1, 4, "node0", 29500), DistEnv.fromEnvironment(env("OMPI_COMM_WORLD_RANK", "5",
        "OMPI_COMM_WORLD_SIZE", "8", "OMPI_COMM_WORLD_LOCAL_RANK", "1", "OMPI_COMM_WORLD_LOCAL_SIZE", "4",
        "MASTER_ADDR", "node0", "MASTER_PORT", "29500")));
    String m = error(env("OMPI_COMM_WORLD_RANK", "1", "OMPI_COMM_WORLD_SIZE", "2", "MASTER_PORT", "29500"));
    assertTrue(m.contains("MASTER_ADDR is not set") && m.contains("Open MPI") && m.contains("mpirun -x"), m);
  }

  @Test
  void slurm() {
    Map<String, String> e = env("SLURM_PROCID", "6", "SLURM_NTASKS", "8", "SLURM_LOCALID", "2", "SLURM_NODEID", "1",
        "SLURM_TASKS_PER_NODE", "4(x2)", "SLURM_JOB_NODELIST", "gpu[03-06,9]", "MASTER_PORT", "29400");
    assertEquals(new DistEnv(6, 8, 2, 4, "gpu03", 29400), DistEnv.fromEnvironment(e));
    e.put("MASTER_ADDR", "login1");
    assertEquals("login1", DistEnv.fromEnvironment(e).masterAddr());
    e.put("SLURM_NTASKS_PER_NODE", "4");
    assertEquals(4, DistEnv.fromEnvironment(e).localWorldSize());

    assertEquals(4, DistEnv.tasksOnNode("4(x2),3", 1));
    assertEquals(3, DistEnv.tasksOnNode("4(x2),3", 2));
    assertEquals(2, DistEnv.tasksOnNode("2", 0));
    assertThrows(IllegalArgumentException.class, () -> DistEnv.tasksOnNode("4(x2),3", 3));
    assertThrows(IllegalArgumentException.class, () -> DistEnv.tasksOnNode("four", 0));
    assertEquals("gpu03", DistEnv.firstHost("gpu[03-06,9],cpu1"));
    assertEquals("a", DistEnv.firstHost("a,b"));
    assertEquals("node7", DistEnv.firstHost("node7"));
    assertEquals("n1-ib", DistEnv.firstHost("n[1-2]-ib"));
  }

  @Test
  void badLaunchesNameTheVariable() {
    String m = error(env("RANK", "2", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "29500"));
    assertTrue(m.contains("RANK=2 is out of range for WORLD_SIZE=2 (0..1)"), m);
    m = error(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_PORT", "29500"));
    assertTrue(m.contains("MASTER_ADDR is not set"), m);
    m = error(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h"));
    assertTrue(m.contains("MASTER_PORT is not set") && m.contains("29500"), m);
    m = error(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "http"));
    assertTrue(m.contains("MASTER_PORT='http' is not a port number"), m);
    m = error(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "70000"));
    assertTrue(m.contains("MASTER_PORT=70000 is outside 1..65535"), m);
    m = error(env("RANK", "one", "WORLD_SIZE", "2"));
    assertTrue(m.contains("RANK='one' is not an integer"), m);
    m = error(env("RANK", "0"));
    assertTrue(m.contains("WORLD_SIZE is not set"), m);
    m = error(env("RANK", "0", "WORLD_SIZE", "4", "LOCAL_RANK", "2", "LOCAL_WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "1"));
    assertTrue(m.contains("LOCAL_RANK=2 is out of range for LOCAL_WORLD_SIZE=2"), m);
    m = error(env("SLURM_PROCID", "0", "SLURM_NTASKS", "0"));
    assertTrue(m.contains("SLURM_NTASKS=0 must be >= 1"), m);
    assertThrows(IllegalArgumentException.class, () -> new DistEnv(0, 2, 0, 3, "h", 1));
    assertThrows(IllegalArgumentException.class, () -> new DistEnv(0, 2, 0, 1, " ", 1));
  }

  @Test
  void timeoutsFromTheEnvironmentAndOptions() {
    ProcessGroups.Options d = ProcessGroups.Options.defaults(Map.of());
    assertEquals(ProcessGroups.DEFAULT_RENDEZVOUS_TIMEOUT, d.rendezvousTimeout());
    assertEquals(ProcessGroups.DEFAULT_COLLECTIVE_TIMEOUT, d.timeout());
    ProcessGroups.Options e = ProcessGroups.Options.defaults(Map.of(ProcessGroups.TIMEOUT_ENV, "2.5", ProcessGroups.GLOO_IFNAME_ENV, "eth1"));
    assertEquals(Duration.ofMillis(2500), e.rendezvousTimeout());
    assertEquals(Duration.ofMillis(2500), e.timeout());
    assertEquals("eth1", e.networkInterface());
    assertEquals(Duration.ofSeconds(7), e.toBuilder().timeout(Duration.ofSeconds(7)).build().timeout());
    assertThrows(IllegalArgumentException.class, () -> ProcessGroups.Options.defaults(Map.of(ProcessGroups.TIMEOUT_ENV, "soon")));
    assertThrows(IllegalArgumentException.class, () -> ProcessGroups.Options.defaults(Map.of(ProcessGroups.TIMEOUT_ENV, "-1")));
    assertThrows(IllegalArgumentException.class, () -> d.toBuilder().timeout(Duration.ZERO).build());
  }
}
