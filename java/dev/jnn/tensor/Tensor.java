package dev.jnn.tensor;

import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.Objects;
import java.util.ServiceLoader;

/**
 * A dense, row-major float32 tensor on one device.
 *
 * <p>Host tensors (devices {@code java} and {@code cpu}) are a plain {@code float[]} plus an
 * element offset (docs/ARCHITECTURE.md, "Memory"): nothing to free, and native kernels read the array in
 * place. A view ({@link #view}, {@link #reshape}, {@link #rows}) shares the array.
 *
 * <p>Device tensors ({@code cuda:N}) hold a {@link DeviceMemory} block from the device's caching
 * pool plus an element offset. They are {@link AutoCloseable}: {@link #close()} on the tensor
 * that allocated the block gives it back to the pool (closing a view does nothing; a view keeps
 * its block alive). A {@link Cleaner} is only a safety net: a device tensor that becomes
 * unreachable without {@code close()} is logged as a leak and its block returned. Element access
 * ({@link #get}, {@link #toArray}, {@link #toString}) on a device tensor copies to the host: it is
 * for inspection, not for loops; {@link #data()} is host-only.
 *
 * <pre>{@code
 * Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);  // 2x3 on the default host device
 * Tensor row = x.rows(1, 1);                                   // view of the second row, shape [1, 3]
 * float v = x.get(1, 2);                                       // 6.0
 * Tensor y = Tensor.zeros(Device.CPU, 2, 3);
 * try (Tensor g = x.to(Device.cuda(0))) {                      // a copy in GPU memory
 *   float[] back = g.toArray();                                // {1, 2, 3, 4, 5, 6}
 * }                                                            // block back in the pool
 * }</pre>
 */
