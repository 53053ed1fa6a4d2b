package dev.jnn.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, row-major float32 tensor on one device.
 *
 * <p>Host tensors (devices {@code java} and {@code cpu}) are a plain {@code float[]} plus an
 * element offset (DESIGN.md section 3): nothing to free, and native kernels read the array in
 * place. A view ({@link #view}, {@link #reshape}, {@link #rows}) shares the array.
 *
 * <pre>{@code
 * Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);  // 2x3 on the default host device
 * Tensor row = x.rows(1, 1);                                   // view of the second row, shape [1, 3]
 * float v = x.get(1, 2);                                       // 6.0
 * Tensor y = Tensor.zeros(Device.CPU, 2, 3);
 * }</pre>
 */
public final class Tensor {
  private final float[] data;
  private final int offset;
  private final int[] shape;
  private final int size;
  private final Device device;

  private Tensor(Device device, float[] data, int offset, int[] shape) {
    this.device = Objects.requireNonNull(device, "device");
    this.data = Objects.requireNonNull(data, "data");
    this.shape = shape.clone();
    this.size = sizeOf(this.shape);
    if (offset < 0 || (long) offset + size > data.length)
      throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " at offset " + offset
          + " does not fit in an array of length " + data.length);
    this.offset = offset;
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

  public static Tensor zeros(Device device, int... shape) {
    requireHost(device);
    return new Tensor(device, new float[sizeOf(shape)], 0, shape);
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
  public float[] data() { return data; }
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

  /** A view with another shape of the same size (shares the array). */
  public Tensor reshape(int... newShape) {
    if (sizeOf(newShape) != size)
      throw new IllegalArgumentException("cannot reshape " + shapeString() + " to " + Arrays.toString(newShape));
    return new Tensor(device, data, offset, newShape);
  }

  /** A view of {@code count} elements from element {@code start}, with the given shape. */
  public Tensor view(int start, int... newShape) {
    int n = sizeOf(newShape);
    if (start < 0 || (long) start + n > size)
      throw new IllegalArgumentException("view [" + start + ", " + ((long) start + n) + ") outside tensor of size " + size);
    return new Tensor(device, data, offset + start, newShape);
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
    return new Tensor(device, data, offset + start * stride, s);
  }

  /** The same storage tagged with another host device (host devices share memory: no copy). */
  public Tensor to(Device target) {
    Objects.requireNonNull(target, "device");
    if (target.equals(device)) return this;
    requireHost(target);
    return new Tensor(target, data, offset, shape);
  }

  /** A new tensor with its own array and the same contents, on the same device. */
  public Tensor copy() {
    return new Tensor(device, toArray(), 0, shape);
  }

  public float[] toArray() { return Arrays.copyOfRange(data, offset, offset + size); }

  public float get(int... index) { return data[offset + flat(index)]; }

  public void set(float value, int... index) { data[offset + flat(index)] = value; }

  /** Element {@code i} of the flattened tensor. */
  public float at(int i) {
    Objects.checkIndex(i, size);
    return data[offset + i];
  }

  public void fill(float value) { Arrays.fill(data, offset, offset + size, value); }

  /** Copies {@code src} (same size) into this tensor. */
  public void copyFrom(Tensor src) {
    if (src.size != size)
      throw new IllegalArgumentException("copyFrom: size " + src.size + " " + src.shapeString() + " into " + size + " " + shapeString());
    System.arraycopy(src.data, src.offset, data, offset, size);
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
    for (int i = offset, e = offset + size; i < e; i++) if (!Float.isFinite(data[i])) return true;
    return false;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Tensor").append(shapeString()).append(" on ").append(device).append(" [");
    int n = Math.min(size, 8);
    for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ", ").append(data[offset + i]);
    return sb.append(size > n ? ", ...]" : "]").toString();
  }
}
