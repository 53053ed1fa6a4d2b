package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.Arrays;

/**
 * A layer of several inputs (Keras' merge layers: {@link Add}, {@link Multiply},
 * {@link Concat}), used at a {@link Graph} node with several inputs. Its forward takes the inputs
 * as an array; its backward returns one gradient per input, in a layer-owned array that is
 * valid until the next backward (entries null where {@link #setInputGradRequired(int, boolean)}
 * said an input needs none). The single-input {@link #forward(Tensor, boolean)} and
 * {@link #backward(Tensor)} throw: a merge has no meaning on one tensor.
 *
 * <pre>{@code
 * Add add = new Add();
 * Tensor y = add.forward(new Tensor[] {a, b}, true);    // y = a + b, a buffer of the layer
 * Tensor[] d = add.backwardAll(dy);                     // {dy, dy}
 * }</pre>
 */
public abstract class MergeLayer extends Layer {
  private boolean[] gradRequired = new boolean[0];

  /** The number of inputs this layer takes, or -1 for any number >= 2. */
  @Override
  public int arity() { return -1; }

  /** Runs the merge on the inputs (all on this layer's device). */
  @Override
  public abstract Tensor forward(Tensor[] inputs, boolean training);

  /** Gradients with respect to each input of the last forward, given the output's gradient. */
  @Override
  public abstract Tensor[] backwardAll(Tensor gradOutput);

  /** The output shape for the inputs' shapes ({@code -1}: unknown batch); throws naming the shapes when they do not fit. */
  @Override
  public abstract int[] outputShape(int[][] inputShapes);

  @Override
  public final Tensor forward(Tensor input, boolean training) {
    throw new IllegalStateException(name() + " merges several inputs: call forward(Tensor[], boolean), or use it at a Graph node with several inputs");
  }

  @Override
  public final Tensor backward(Tensor gradOutput) {
    throw new IllegalStateException(name() + " merges several inputs: call backwardAll(gradOutput)");
  }

  @Override
  public final int[] outputShape(int[] inputShape) {
    throw new IllegalArgumentException(name() + " merges several inputs: give it the shapes of all of them");
  }

  /** Whether backward computes the gradient of input i (default true); a graph clears it for inputs that need none. */
  @Override
  public void setInputGradRequired(int i, boolean required) {
    if (i >= gradRequired.length) {
      int old = gradRequired.length;
      gradRequired = Arrays.copyOf(gradRequired, i + 1);
      Arrays.fill(gradRequired, old, i + 1, inputGradRequired());
    }
    gradRequired[i] = required;
  }

  @Override
  public boolean inputGradRequired(int i) { return i >= gradRequired.length ? inputGradRequired() : gradRequired[i]; }

  /** Sets the flag of every input. */
  @Override
  public void setInputGradRequired(boolean required) {
    super.setInputGradRequired(required);
    gradRequired = new boolean[0];
  }

  /** Checks the count, nulls and devices of a forward's inputs. */
  protected final void checkInputs(Tensor[] xs) {
    if (xs == null) throw new NullPointerException(name() + ": inputs are null");
    int a = arity();
    if (a > 0 ? xs.length != a : xs.length < 2)
      throw new IllegalArgumentException(name() + ": takes " + (a > 0 ? Integer.toString(a) : "2 or more") + " inputs, got " + xs.length);
    for (int i = 0; i < xs.length; i++) {
      if (xs[i] == null) throw new NullPointerException(name() + ": input " + i + " is null");
      checkDevice("input " + i, xs[i]);
    }
  }

  /** Inputs of one shape (Add, Multiply): returns that shape, or throws naming all of them. */
  protected final int[] oneShape(int[][] s) {
    for (int i = 1; i < s.length; i++)
      if (!Graph.sameShape(s[0], s[i])) throw new IllegalArgumentException(name() + ": inputs must have one shape, got " + shapes(s));
    return s[0].clone();
  }

  /** The forward-time check of {@link #oneShape(int[][])}, allocation-free unless it throws. */
  protected final void requireOneShape(Tensor[] xs) {
    for (int i = 1; i < xs.length; i++)
      if (!xs[i].sameShape(xs[0])) throw new IllegalArgumentException(name() + ": inputs must have one shape, got " + shapes(xs));
  }

  /** The shapes of the inputs, for messages. */
  protected static String shapes(int[][] ss) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ss.length; i++) sb.append(i == 0 ? "" : ", ").append(shapeString(ss[i]));
    return sb.toString();
  }

  protected static String shapes(Tensor[] xs) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < xs.length; i++) sb.append(i == 0 ? "" : ", ").append(xs[i].shapeString());
    return sb.toString();
  }
}
