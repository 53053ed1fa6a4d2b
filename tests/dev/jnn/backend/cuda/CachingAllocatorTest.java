package dev.jnn.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class CachingAllocatorTest {
  private static final long MiB = 1L << 20;

  @Test
  void sizeClasses() {
    assertEquals(512, CachingAllocator.roundSize(0));
    assertEquals(512, CachingAllocator.roundSize(1));
    assertEquals(512, CachingAllocator.roundSize(512));
    assertEquals(1024, CachingAllocator.roundSize(513));
    assertEquals(4096, CachingAllocator.roundSize(3000));
    assertEquals(MiB, CachingAllocator.roundSize(MiB));
    assertEquals(2 * MiB, CachingAllocator.roundSize(MiB + 1));
    assertEquals(4 * MiB, CachingAllocator.roundSize(3 * MiB));
    assertEquals(4 * MiB, CachingAllocator.roundSize(4 * MiB));
    assertThrows(IllegalArgumentException.class, () -> CachingAllocator.roundSize(-1));
  }

  @Test
  void smallBlocksAreCutFromOneSegment() {
    FakeDevice dev = new FakeDevice(64 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    Set<Long> addresses = new HashSet<>();
    // 2 MiB / 4 KiB = 512 blocks of the 4 KiB class from one segment
    for (int i = 0; i < 512; i++) {
      CachingAllocator.Block b = pool.allocate(3000);
      assertEquals(4096, b.bytes());
      assertEquals(3000, b.requestedBytes());
      assertTrue(dev.inside(b.address(), b.bytes()), "block inside a device allocation");
      assertTrue(addresses.add(b.address()), "distinct blocks");
    }
    assertEquals(1, dev.mallocs);
    pool.allocate(3000); // the 513th needs a second segment
    assertEquals(2, dev.mallocs);
    assertEquals(513 * 4096L, pool.stats().allocatedBytes());
    assertEquals(4 * MiB - 513 * 4096L, pool.stats().cachedBytes());
  }

  @Test
  void freedBlockIsReusedWithoutDeviceCalls() {
    FakeDevice dev = new FakeDevice(64 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    CachingAllocator.Block a = pool.allocate(5 * MiB);
    assertEquals(6 * MiB, a.bytes());
    assertTrue(pool.free(a));
    CachingAllocator.Block b = pool.allocate(5 * MiB + 7); // same 6 MiB class
    assertEquals(a.address(), b.address());
    assertEquals(1, dev.mallocs);
    assertEquals(0, dev.frees);
  }

  @Test
  void steadyTrainingLoopMakesNoDeviceMallocs() {
    FakeDevice dev = new FakeDevice(256 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    long[] sizes = {40, 4000, 4000, 128 * 1024, 3 * MiB, 700, 10 * MiB, 4000};
    List<CachingAllocator.Block> step = new ArrayList<>();
    for (long s : sizes) step.add(pool.allocate(s));
    step.forEach(pool::free);
    int mallocsAfterWarmup = dev.mallocs;
    for (int iter = 0; iter < 1000; iter++) {
      step.clear();
      for (long s : sizes) step.add(pool.allocate(s));
      for (int i = step.size() - 1; i >= 0; i--) pool.free(step.get(i));
    }
    assertEquals(mallocsAfterWarmup, dev.mallocs, "no device malloc in the steady loop");
    assertEquals(0, dev.frees, "no device free in the steady loop");
    CachingAllocator.Stats st = pool.stats();
    assertEquals(0, st.allocatedBytes());
    assertEquals(dev.used, st.cachedBytes(), "everything held from the device is cached");
    assertEquals(dev.mallocs, st.deviceMallocs());
  }

  @Test
  void peakTracksTheLargestAllocatedTotal() {
    FakeDevice dev = new FakeDevice(64 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    CachingAllocator.Block a = pool.allocate(4 * MiB);
    CachingAllocator.Block b = pool.allocate(2 * MiB);
    pool.free(a);
    CachingAllocator.Block c = pool.allocate(1000);
    CachingAllocator.Stats st = pool.stats();
    assertEquals(2 * MiB + 1024, st.allocatedBytes());
    assertEquals(6 * MiB, st.peakBytes());
    pool.resetPeak();
    assertEquals(2 * MiB + 1024, pool.stats().peakBytes());
    pool.free(b);
    pool.free(c);
  }

  @Test
  void outOfMemoryEmptiesTheCacheAndRetriesOnce() {
    FakeDevice dev = new FakeDevice(10 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    CachingAllocator.Block a = pool.allocate(4 * MiB);
    CachingAllocator.Block b = pool.allocate(4 * MiB);
    pool.free(a);
    pool.free(b);
    assertEquals(8 * MiB, pool.stats().cachedBytes());
    // 6 MiB does not fit beside the 8 MiB cached: the pool frees both cached blocks and retries
    CachingAllocator.Block c = pool.allocate(6 * MiB);
    assertEquals(1, dev.failedMallocs);
    assertEquals(2, dev.frees);
    assertEquals(3, dev.mallocs);
    assertEquals(6 * MiB, pool.stats().allocatedBytes());
    assertEquals(0, pool.stats().cachedBytes());
    pool.free(c);
  }

  @Test
  void outOfMemoryAfterRetryThrowsWithStats() {
    FakeDevice dev = new FakeDevice(10 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    CachingAllocator.Block keep = pool.allocate(8 * MiB);
    CudaException e = assertThrows(CudaException.class, () -> pool.allocate(4 * MiB));
    assertEquals("CUDA", e.library());
    assertEquals(2, e.status());
    assertEquals("cudaMalloc", e.kernel());
    assertEquals(2, dev.failedMallocs, "tried, emptied the cache, retried once");
    assertTrue(e.getMessage().startsWith("cudaMalloc 4194304 bytes (rounded to 4194304; pool: allocated 8.0 MiB, cached 0 B, peak 8.0 MiB, device mallocs 1, device frees 0): CUDA error 2 cudaErrorMemoryAllocation: out of memory"),
        e.getMessage());
    assertEquals(8 * MiB, pool.stats().allocatedBytes(), "a failed allocation changes nothing");
    pool.free(keep);
  }

  @Test
  void doubleFreeIsHarmless() {
    FakeDevice dev = new FakeDevice(64 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    CachingAllocator.Block a = pool.allocate(1000);
    assertTrue(pool.free(a));
    assertFalse(pool.free(a));
    assertFalse(pool.free(null));
    assertEquals(0, pool.stats().allocatedBytes());
    // a second free must not put the block on the free list twice: two allocations get two blocks
    CachingAllocator.Block x = pool.allocate(1000);
    CachingAllocator.Block y = pool.allocate(1000);
    assertNotEquals(x.address(), y.address());
  }

  @Test
  void emptyCacheReturnsOnlyIdleMemory() {
    FakeDevice dev = new FakeDevice(64 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    CachingAllocator.Block small1 = pool.allocate(100);     // segment S1 (512 B class)
    CachingAllocator.Block small2 = pool.allocate(100);     // same segment
    CachingAllocator.Block other = pool.allocate(8000);     // segment S2 (8 KiB class)
    CachingAllocator.Block big = pool.allocate(3 * MiB);    // 4 MiB block
    pool.free(small1);
    pool.free(other);
    pool.free(big);
    long released = pool.emptyCache();
    // S2 (all free) and the 4 MiB block go back; S1 still holds small2
    assertEquals(2 * MiB + 4 * MiB, released);
    assertEquals(2, dev.frees);
    CachingAllocator.Stats st = pool.stats();
    assertEquals(512, st.allocatedBytes());
    assertEquals(2 * MiB - 512, st.cachedBytes());
    assertEquals(2 * MiB, dev.used);
    assertTrue(dev.inside(small2.address(), 512), "the live block's segment was kept");
    pool.free(small2);
    assertEquals(2 * MiB, pool.emptyCache());
    assertEquals(0, dev.used);
    assertEquals(3, pool.stats().deviceFrees());
    assertEquals(3, pool.stats().deviceMallocs());
    assertEquals(0, pool.stats().reservedBytes());
    // usable again after emptying
    CachingAllocator.Block again = pool.allocate(100);
    assertTrue(dev.inside(again.address(), 512));
  }

  @Test
  void allocateZeroedMemsetsTheRequestedBytes() {
    FakeDevice dev = new FakeDevice(64 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    CachingAllocator.Block b = pool.allocateZeroed(4 * 1000);
    assertEquals(1, dev.memsets.size());
    assertArrayEquals(new long[] {b.address(), 0, 4000}, dev.memsets.get(0));
    pool.allocateZeroed(0);
    assertEquals(1, dev.memsets.size(), "nothing to zero for an empty request");
  }

  @Test
  void concurrentUseKeepsBooksBalanced() throws Exception {
    FakeDevice dev = new FakeDevice(1L << 30);
    CachingAllocator pool = new CachingAllocator(dev);
    ExecutorService ex = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        final int seed = t;
        fs.add(ex.submit(() -> {
          java.util.Random r = new java.util.Random(seed);
          List<CachingAllocator.Block> held = new ArrayList<>();
          for (int i = 0; i < 5000; i++) {
            if (held.isEmpty() || r.nextBoolean()) held.add(pool.allocate(1 + r.nextInt(3 * (1 << 20))));
            else pool.free(held.remove(r.nextInt(held.size())));
          }
          held.forEach(pool::free);
        }));
      }
      for (Future<?> f : fs) f.get();
    } finally {
      ex.shutdown();
    }
    CachingAllocator.Stats st = pool.stats();
    assertEquals(0, st.allocatedBytes());
    assertEquals(dev.used, st.cachedBytes());
    pool.emptyCache();
    assertEquals(0, dev.used);
    assertEquals(dev.mallocs, dev.frees);
  }

  @Test
  void largeRequestTakesTheSmallestCachedBlockWithinTheSlack() {
    FakeDevice dev = new FakeDevice(256 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    CachingAllocator.Block b10 = pool.allocate(10 * MiB), b64 = pool.allocate(64 * MiB), b12 = pool.allocate(12 * MiB);
    pool.free(b10);
    pool.free(b64);
    pool.free(b12);
    int mallocs = dev.mallocs;
    // 8 MiB: slack max(2 MiB, 2 MiB) = 2 MiB, so the 10 MiB block (not the 12 or 64 MiB one)
    CachingAllocator.Block a = pool.allocate(7 * MiB + 1);
    assertEquals(b10.address(), a.address());
    assertEquals(10 * MiB, a.bytes());
    assertEquals(mallocs, dev.mallocs, "served from the cache");
    // 48 MiB: slack 12 MiB admits the 64 MiB block? 48 + 12 = 60 < 64: no, a new block
    CachingAllocator.Block c = pool.allocate(48 * MiB);
    assertEquals(48 * MiB, c.bytes());
    assertEquals(mallocs + 1, dev.mallocs);
    assertEquals(10 * MiB + 48 * MiB, pool.stats().allocatedBytes(), "allocated counts the block's whole size");
    assertEquals(2 * MiB, CachingAllocator.largeSlack(2 * MiB));
    assertEquals(16 * MiB, CachingAllocator.largeSlack(64 * MiB));
  }

  @Test
  void outOfMemoryTakesALargerCachedBlockBeforeEmptyingTheCache() {
    FakeDevice dev = new FakeDevice(70 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    CachingAllocator.Block big = pool.allocate(64 * MiB);
    pool.free(big);
    // 4 MiB is far below 64 MiB - slack, but the device has only 6 MiB left: a 4 MiB malloc fits
    CachingAllocator.Block a = pool.allocate(4 * MiB);
    assertNotEquals(big.address(), a.address());
    // now nothing fits on the device: the cached 64 MiB block serves the next 4 MiB request, nothing is freed
    CachingAllocator.Block b = pool.allocate(4 * MiB);
    assertEquals(big.address(), b.address());
    assertEquals(0, dev.frees);
    assertEquals(1, dev.failedMallocs);
  }

  /** A device whose cudaFree throws for chosen addresses (a sticky error, a driver problem). */
  private static final class FailingFrees extends FakeDevice {
    final java.util.Set<Long> failing = new HashSet<>();

    FailingFrees(long capacity) { super(capacity); }

    @Override
    public synchronized void free(long address) {
      if (failing.contains(address)) throw new CudaException("cudaFree", "0x" + Long.toHexString(address), "CUDA", 700, "cudaErrorIllegalAddress", "test");
      super.free(address);
    }
  }

  @Test
  void emptyCacheIsExceptionSafe() {
    FailingFrees dev = new FailingFrees(64 * MiB);
    CachingAllocator pool = new CachingAllocator(dev);
    CachingAllocator.Block a = pool.allocate(4 * MiB), b = pool.allocate(6 * MiB), c = pool.allocate(8 * MiB);
    pool.free(a);
    pool.free(b);
    pool.free(c);
    dev.failing.add(a.address());
    dev.failing.add(c.address());
    CudaException e = assertThrows(CudaException.class, pool::emptyCache);
    assertEquals(700, e.status());
    assertEquals(1, e.getSuppressed().length, "the second failing free is attached, not lost");
    assertFalse(dev.live.containsKey(b.address()), "the free between the failing ones still ran");
    CachingAllocator.Stats st = pool.stats();
    assertEquals(2, st.failedFrees());
    assertEquals(1, st.deviceFrees());
    assertEquals(0, st.cachedBytes(), "no freed or failed block stays listed");
    assertTrue(st.toString().contains("FAILED frees 2"), st.toString());
    // nothing listed any more: a new request is a new device block, never the dropped addresses
    CachingAllocator.Block d = pool.allocate(4 * MiB);
    assertNotEquals(a.address(), d.address());
    assertNotEquals(c.address(), d.address());
    assertEquals(0, pool.emptyCache(), "a second emptyCache has nothing to give back");
  }

}
