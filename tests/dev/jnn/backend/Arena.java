package dev.jnn.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Allocates the tensors of one kernel call on one device, every tensor a view at a chosen element
 * offset into its own array, with guard elements before and after the view. After the call
 * {@link #assertIntact} proves that no kernel wrote outside its views (the offset plumbing), and
 * {@link #assertWritten} that a kernel overwrote every element of its outputs: outputs start out
 * holding a signalling-NaN bit pattern that no arithmetic produces, so an output the kernel forgot
 * to write cannot pass by comparing equal to an equally unwritten reference.
 */
public final class Arena {
  /** Bit pattern of guard elements (a signalling NaN with a payload: arithmetic never yields it). */
  public static final int GUARD_BITS = 0x7fa5a5a5;
  /** Bit pattern output tensors hold before the kernel runs. */
  public static final int UNWRITTEN_BITS = 0x7f8badad;
  /** Guard elements after each view. */
  public static final int TAIL = 5;

  private final Device device;
  private final int lead;
  private final List<Tensor> tensors = new ArrayList<>();
  private final List<String> names = new ArrayList<>();

  public Arena(Device device, int lead) {
    if (lead < 0) throw new IllegalArgumentException("lead " + lead);
    this.device = device;
    this.lead = lead;
  }

  public Device device() { return device; }
  public int lead() { return lead; }

  private Tensor alloc(String name, int... shape) {
    int n = Tensor.sizeOf(shape);
    float[] arr = new float[lead + n + TAIL];
    java.util.Arrays.fill(arr, Float.intBitsToFloat(GUARD_BITS));
    Tensor t = Tensor.wrap(device, arr, lead, shape);
    tensors.add(t);
    names.add(name);
    return t;
  }

  /** An input (or in-place) tensor holding a copy of values. */
  public Tensor in(String name, float[] values, int... shape) {
    Tensor t = alloc(name, shape);
    if (values.length != t.size()) throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + t.shapeString());
    System.arraycopy(values, 0, t.data(), t.offset(), values.length);
    return t;
  }

  /** An output tensor, every element set to the UNWRITTEN pattern. */
  public Tensor out(String name, int... shape) {
    Tensor t = alloc(name, shape);
    java.util.Arrays.fill(t.data(), t.offset(), t.offset() + t.size(), Float.intBitsToFloat(UNWRITTEN_BITS));
    return t;
  }

  /** Every guard element of every tensor still holds its pattern. */
  public void assertIntact(String kernel) {
    for (int k = 0; k < tensors.size(); k++) {
      Tensor t = tensors.get(k);
      float[] d = t.data();
      for (int i = 0; i < d.length; i++) {
        if (i >= t.offset() && i < t.offset() + t.size()) continue;
        if (Float.floatToRawIntBits(d[i]) != GUARD_BITS)
          fail(kernel + " on " + device + ": wrote outside the view of " + names.get(k) + " " + t.shapeString() + " (offset "
              + t.offset() + "): array element " + i + " is now " + d[i]);
      }
    }
  }

  /** No element of t still holds the UNWRITTEN pattern (the kernel wrote all of it). */
  public static void assertWritten(String kernel, String name, Tensor t) {
    int missing = 0, first = -1;
    for (int i = 0; i < t.size(); i++)
      if (Float.floatToRawIntBits(t.at(i)) == UNWRITTEN_BITS) { if (first < 0) first = i; missing++; }
    assertEquals(0, missing, kernel + " on " + t.device() + ": " + missing + " elements of " + name + " " + t.shapeString()
        + " were never written (first at " + first + ")");
  }
}
