package dev.jnn.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The per-shape cuDNN caches: least recently used entries are evicted and closed, borrowed ones
 * only when given back. Values here hold a pool block, as CudnnRnn holds its sequence lengths, so
 * the fake device shows the memory coming back.
 */
class BoundedCacheTest {
  private static final long MiB = 1L << 20;

  /** A stand-in for CudnnRnn: a device block per shape. */
  private static final class Entry {
    final int key;
    final CachingAllocator.Block block;
    boolean closed;

    Entry(int key, CachingAllocator pool) {
      this.key = key;
      this.block = pool.allocate(4096);
    }
  }

  @Test
  void newShapesEvictTheLeastRecentlyUsedAndGiveTheirMemoryBack() {
    CachingAllocator pool = new CachingAllocator(new FakeDevice(64 * MiB));
    List<Entry> closed = new ArrayList<>();
    BoundedCache<Integer, Entry> cache = new BoundedCache<>(3, k -> new Entry(k, pool), e -> {
      e.closed = true;
      closed.add(e);
      pool.free(e.block);
    });
    for (int k : new int[] {1, 2, 3}) cache.acquire(k).close();
    cache.acquire(1).close();                 // 1 is now the most recent; 2 the least
    cache.acquire(4).close();                 // evicts 2
    assertEquals(List.of(2), closed.stream().map(e -> e.key).toList());
    assertEquals(3, cache.size());
    // a sequence-length sweep (every batch a new T) stays bounded
    for (int t = 100; t < 1100; t++) cache.acquire(t).close();
    assertEquals(3, cache.size());
    assertEquals(3 * 4096, pool.stats().allocatedBytes(), "only the kept entries hold device memory");
    assertEquals(1004, cache.created());
    assertEquals(1001, cache.closed());
    cache.clear();
    assertEquals(0, pool.stats().allocatedBytes());
    assertEquals(cache.created(), cache.closed());
  }

  @Test
  void anEntryEvictedWhileBorrowedIsClosedWhenGivenBack() {
    List<Integer> closed = new ArrayList<>();
    BoundedCache<Integer, Integer> cache = new BoundedCache<>(1, k -> k, closed::add);
    BoundedCache.Lease<Integer> a = cache.acquire(1);
    BoundedCache.Lease<Integer> a2 = cache.acquire(1);
    cache.acquire(2).close();                 // evicts 1 while two callers use it
    assertEquals(List.of(), closed, "not destroyed under its users");
    a.close();
    a.close();                                // a lease gives back once
    assertEquals(List.of(), closed);
    a2.close();
    assertEquals(List.of(1), closed);
    assertEquals(Integer.valueOf(1), a.value(), "the value stays readable to the one holding it");
  }

  @Test
  void capacityMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new BoundedCache<Integer, Integer>(0, k -> k, v -> {}));
  }
}
