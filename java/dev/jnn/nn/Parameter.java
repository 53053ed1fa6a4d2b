package dev.jnn.nn;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.Objects;

/**
 * A trainable tensor and its gradient, both of the same shape on the same device.
 *
 * <p>{@link Layer#backward} overwrites {@link #grad()} (it never accumulates); optimizers read
 * the gradient and update {@link #value()} in place. Moving a parameter between host devices
 * ({@link #to}) retags the same {@code float[]}: no copy.
 */
public final class Parameter {
  private final String name;
  private Tensor value;
  private Tensor grad;

  /** A zero-filled parameter of the given shape on the device. */
  public Parameter(String name, Device device, int... shape) {
    this.name = Objects.requireNonNull(name, "name");
    this.value = Tensor.zeros(device, shape);
    this.grad = Tensor.zeros(device, shape);
  }

  public String name() { return name; }
  public Tensor value() { return value; }
  public Tensor grad() { return grad; }
  public Device device() { return value.device(); }
  public int size() { return value.size(); }

  /** Retags value and gradient with another device (host devices share the array: no copy). */
  public Parameter to(Device device) {
    Tensor v = value.to(device), g = grad.to(device);  // both first, so a failure leaves this unchanged
    value = v;
    grad = g;
    return this;
  }

  @Override
  public String toString() { return name + value.shapeString(); }
}
