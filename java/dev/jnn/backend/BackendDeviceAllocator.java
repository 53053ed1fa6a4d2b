package dev.jnn.backend;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.DeviceAllocator;
import dev.jnn.tensor.DeviceMemory;

/**
 * Device memory for {@code Tensor.zeros(device, ...)}: the block comes from
 * {@code Backends.get(device).allocate(floats)} (the device's caching pool, or a simulated device
 * in tests). Registered in {@code META-INF/services/dev.jnn.tensor.DeviceAllocator}.
 */
public final class BackendDeviceAllocator implements DeviceAllocator {
  @Override
  public DeviceMemory allocate(Device device, long floats) { return Backends.get(device).allocate(floats); }
}
