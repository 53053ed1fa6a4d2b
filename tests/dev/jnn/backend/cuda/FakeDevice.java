package dev.jnn.backend.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pretend device for {@link CachingAllocator} tests: hands out non-overlapping addresses, keeps
 * a capacity (malloc returns 0 past it, like cudaMalloc's out-of-memory), counts calls and fails
 * the test on a free of an address it never handed out or already freed.
 */
class FakeDevice implements RawDeviceAllocator {
  long capacity;
  long used;
  int mallocs;
  int frees;
  int failedMallocs;
  private long next = 0x7f00_0000_0000L;
  final Map<Long, Long> live = new HashMap<>();
  final List<long[]> memsets = new ArrayList<>();

  FakeDevice(long capacity) {
    this.capacity = capacity;
  }

  @Override
  public synchronized long malloc(long bytes) {
    if (used + bytes > capacity) {
      failedMallocs++;
      return 0;
    }
    long a = next;
    next += bytes + 4096; // gap: overlapping blocks would show as wrong addresses
    used += bytes;
    mallocs++;
    live.put(a, bytes);
    return a;
  }

  @Override
  public synchronized void free(long address) {
    Long size = live.remove(address);
    if (size == null) throw new AssertionError("free of unknown or already freed address 0x" + Long.toHexString(address));
    used -= size;
    frees++;
  }

  @Override
  public synchronized void memset(long address, int value, long bytes) {
    memsets.add(new long[] {address, value, bytes});
  }

  /** Whether [address, address+bytes) lies inside one live device allocation. */
  synchronized boolean inside(long address, long bytes) {
    for (Map.Entry<Long, Long> e : live.entrySet())
      if (address >= e.getKey() && address + bytes <= e.getKey() + e.getValue()) return true;
    return false;
  }
}
