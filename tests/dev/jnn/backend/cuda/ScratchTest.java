package dev.jnn.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Per-call and named scratch buffers over the pool, on the fake device (docs/DEVICE-MEMORY.md, "Scratch"). */
class ScratchTest {
  private static final long MiB = 1L << 20;

  @Test
  void aCallsBuffersGoBackToThePoolWhenItEnds() {
    FakeDevice dev = new FakeDevice(256 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    long[] addresses = new long[3];
    try (Scratch s = new Scratch(pool)) {
      addresses[0] = s.get(40 * MiB);     // a cuDNN workspace
      addresses[1] = s.get(4000);         // an aligned copy
      addresses[2] = s.get(0);            // a zero-byte workspace still gets an address
      for (long a : addresses) assertEquals(0, a % 256, "256-byte aligned");
      assertEquals(3, s.live());
      assertEquals(40 * MiB + 4096 + 512, pool.stats().allocatedBytes(), "live during the call");
    }
    assertEquals(0, pool.stats().allocatedBytes(), "nothing live between calls");
    assertEquals(0, pool.emptyCache() - 40 * MiB - 2 * 2 * MiB, "cached, so emptyCache gives all of it back");
    assertEquals(0, dev.used);
  }

  @Test
  void aSteadyLoopOfCallsMallocsOnce() {
    FakeDevice dev = new FakeDevice(256 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    for (int i = 0; i < 1000; i++) {
      try (Scratch s = new Scratch(pool)) {
        s.get(24 * MiB);
        s.get(3 * MiB);
        s.get(100);
      }
    }
    assertEquals(3, dev.mallocs, "one device block per buffer, reused by every later call");
  }

  @Test
  void outOfMemoryInsideACallReclaimsOtherCallsBuffersButNotItsOwn() {
    FakeDevice dev = new FakeDevice(100 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    try (Scratch earlier = new Scratch(pool)) {
      earlier.get(60 * MiB);               // an earlier call's large workspace, cached after it
    }
    try (Scratch s = new Scratch(pool)) {
      long own = s.get(20 * MiB);          // 60 + 20 of 100 MiB
      long big = s.get(70 * MiB);          // does not fit beside both: the cached 60 MiB block goes back, own stays
      assertTrue(dev.inside(own, 20 * MiB), "the call's own buffer is still allocated");
      assertTrue(dev.inside(big, 70 * MiB));
      assertNotEquals(own, big);
      assertEquals(1, dev.frees);
    }
  }

  @Test
  void closeIsIdempotentAndNegativeSizesAreRejected() {
    CachingAllocator pool = new CachingAllocator(new FakeDevice(64 * MiB));
    Scratch s = new Scratch(pool);
    s.get(10);
    s.close();
    s.close();
    assertEquals(0, pool.stats().allocatedBytes());
    assertThrows(IllegalArgumentException.class, () -> s.get(-1));
  }

  @Test
  void namedBuffersGrowStayLiveAndAreReleasedOnRequest() {
    FakeDevice dev = new FakeDevice(256 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    NamedScratch named = new NamedScratch(pool);
    long a = named.address("labels", 1000);
    assertEquals(a, named.address("labels", 900), "big enough: the same buffer");
    long b = named.address("labels", 3 * MiB);
    assertNotEquals(a, b, "grown");
    named.address("argmax", 5000);
    assertEquals(4 * MiB + 8192, named.bytes());
    assertEquals(named.bytes(), pool.stats().allocatedBytes(), "named buffers are live between calls");
    assertEquals(4 * MiB + 8192, named.release());
    assertEquals(0, pool.stats().allocatedBytes());
    assertEquals(0, named.bytes());
    pool.emptyCache();
    assertEquals(0, dev.used, "released named buffers can go back to the device");
  }
}
