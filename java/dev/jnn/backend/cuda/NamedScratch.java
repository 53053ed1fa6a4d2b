package dev.jnn.backend.cuda;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Named device buffers that outlive a call ({@link CudaContext#scratch}): each name holds one
 * pool block, grown when a larger size is asked for. They count as live in the pool's
 * statistics, so {@link CudaContext#emptyCache()} gives them back ({@link #release()}) before
 * emptying the pool; per-call buffers should come from a {@link Scratch} instead. Thread-safe.
 */
final class NamedScratch {
  private final CachingAllocator pool;
  private final Map<String, CachingAllocator.Block> buffers = new HashMap<>();

  NamedScratch(CachingAllocator pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  /** Address of buffer {@code name}, at least {@code bytes} long; valid until the next call with that name or {@link #release()}. */
  synchronized long address(String name, long bytes) {
    if (bytes < 0) throw new IllegalArgumentException("scratch " + name + ": negative size " + bytes);
    CachingAllocator.Block b = buffers.get(name);
    if (b != null && b.bytes() >= bytes) return b.address();
    CachingAllocator.Block nb = pool.allocate(Math.max(bytes, 1));
    if (b != null) pool.free(b);
    buffers.put(name, nb);
    return nb.address();
  }

  /** Bytes of the blocks held (rounded block sizes). */
  synchronized long bytes() {
    long n = 0;
    for (CachingAllocator.Block b : buffers.values()) n += b.bytes();
    return n;
  }

  /** Gives every buffer back to the pool; returns their bytes. Only between backend calls: an address handed out earlier becomes invalid. */
  synchronized long release() {
    long n = bytes();
    for (CachingAllocator.Block b : buffers.values()) pool.free(b);
    buffers.clear();
    return n;
  }
}
