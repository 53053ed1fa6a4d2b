package dev.jnn.tensor;

/**
 * Where {@link Tensor#zeros(Device, int...)} gets device memory: the backend layer implements it
 * (the device's caching pool) and registers it in {@code META-INF/services/dev.jnn.tensor.DeviceAllocator},
 * found through {@link java.util.ServiceLoader} so that this package depends on no other jnn package
 * (docs/ARCHITECTURE.md).
 */
public interface DeviceAllocator {
  /**
   * A zero-filled block of {@code floats} floats on {@code device} (not a host device); throws an
   * unchecked exception naming the reason when the device cannot be used.
   */
  DeviceMemory allocate(Device device, long floats);
}
