package dev.jnn.tensor;

/**
 * One block of device memory holding the floats of a device tensor (and of its views), handed
 * out by the device's caching pool (docs/ARCHITECTURE.md, "Memory") through {@link DeviceAllocator}.
 * {@link #release()} gives the block back to the pool; it never frees it on the hot path.
 *
 * <p>Indexes are in floats from the start of the block. Copies run on the device's stream and
 * return once the data is where it was asked to be (host-bound copies synchronize).
 *
 * <pre>{@code
 * DeviceMemory m = Backends.get(Device.cuda(0)).allocate(1024);   // zeroed, from the pool
 * m.copyFromHost(hostArray, 0, 0, 1024);
 * long ptr = m.address() + 4L * 16;                              // float* of element 16
 * m.release();
 * }</pre>
 */
public interface DeviceMemory {
  /** The device this block lives on. */
  Device device();

  /** Device address of float 0 of the block (valid until {@link #release()}). */
  long address();

  /** Capacity in floats. */
  long capacity();

  /** Whether {@link #release()} has been called. */
  boolean isReleased();

  /** Returns the block to its pool; idempotent. */
  void release();

  /** Copies {@code n} floats from {@code src[srcOff..]} to float {@code dstIndex} of this block. */
  void copyFromHost(float[] src, int srcOff, long dstIndex, int n);

  /** Copies {@code n} floats from float {@code srcIndex} of this block to {@code dst[dstOff..]}. */
  void copyToHost(long srcIndex, float[] dst, int dstOff, int n);

  /** Copies {@code n} floats from float {@code srcIndex} of this block to float {@code dstIndex} of {@code dst} (same device). */
  void copyTo(long srcIndex, DeviceMemory dst, long dstIndex, long n);

  /**
   * Strided copy on the device (cudaMemcpy2DAsync): {@code rows} rows of {@code width} floats, row r
   * read from float {@code srcIndex + r * srcPitch} of this block and written to float
   * {@code dstIndex + r * dstPitch} of {@code dst} (same device). Used to interleave the two
   * directions of a bidirectional RNN's output without a kernel per row.
   */
  void copyTo2d(long srcIndex, long srcPitch, DeviceMemory dst, long dstIndex, long dstPitch, long width, long rows);
}
