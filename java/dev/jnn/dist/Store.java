package dev.jnn.dist;

import java.time.Duration;
import java.util.List;

/**
 * The rendezvous key-value store every rank of a job reaches (PyTorch's {@code c10d::Store}):
 * ranks publish their addresses and ids in it before the collective library connects them. Keys
 * are strings, values bytes; {@link #get} and {@link #await} block until the keys exist or the
 * timeout passes. {@link TcpStore} is the implementation (rank 0 serves it).
 *
 * <pre>{@code
 * store.set("addr/1", bytes);
 * byte[] a = store.get("addr/0", Duration.ofSeconds(30));   // waits for rank 0's key
 * long n = store.add("arrived", 1);                          // atomic counter, returns the new value
 * }</pre>
 */
public interface Store extends AutoCloseable {

  /** Sets {@code key} to {@code value} (replacing an earlier value). */
  void set(String key, byte[] value);

  /** The value of {@code key}, waiting up to {@code timeout} for it to be set; a {@link StoreTimeoutException} after. */
  byte[] get(String key, Duration timeout);

  /** Adds {@code delta} to the counter {@code key} (0 when absent) and returns the new value. */
  long add(String key, long delta);

  /** Returns when every key of {@code keys} is set; a {@link StoreTimeoutException} naming those still missing after {@code timeout}. */
  void await(List<String> keys, Duration timeout);

  /** Whether every key of {@code keys} is set, without waiting. */
  boolean check(List<String> keys);

  /** Removes {@code key}; whether it was set. */
  boolean delete(String key);

  /** Disconnects (and, on the serving rank, stops serving); idempotent. */
  @Override
  void close();

  /** A {@link #get} or {@link #await} that ran out of time: {@link #missingKeys()} are the keys nobody set. */
  final class StoreTimeoutException extends DistributedException {
    private final List<String> missing;

    public StoreTimeoutException(String message, List<String> missing) {
      super(message);
      this.missing = List.copyOf(missing);
    }

    /** The keys that were still unset when the time ran out. */
    public List<String> missingKeys() { return missing; }
  }
}
