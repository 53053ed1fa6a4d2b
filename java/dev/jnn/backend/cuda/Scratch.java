package dev.jnn.backend.cuda;

import java.util.Arrays;
import java.util.Objects;

/**
 * Device buffers for one backend call (cuDNN workspaces, aligned copies of misaligned views,
 * time-flipped RNN data, uploaded host ints): blocks of the device's pool, given back by
 * {@link #close()} when the call has queued its work. Giving a block back while a queued kernel
 * still reads it is safe: the context has one stream, so whoever gets the block next queues its
 * work after that kernel (docs/CUDA-RUNTIME.md, "CachingAllocator"). Between calls the blocks are
 * cached, not live, so the pool's out-of-memory path ({@link CachingAllocator#emptyCache()}) can
 * give them back to the device. Not thread-safe: one call, one thread.
 *
 * <pre>{@code
 * try (Scratch s = ctx.scratchScope()) {
 *   long ws = s.get(workspaceBytes);          // 256-byte aligned, contents undefined
 *   ... queue the kernels that use ws ...
 * }                                           // ws back to the pool
 * }</pre>
 */
public final class Scratch implements AutoCloseable {
  private final CachingAllocator pool;
  private CachingAllocator.Block[] blocks = new CachingAllocator.Block[4];
  private int count;

  Scratch(CachingAllocator pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  /**
   * Address of a new buffer of at least {@code bytes} (at least 1), aligned to 256 bytes (pool
   * blocks start at cudaMalloc addresses or at multiples of their 512-byte-or-larger class inside
   * one), valid until {@link #close()}.
   *
   * @throws CudaException cudaErrorMemoryAllocation when the pool cannot serve it
   */
  public long get(long bytes) {
    if (bytes < 0) throw new IllegalArgumentException("scratch: negative size " + bytes);
    CachingAllocator.Block b = pool.allocate(Math.max(bytes, 1));
    if (count == blocks.length) blocks = Arrays.copyOf(blocks, 2 * count);
    blocks[count++] = b;
    return b.address();
  }

  /** Buffers handed out and not yet given back. */
  public int live() { return count; }

  /** Gives every buffer back to the pool (idempotent). */
  @Override
  public void close() {
    for (int i = 0; i < count; i++) {
      pool.free(blocks[i]);
      blocks[i] = null;
    }
    count = 0;
  }
}