public final class Tensor implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();
  private static final System.Logger LOG = System.getLogger("dev.jnn");

  private final float[] data;          // host storage, null on a device
  private final DeviceMemory memory;   // device storage, null on the host
  private final Owner owner;           // device storage's owner (shared by views), null on the host
  private final Tensor root;           // the device tensor that allocated the block (views keep it reachable), null on the host
  private final int offset;
  private final int[] shape;
  private final int size;
  private final Device device;

  /**
   * The owner of a device block: released by the allocating tensor's {@link #close()}, or by the
   * Cleaner (with a leak warning) when that tensor and all its views became unreachable.
   */
  private static final class Owner implements Runnable {
    final DeviceMemory memory;
    final String what;
    volatile boolean closed;
    Cleaner.Cleanable cleanable;

    Owner(DeviceMemory memory, String what) { this.memory = memory; this.what = what; }

    @Override
    public void run() {
      if (!closed && !memory.isReleased()) {
        LOG.log(System.Logger.Level.WARNING, "device tensor " + what + " was never closed: its memory went back to the pool"
            + " only when the garbage collector found it (close device tensors, or use try-with-resources)");
        memory.release();
      }
    }
  }

  private Tensor(Device device, float[] data, int offset, int[] shape) {
    this.device = Objects.requireNonNull(device, "device");
    this.data = Objects.requireNonNull(data, "data");
    this.memory = null;
    this.owner = null;
    this.root = null;
    this.shape = shape.clone();
    this.size = sizeOf(this.shape);
    if (offset < 0 || (long) offset + size > data.length)
      throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " at offset " + offset
          + " does not fit in an array of length " + data.length);
    this.offset = offset;
  }

  private Tensor(Owner owner, Tensor root, int offset, int[] shape) {
    this.owner = owner;
    this.root = root == null ? this : root;
    this.memory = owner.memory;
    this.device = memory.device();
    this.data = null;
    this.shape = shape.clone();
    this.size = sizeOf(this.shape);
    if (offset < 0 || (long) offset + size > memory.capacity())
      throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " at offset " + offset
          + " does not fit in a device block of " + memory.capacity() + " floats");
    this.offset = offset;
  }

  /** A view on the same storage (host array or device block). */
  private Tensor derive(int newOffset, int[] newShape) {
    return data != null ? new Tensor(device, data, newOffset, newShape) : new Tensor(owner, root, newOffset, newShape);
  }

  /**
   * Wraps a freshly allocated device block as a new tensor that owns it ({@link #close()} releases
   * it). For backends: {@code Tensor.zeros(cuda, ...)} calls this with the pool's block.
   */
  public static Tensor ofDeviceMemory(DeviceMemory memory, int... shape) {
    Objects.requireNonNull(memory, "memory");
    if (memory.device().isHost()) throw new IllegalArgumentException("device memory on host device " + memory.device());
    Owner o = new Owner(memory, Arrays.toString(shape) + " on " + memory.device());
    Tensor t = new Tensor(o, null, 0, shape);
    o.cleanable = CLEANER.register(t, o);
    return t;
  }

  /** Number of elements of a shape; every dimension must be >= 0. */
  public static int sizeOf(int... shape) {
    Objects.requireNonNull(shape, "shape");
    long n = 1;
    for (int d : shape) {
      if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      n *= d;
      if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
    }
    return (int) n;
  }

  /** A zero-filled tensor; on a device, its memory comes from the device's pool (close it when done). */
  public static Tensor zeros(Device device, int... shape) {
    Objects.requireNonNull(device, "device");
    if (device.isHost()) return new Tensor(device, new float[sizeOf(shape)], 0, shape);
    DeviceAllocator allocator = Allocator.INSTANCE;
    if (allocator == null)
      throw new IllegalStateException("cannot allocate " + Arrays.toString(shape) + " on " + device + ": no "
          + DeviceAllocator.class.getName() + " on the class path (META-INF/services)");
    return ofDeviceMemory(allocator.allocate(device, sizeOf(shape)), shape);
  }

  /** The {@link DeviceAllocator} on the class path (the backend layer's), looked up on first use of device memory; null if none. */
  private static final class Allocator {
    static final DeviceAllocator INSTANCE =
        ServiceLoader.load(DeviceAllocator.class, DeviceAllocator.class.getClassLoader()).findFirst().orElse(null);
  }

  public static Tensor zeros(int... shape) { return zeros(Device.JAVA, shape); }

  /** Wraps (does not copy) {@code data}; its length must equal the shape's size. */
  public static Tensor of(Device device, float[] data, int... shape) {
    requireHost(device);
    Objects.requireNonNull(data, "data");
    if (data.length != sizeOf(shape))
      throw new IllegalArgumentException("data length " + data.length + " does not match shape " + Arrays.toString(shape));
    return new Tensor(device, data, 0, shape);
  }

  public static Tensor of(float[] data, int... shape) { return of(Device.JAVA, data, shape); }

  /** Wraps {@code data} starting at {@code offset} (no copy). */
  public static Tensor wrap(Device device, float[] data, int offset, int... shape) {
    requireHost(device);
    return new Tensor(device, data, offset, shape);
  }

  private static void requireHost(Device device) {
    Objects.requireNonNull(device, "device");
    if (!device.isHost())
      throw new UnsupportedOperationException("device " + device + " tensors are created by its backend, not from Java arrays");
  }

  public Device device() { return device; }

  /** Whether the storage is a Java array ({@link #data()}) rather than device memory ({@link #memory()}). */
  public boolean isHost() { return data != null; }

  /** The host array (shared with views); device tensors have none: use {@link #toArray()} or {@link #copyFrom}. */
  public float[] data() {
    if (data == null)
      throw new IllegalStateException("tensor " + shapeString() + " on " + device + " lives in device memory and has no host array;"
          + " use toArray(), copyFrom(...) or to(Device.CPU)");
    return data;
  }

  /** The device block (shared with views); host tensors have none. Throws if the block was released. */
  public DeviceMemory memory() {
    if (memory == null) throw new IllegalStateException("tensor " + shapeString() + " on " + device + " is a host tensor: use data()");
    ensureOpen();
    return memory;
  }

  /** Whether this device tensor's memory went back to the pool; host tensors are never closed. */
  public boolean isClosed() { return memory != null && memory.isReleased(); }

  /**
   * Gives a device tensor's block back to the pool if this tensor allocated it; a no-op for host
   * tensors and for views (the allocating tensor owns the block). Using a tensor whose block was
   * released throws {@link IllegalStateException}.
   */
  @Override
  public void close() {
    if (owner == null || root != this || owner.closed) return;
    owner.closed = true;
    owner.memory.release();
    owner.cleanable.clean();
  }

  /**
   * Closes every non-null tensor (device tensors that allocated their block give it back; host
   * tensors and views: nothing). For layers' per-shape work buffers.
   *
   * <pre>{@code
   * Tensor.closeAll(y, dx, workspace);   // nulls are skipped
   * }</pre>
   */
  public static void closeAll(Tensor... tensors) {
    for (Tensor t : tensors) if (t != null) t.close();
  }

  /**
   * The elements of this tensor as a host array and the index of element 0 in it, without a copy
   * for host tensors: for a host tensor {@code data()} itself (start {@link #offset()}); for a
   * device tensor, {@code scratch} (grown when shorter than {@link #size()}) after one
   * device-to-host copy (start 0). Returns the array; {@link #hostStart} gives the start.
   *
   * <pre>{@code
   * float[] h = t.hostView(buffer);            // buffer: a reused float[] (may be null)
   * int o = t.hostStart();
   * for (int i = 0; i < t.size(); i++) use(h[o + i]);
   * if (!t.isHost()) buffer = h;              // keep the grown buffer
   * }</pre>
   */
  public float[] hostView(float[] scratch) {
    if (isHost()) return data;
    float[] h = scratch != null && scratch.length >= size ? scratch : new float[size];
    memory().copyToHost(offset, h, 0, size);
    return h;
  }

  /** Where element 0 lies in the array {@link #hostView} returns: {@link #offset()} on the host, 0 on a device. */
  public int hostStart() { return isHost() ? offset : 0; }

  private void ensureOpen() {
    if (memory != null && memory.isReleased())
      throw new IllegalStateException("tensor " + shapeString() + " on " + device + " was closed (its memory went back to the pool)");
  }

  public int offset() { return offset; }
  public int size() { return size; }
  public int rank() { return shape.length; }
  public int[] shape() { return shape.clone(); }
  public String shapeString() { return Arrays.toString(shape); }

  /** Dimension {@code i}; negative i counts from the end. */
  public int dim(int i) {
    int j = i < 0 ? shape.length + i : i;
    if (j < 0 || j >= shape.length)
      throw new IndexOutOfBoundsException("dimension " + i + " of a rank-" + shape.length + " tensor");
    return shape[j];
  }

  public boolean sameShape(Tensor o) { return Arrays.equals(shape, o.shape); }
  public boolean hasShape(int... s) { return Arrays.equals(shape, s); }

  /** A view with another shape of the same size (shares the storage). */
  public Tensor reshape(int... newShape) {
    if (sizeOf(newShape) != size)
      throw new IllegalArgumentException("cannot reshape " + shapeString() + " to " + Arrays.toString(newShape));
    return derive(offset, newShape);
  }

  /** A view of {@code count} elements from element {@code start}, with the given shape. */
  public Tensor view(int start, int... newShape) {
    int n = sizeOf(newShape);
    if (start < 0 || (long) start + n > size)
      throw new IllegalArgumentException("view [" + start + ", " + ((long) start + n) + ") outside tensor of size " + size);
    return derive(offset + start, newShape);
  }

  /** View of rows [start, start+count) along dimension 0. */
  public Tensor rows(int start, int count) {
    if (shape.length == 0) throw new IllegalArgumentException("rows() of a scalar");
    int rows = shape[0];
    if (start < 0 || count < 0 || start + count > rows)
      throw new IllegalArgumentException("rows [" + start + ", " + (start + count) + ") of tensor " + shapeString());
    int[] s = shape.clone();
    s[0] = count;
    int stride = rows == 0 ? 0 : size / rows;
    return derive(offset + start * stride, s);
  }

  /**
   * This tensor on another device. Between host devices it is the same array retagged (no copy);
   * to or from a device it is a copy into new storage (a device result must be closed).
   */
  public Tensor to(Device target) {
    Objects.requireNonNull(target, "device");
    ensureOpen();
    if (target.equals(device)) return this;
    if (isHost() && target.isHost()) return new Tensor(target, data, offset, shape);
    Tensor t = zeros(target, shape);
    t.copyFrom(this);
    return t;
  }

  /** A new tensor with its own storage and the same contents, on the same device. */
  public Tensor copy() {
    if (isHost()) return new Tensor(device, toArray(), 0, shape);
    Tensor t = zeros(device, shape);
    t.copyFrom(this);
    return t;
  }

  /** The elements as a new Java array (a device-to-host copy for device tensors). */
  public float[] toArray() {
    if (isHost()) return Arrays.copyOfRange(data, offset, offset + size);
    float[] out = new float[size];
    memory().copyToHost(offset, out, 0, size);
    return out;
  }

  /** Copies the elements into {@code dst[dstOff..]} (a device-to-host copy for device tensors). */
  public void copyTo(float[] dst, int dstOff) {
    Objects.checkFromIndexSize(dstOff, size, dst.length);
    if (isHost()) System.arraycopy(data, offset, dst, dstOff, size);
    else memory().copyToHost(offset, dst, dstOff, size);
  }

  /** Copies {@code src[srcOff..srcOff+size)} into this tensor (a host-to-device copy for device tensors). */
  public void copyFrom(float[] src, int srcOff) {
    Objects.checkFromIndexSize(srcOff, size, src.length);
    if (isHost()) System.arraycopy(src, srcOff, data, offset, size);
    else memory().copyFromHost(src, srcOff, offset, size);
  }

  /** Element at a multi-index (one device-to-host copy for device tensors: inspection only). */
  public float get(int... index) { return at(flat(index)); }

  /** Sets the element at a multi-index (one host-to-device copy for device tensors). */
  public void set(float value, int... index) {
    int i = flat(index);
    if (isHost()) data[offset + i] = value;
    else memory().copyFromHost(new float[] {value}, 0, offset + i, 1);
  }

  /** Element {@code i} of the flattened tensor. */
  public float at(int i) {
    Objects.checkIndex(i, size);
    if (isHost()) return data[offset + i];
    float[] one = new float[1];
    memory().copyToHost(offset + i, one, 0, 1);
    return one[0];
  }

  /** Sets every element (through a host array for device tensors; kernels use Backend.fill). */
  public void fill(float value) {
    if (isHost()) { Arrays.fill(data, offset, offset + size, value); return; }
    float[] h = new float[size];
    Arrays.fill(h, value);
    memory().copyFromHost(h, 0, offset, size);
  }

  /** Copies {@code src} (same size, any device) into this tensor. */
  public void copyFrom(Tensor src) {
    if (src.size != size)
      throw new IllegalArgumentException("copyFrom: size " + src.size + " " + src.shapeString() + " into " + size + " " + shapeString());
    if (isHost() && src.isHost()) System.arraycopy(src.data, src.offset, data, offset, size);
    else if (isHost()) src.memory().copyToHost(src.offset, data, offset, size);
    else if (src.isHost()) memory().copyFromHost(src.data, src.offset, offset, size);
    else if (src.device.equals(device)) src.memory().copyTo(src.offset, memory(), offset, size);
    else copyFrom(src.toArray(), 0);
  }

  private int flat(int[] index) {
    if (index.length != shape.length)
      throw new IllegalArgumentException("index of rank " + index.length + " into tensor " + shapeString());
    int f = 0;
    for (int i = 0; i < shape.length; i++) {
      Objects.checkIndex(index[i], shape[i]);
      f = f * shape[i] + index[i];
    }
    return f;
  }

  /** True if any element is NaN or infinite. */
  public boolean hasNonFinite() {
    if (!isHost()) {
      for (float v : toArray()) if (!Float.isFinite(v)) return true;
      return false;
    }
    for (int i = offset, e = offset + size; i < e; i++) if (!Float.isFinite(data[i])) return true;
    return false;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Tensor").append(shapeString()).append(" on ").append(device).append(" [");
    if (isClosed()) return sb.append("closed]").toString();
    int n = Math.min(size, 8);
    float[] head = isHost() ? null : new float[n];
    if (head != null) memory.copyToHost(offset, head, 0, n);
    for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ", ").append(head != null ? head[i] : data[offset + i]);
    return sb.append(size > n ? ", ...]" : "]").toString();
  }
}
