package dev.jnn.backend.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The per-device caching pool behind device tensors (docs/ARCHITECTURE.md, "Memory"): freed blocks go back to
 * free lists and are handed out again without cudaFree/cudaMalloc on the hot path.
 *
 * <p>Size classes (a simpler scheme than PyTorch's block splitting, stated exactly):
 * <ul>
 *   <li>small requests ({@code <= 1 MiB}) are rounded up to a power of two of at least 512 B; each
 *       such class is served from 2 MiB segments (one cudaMalloc each) cut into equal blocks of the
 *       class size, kept on the class's free list;
 *   <li>large requests ({@code > 1 MiB}) are rounded up to a multiple of 2 MiB, each block is one
 *       cudaMalloc; a request takes the smallest cached large block that fits it with at most
 *       {@link #largeSlack} bytes to spare (best fit; the block is not split), else a new one.
 * </ul>
 * When the device is out of memory the pool first takes any larger cached block, then returns
 * every cached block to the device ({@link #emptyCache()}) and retries once. All methods are
 * thread-safe (one lock). Blocks are
 * reused in the order of the single stream of their {@link CudaContext}, so a block freed while a
 * kernel still reads it is only overwritten by work queued after that kernel.
 *
 * <pre>{@code
 * CachingAllocator pool = CudaContext.of(0).pool();
 * CachingAllocator.Block b = pool.allocate(4096);    // 4096 B from a 2 MiB segment
 * pool.free(b);                                      // back to the 4 KiB free list, no cudaFree
 * CachingAllocator.Block c = pool.allocate(3000);    // same 4 KiB class: reuses b's memory
 * System.out.println(pool.stats());
 * }</pre>
 */
public final class CachingAllocator {
  /** Smallest block and rounding unit: 512 B. */
  public static final long MIN_BLOCK = 512;
  /** Largest "small" request: 1 MiB. */
  public static final long SMALL_LIMIT = 1L << 20;
  /** Small-class segment size and large-request rounding unit: 2 MiB. */
  public static final long SEGMENT = 2L << 20;

  /** CUDA's status for out of memory (cudaErrorMemoryAllocation). */
  static final int CUDA_ERROR_MEMORY_ALLOCATION = 2;

  /**
   * Pool statistics in bytes and counts.
   *
   * @param allocatedBytes bytes in blocks handed out and not yet freed (rounded block sizes)
   * @param cachedBytes bytes held from the device but not handed out (free blocks, ready for reuse)
   * @param peakBytes the largest {@code allocatedBytes} seen
   * @param deviceMallocs raw device allocations made (cudaMalloc calls that succeeded)
   * @param deviceFrees raw device frees made (cudaFree calls that succeeded)
   * @param failedFrees cudaFree calls that threw: their blocks were dropped from the pool all the same
   *     (never handed out again), so a failing free cannot leave a freed address on a free list
   */
  public record Stats(long allocatedBytes, long cachedBytes, long peakBytes, long deviceMallocs, long deviceFrees, long failedFrees) {
    /** Bytes held from the device: allocated plus cached. */
    public long reservedBytes() { return allocatedBytes + cachedBytes; }

    @Override
    public String toString() {
      return "allocated " + human(allocatedBytes) + ", cached " + human(cachedBytes) + ", peak " + human(peakBytes)
          + ", device mallocs " + deviceMallocs + ", device frees " + deviceFrees + (failedFrees > 0 ? ", FAILED frees " + failedFrees : "");
    }
  }

  /** One block handed out by the pool: {@code bytes >= requestedBytes}, valid until {@link #free}. */
  public static final class Block {
    private final long address;
    private final long bytes;
    private final Segment segment; // null for large blocks
    private long requestedBytes;
    private boolean live;

    private Block(long address, long bytes, Segment segment) {
      this.address = address;
      this.bytes = bytes;
      this.segment = segment;
    }

    /** Device address of the block's first byte. */
    public long address() { return address; }

    /** The block's size (the request rounded to its size class). */
    public long bytes() { return bytes; }

    /** The size asked for when the block was last handed out. */
    public synchronized long requestedBytes() { return requestedBytes; }

    @Override
    public String toString() {
      return "Block[0x" + Long.toHexString(address) + ", " + bytes + " B]";
    }
  }

  /** A 2 MiB cudaMalloc cut into equal blocks of one small class. */
  private static final class Segment {
    final long address;
    final int blocks;
    int freeBlocks;

    Segment(long address, int blocks) {
      this.address = address;
      this.blocks = blocks;
      this.freeBlocks = blocks;
    }
  }

  private final RawDeviceAllocator raw;
  /** Small classes: class size -> free blocks. */
  private final Map<Long, ArrayDeque<Block>> smallFree = new HashMap<>();
  /** Small classes: class size -> its segments. */
  private final Map<Long, List<Segment>> segments = new HashMap<>();
  /** Large blocks: rounded size -> free blocks. */
  private final TreeMap<Long, ArrayDeque<Block>> largeFree = new TreeMap<>();

  private long allocatedBytes;
  private long reservedBytes;
  private long peakBytes;
  private long deviceMallocs;
  private long deviceFrees;
  private long failedFrees;

  /** A pool over {@code raw} (cudaMalloc/cudaFree for a device, or a fake in tests). */
  public CachingAllocator(RawDeviceAllocator raw) {
    this.raw = Objects.requireNonNull(raw, "raw allocator");
  }

  /**
   * The size class of a request of {@code bytes}: {@code max(512, nextPowerOfTwo(bytes))} up to
   * 1 MiB, else {@code bytes} rounded up to a multiple of 2 MiB.
   *
   * <pre>{@code
   * CachingAllocator.roundSize(1)        // 512
   * CachingAllocator.roundSize(3000)     // 4096
   * CachingAllocator.roundSize(1 << 20)  // 1048576
   * CachingAllocator.roundSize(3 << 20)  // 4194304
   * }</pre>
   */
  public static long roundSize(long bytes) {
    if (bytes < 0) throw new IllegalArgumentException("CachingAllocator: negative size " + bytes);
    if (bytes <= MIN_BLOCK) return MIN_BLOCK;
    if (bytes <= SMALL_LIMIT) return Long.highestOneBit(bytes - 1) << 1;
    if (bytes > Long.MAX_VALUE - SEGMENT) throw new IllegalArgumentException("CachingAllocator: size too large " + bytes);
    return (bytes + SEGMENT - 1) / SEGMENT * SEGMENT;
  }

  /**
   * The most bytes a cached large block may exceed a large request's rounded size by and still
   * serve it: a quarter of the size, at least one 2 MiB segment. A cached 10 MiB block serves a
   * request rounded to 8 MiB; a 64 MiB block does not serve an 8 MiB request (unless the device
   * is out of memory).
   */
  public static long largeSlack(long roundedSize) {
    return Math.max(SEGMENT, roundedSize / 4);
  }

  /**
   * Hands out a block of at least {@code bytes} (contents undefined), reusing a cached block of the
   * same size class when there is one. Out of device memory: empties the cache and retries once,
   * then throws a {@link CudaException} (cudaErrorMemoryAllocation) with the pool statistics.
   */
  public synchronized Block allocate(long bytes) {
    long size = roundSize(bytes);
    Block b = size <= SMALL_LIMIT ? takeSmall(size) : takeLarge(size);
    if (b == null) {
      emptyCache();
      b = size <= SMALL_LIMIT ? takeSmall(size) : takeLarge(size);
    }
    if (b == null) {
      throw new CudaException("cudaMalloc", bytes + " bytes (rounded to " + size + "; pool: " + stats() + ")",
          "CUDA", CUDA_ERROR_MEMORY_ALLOCATION, "cudaErrorMemoryAllocation",
          "out of memory (after returning every cached block to the device and retrying)");
    }
    synchronized (b) {
      b.live = true;
      b.requestedBytes = bytes;
    }
    allocatedBytes += b.bytes;
    peakBytes = Math.max(peakBytes, allocatedBytes);
    return b;
  }

  /** {@link #allocate} then zeroes the requested bytes (asynchronously, on the device's stream). */
  public Block allocateZeroed(long bytes) {
    Block b = allocate(bytes);
    if (bytes > 0) {
      try {
        raw.memset(b.address, 0, bytes);
      } catch (RuntimeException e) {
        free(b);
        throw e;
      }
    }
    return b;
  }

  /**
   * Returns a block to its free list (no device free). Freeing a block twice is harmless: the
   * second call returns false and changes nothing.
   *
   * @return true if the block was live and is now cached
   */
  public synchronized boolean free(Block b) {
    if (b == null) return false;
    synchronized (b) {
      if (!b.live) return false;
      b.live = false;
    }
    allocatedBytes -= b.bytes;
    if (b.segment != null) {
      b.segment.freeBlocks++;
      smallFree.computeIfAbsent(b.bytes, k -> new ArrayDeque<>()).push(b);
    } else {
      largeFree.computeIfAbsent(b.bytes, k -> new ArrayDeque<>()).push(b);
    }
    return true;
  }

  /**
   * Returns every cached block the pool can give back to the device: all free large blocks and
   * every small-class segment none of whose blocks is in use. Blocks in use are untouched.
   * Exception-safe: every block is taken off the free lists before any cudaFree, and each free is
   * tried even when an earlier one threw; a block whose free throws is dropped all the same
   * (counted in {@link Stats#failedFrees}), and the first such exception is rethrown at the end
   * with the others suppressed.
   *
   * @return the number of bytes given back
   */
  public synchronized long emptyCache() {
    List<long[]> toFree = new ArrayList<>(); // {address, bytes}
    for (ArrayDeque<Block> q : largeFree.values()) for (Block b : q) toFree.add(new long[] {b.address, b.bytes});
    largeFree.clear();
    for (Iterator<Map.Entry<Long, List<Segment>>> it = segments.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, List<Segment>> e = it.next();
      long size = e.getKey();
      List<Segment> idle = new ArrayList<>();
      for (Segment s : e.getValue()) if (s.freeBlocks == s.blocks) idle.add(s);
      if (idle.isEmpty()) continue;
      ArrayDeque<Block> q = smallFree.get(size);
      if (q != null) q.removeIf(b -> b.segment.freeBlocks == b.segment.blocks);
      for (Segment s : idle) toFree.add(new long[] {s.address, SEGMENT});
      e.getValue().removeAll(idle);
      if (e.getValue().isEmpty()) {
        it.remove();
        smallFree.remove(size);
      }
    }
    long released = 0;
    RuntimeException first = null;
    for (long[] f : toFree) {
      reservedBytes -= f[1];
      try {
        raw.free(f[0]);
        deviceFrees++;
        released += f[1];
      } catch (RuntimeException e) {
        failedFrees++;
        if (first == null) first = e;
        else first.addSuppressed(e);
      }
    }
    if (first != null) throw first;
    return released;
  }

  /** A snapshot of the pool's statistics. */
  public synchronized Stats stats() {
    return new Stats(allocatedBytes, reservedBytes - allocatedBytes, peakBytes, deviceMallocs, deviceFrees, failedFrees);
  }

  /** Resets the peak to the current allocated bytes (e.g. between training phases). */
  public synchronized void resetPeak() {
    peakBytes = allocatedBytes;
  }

  private Block takeSmall(long size) {
    ArrayDeque<Block> q = smallFree.get(size);
    if (q == null || q.isEmpty()) {
      long base = deviceMalloc(SEGMENT);
      if (base == 0) return null;
      int n = (int) (SEGMENT / size);
      Segment s = new Segment(base, n);
      segments.computeIfAbsent(size, k -> new ArrayList<>()).add(s);
      if (q == null) {
        q = new ArrayDeque<>();
        smallFree.put(size, q);
      }
      // push in reverse so the segment's blocks are handed out from its start
      for (int i = n - 1; i >= 0; i--) q.push(new Block(base + i * size, size, s));
    }
    Block b = q.pop();
    b.segment.freeBlocks--;
    return b;
  }

  /** Best fit within {@link #largeSlack}, else a new device block, else (out of memory) any larger cached block. */
  private Block takeLarge(long size) {
    Block b = cachedLarge(size, size + largeSlack(size));
    if (b != null) return b;
    long a = deviceMalloc(size);
    if (a != 0) return new Block(a, size, null);
    return cachedLarge(size, Long.MAX_VALUE);
  }

  /** The smallest cached large block of at least {@code size} and at most {@code limit} bytes, taken off its list; null if none. */
  private Block cachedLarge(long size, long limit) {
    Map.Entry<Long, ArrayDeque<Block>> e = largeFree.ceilingEntry(size);
    if (e == null || e.getKey() > limit) return null;
    Block b = e.getValue().pop();
    if (e.getValue().isEmpty()) largeFree.remove(e.getKey());
    return b;
  }

  private long deviceMalloc(long bytes) {
    long a = raw.malloc(bytes);
    if (a != 0) {
      deviceMallocs++;
      reservedBytes += bytes;
    }
    return a;
  }

  static String human(long bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < (1L << 20)) return String.format(java.util.Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    if (bytes < (1L << 30)) return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    return String.format(java.util.Locale.ROOT, "%.2f GiB", bytes / 1073741824.0);
  }
}
