package dev.jnn.backend.cuda;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A least-recently-used map of per-shape cuDNN state (descriptors, and for RNNs a device block)
 * that closes what it evicts: a network has a handful of shapes, but every new batch size or
 * sequence length would otherwise add an entry for the life of the backend. Entries are borrowed
 * through {@link #acquire} and given back with {@link Lease#close()}; an entry evicted while
 * borrowed is closed when its last borrower gives it back, so a call never sees its descriptors
 * destroyed under it. Thread-safe. Pure Java (tested on fake entries).
 *
 * <pre>{@code
 * BoundedCache<Conv2dGeometry, CudnnConv> convs = new BoundedCache<>(64, g -> CudnnConv.create(ctx, g), CudnnConv::close);
 * try (BoundedCache.Lease<CudnnConv> c = convs.acquire(g)) {
 *   ... c.value() ...
 * }
 * }</pre>
 */
final class BoundedCache<K, V> {
  /** A borrowed entry. */
  static final class Lease<V> implements AutoCloseable {
    private final Entry<V> entry;
    private final BoundedCache<?, V> owner;
    private boolean closed;

    private Lease(BoundedCache<?, V> owner, Entry<V> entry) {
      this.owner = owner;
      this.entry = entry;
    }

    V value() { return entry.value; }

    @Override
    public void close() {
      if (closed) return;
      closed = true;
      owner.giveBack(entry);
    }
  }

  private static final class Entry<V> {
    final V value;
    int borrowers;
    boolean evicted;

    Entry(V value) { this.value = value; }
  }

  private final int capacity;
  private final Function<K, V> create;
  private final Consumer<V> close;
  private final LinkedHashMap<K, Entry<V>> map = new LinkedHashMap<>(16, 0.75f, true);
  private long created, closed;

  /**
   * @param capacity entries kept (at least 1)
   * @param create builds the value of a missing key (called under the cache's lock)
   * @param close releases an evicted value
   */
  BoundedCache(int capacity, Function<K, V> create, Consumer<V> close) {
    if (capacity < 1) throw new IllegalArgumentException("BoundedCache: capacity must be >= 1, got " + capacity);
    this.capacity = capacity;
    this.create = Objects.requireNonNull(create, "create");
    this.close = Objects.requireNonNull(close, "close");
  }

  /** The value of {@code key} (built when missing, evicting the least recently used entry past capacity), borrowed until the lease closes. */
  synchronized Lease<V> acquire(K key) {
    Entry<V> e = map.get(key);
    if (e == null) {
      e = new Entry<>(create.apply(key));
      created++;
      map.put(key, e);
      evictPastCapacity();
    }
    e.borrowers++;
    return new Lease<>(this, e);
  }

  /** Entries held. */
  synchronized int size() { return map.size(); }

  /** Values built so far. */
  synchronized long created() { return created; }

  /** Values closed so far (evicted and given back, or cleared). */
  synchronized long closed() { return closed; }

  /** Evicts every entry (each closed now, or when its last borrower gives it back). */
  synchronized void clear() {
    for (Entry<V> e : map.values()) evict(e);
    map.clear();
  }

  private void evictPastCapacity() {
    Iterator<Entry<V>> it = map.values().iterator();
    while (map.size() > capacity && it.hasNext()) {
      Entry<V> e = it.next();
      it.remove();
      evict(e);
    }
  }

  private void evict(Entry<V> e) {
    e.evicted = true;
    if (e.borrowers == 0) closeValue(e);
  }

  private synchronized void giveBack(Entry<V> e) {
    e.borrowers--;
    if (e.evicted && e.borrowers == 0) closeValue(e);
  }

  private void closeValue(Entry<V> e) {
    closed++;
    close.accept(e.value);
  }

  @Override
  public synchronized String toString() {
    return map.size() + "/" + capacity + " entries, " + created + " built, " + closed + " closed";
  }
}
