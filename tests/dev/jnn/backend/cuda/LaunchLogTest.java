package dev.jnn.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class LaunchLogTest {
  @Test
  void suspectsAreTheKernelsQueuedSinceTheLastCleanSynchronize() {
    LaunchLog log = new LaunchLog();
    assertEquals("no kernel queued since the last synchronize", log.suspects());
    log.launched("relu_forward");
    assertEquals("1 kernel queued since the last synchronize, oldest first: relu_forward", log.suspects());
    log.launched("conv2d_forward");
    assertEquals("2 kernels queued since the last synchronize, oldest first: relu_forward, conv2d_forward", log.suspects());
    log.synchronizedOk();
    assertEquals(0, log.count());
    log.launched("gemm");
    assertEquals("1 kernel queued since the last synchronize, oldest first: gemm", log.suspects());
  }

  @Test
  void keepsTheLastSixteen() {
    LaunchLog log = new LaunchLog();
    for (int i = 0; i < 20; i++) log.launched("k" + i);
    String s = log.suspects();
    assertTrue(s.startsWith("20 kernels queued since the last synchronize, the last 16 oldest first: k4, k5, "), s);
    assertTrue(s.endsWith("k18, k19"), s);
    assertFalse(s.contains("k3,"), s);
  }

  @Test
  void stickyErrorsAreThoseCudaSaysNeedARestart() {
    for (int code : new int[] {214, 700, 702, 710, 714, 715, 716, 717, 718, 719}) assertTrue(LaunchLog.sticky(code), "code " + code);
    // out of memory, invalid value, launch out of resources, not ready: the context stays usable
    for (int code : new int[] {0, 1, 2, 600, 701, 720}) assertFalse(LaunchLog.sticky(code), "code " + code);
  }
}
