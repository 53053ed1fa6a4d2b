package dev.jnn.nn;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.Objects;

/**
 * A trainable tensor and its gradient, both of the same shape on the same device.
 *
 * <p>{@link Layer#backward} overwrites {@link #grad()} (it never accumulates); optimizers read
 * the gradient and update {@link #value()} in place. Moving a parameter between host devices
 * ({@link #to}) retags the same {@code float[]}: no copy; to or from a device it copies value and
 * gradient and closes the old device storage.
 *
 * <pre>{@code
 * Parameter p = new Parameter("weight", Device.JAVA, 4, 3);
 * p.to(Device.cuda(0));      // host -> device copy of value and grad
 * p.to(Device.CPU);          // device -> host copy; the device blocks go back to the pool
 * }</pre>
 */
public final class Parameter {
  private final String name;
  private Tensor value;
  private Tensor grad;
  private boolean sharedValue;   // value belongs to another parameter (a graph's replica of a shared layer)

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

  /**
   * Moves value and gradient to another device: between host devices a retag of the same array
   * (no copy); to or from a device a copy, after which the old device storage is closed. A
   * failure (e.g. out of device memory) leaves the parameter unchanged.
   */
  public Parameter to(Device device) {
    Objects.requireNonNull(device, "device");
    if (device.equals(value.device())) return this;
    Tensor v = value.to(device), g;
    try {
      g = grad.to(device);
    } catch (RuntimeException e) {
      if (v != value) v.close();
      throw e;
    }
    Tensor oldValue = value, oldGrad = grad;
    value = v;
    grad = g;
    if (!oldValue.isHost()) Tensor.closeAll(oldValue, oldGrad);
    return this;
  }

  /**
   * Gives a device parameter's value and gradient back to the device pool (no-op on the host);
   * the parameter cannot be used afterwards. See {@link Layer#release()}.
   */
  public void release() {
    if (sharedValue) Tensor.closeAll(grad);
    else Tensor.closeAll(value, grad);
  }

  /**
   * Makes this parameter use {@code src}'s value tensor (same device and shape), keeping its own
   * gradient: how a {@link Graph} runs a layer applied at two nodes, and how a model's inference
   * replicas share its weights. Its own value is closed.
   */
  public void shareValueOf(Parameter src) {
    if (!src.value.sameShape(value) || !src.device().equals(device()))
      throw new IllegalArgumentException(name + ": cannot share " + src.name + src.value.shapeString() + " on " + src.device() + " with " + value.shapeString()
          + " on " + device());
    if (!sharedValue && !value.isHost()) value.close();
    value = src.value;
    sharedValue = true;
  }

  @Override
  public String toString() { return name + value.shapeString(); }
}
