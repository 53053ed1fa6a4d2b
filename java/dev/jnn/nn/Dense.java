package dev.jnn.nn;

import dev.jnn.backend.Gemm;
import dev.jnn.tensor.Tensor;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Fully connected layer (PyTorch's {@code nn.Linear}): {@code y = x W^T + b} with x of shape
 * (batch, in), weight W of shape (out, in) and bias b of shape (out). As in PyTorch, any leading
 * dimensions are batch dimensions: x (B, T, in) gives y (B, T, out), computed as one GEMM over
 * the B T rows (views, no copy).
 *
 * <pre>{@code
 * Dense d = new Dense(10, 50);                       // Xavier/Glorot uniform weights, zero bias
 * Dense h = new Dense(10, 50, Init.HE_NORMAL);       // He normal, for ReLU stacks
 * Tensor y = d.forward(x, true);                     // x: [batch, 10] -> y: [batch, 50]
 * Tensor dx = d.backward(dy);                        // writes d.weight().grad(), d.bias().grad()
 * }</pre>
 *
 * Kernels: forward {@code gemm(NT, x, W, b, y)}; backward {@code dW = dy^T x} (gemm TN),
 * {@code db = sum_rows(dy)}, {@code dx = dy W} (gemm NN, skipped when the input gradient is not
 * required).
 *
 * <p>Until {@link #initialize} is called (by {@link Sequential#init} or {@link Sequential#compile}),
 * the weights come from a generator seeded with 0, so a lone layer is deterministic too.
 */
public final class Dense extends Layer {
  private final int in, out;
  private final Init init;
  private final Parameter weight, bias;
  private final String name;
  private final ShapeCache<Buffers> cache = new ShapeCache<>();

  private Tensor lastInput;
  private Buffers last;

  private static final class Buffers implements AutoCloseable {
    final Tensor y, dx;
    final Tensor yOut, dxOut;   // y and dx in the input's leading shape (the same tensors for rank-2 input)
    Tensor xSrc, x2, dySrc, dy2;  // (rows, features) views of the last rank > 2 input and gradient: reused while the same tensors come back
    Buffers(Dense d, Tensor x) {
      int rows = x.size() / d.in;
      y = Tensor.zeros(d.device(), rows, d.out);
      dx = Tensor.zeros(d.device(), rows, d.in);
      if (x.rank() == 2) {
        yOut = y;
        dxOut = dx;
      } else {
        int[] s = x.shape();
        dxOut = dx.reshape(s);
        s[s.length - 1] = d.out;
        yOut = y.reshape(s);
      }
    }
    @Override public void close() { Tensor.closeAll(y, dx); }
  }

  public Dense(int in, int out) { this(in, out, Init.XAVIER_UNIFORM); }

  public Dense(int in, int out, Init init) {
    if (in < 1 || out < 1) throw new IllegalArgumentException("Dense(" + in + "->" + out + "): sizes must be >= 1");
    this.in = in;
    this.out = out;
    this.init = Objects.requireNonNull(init, "init");
    this.name = "Dense(" + in + "->" + out + ")";
    this.weight = new Parameter("weight", device(), out, in);
    this.bias = new Parameter("bias", device(), out);
    initialize(new SplittableRandom(0));
  }

  public int inFeatures() { return in; }
  public int outFeatures() { return out; }
  public Init init() { return init; }
  /** Weight (out, in). */
  public Parameter weight() { return weight; }
  /** Bias (out). */
  public Parameter bias() { return bias; }

  @Override public String name() { return name; }
  @Override public int inputFeatures() { return in; }
  @Override protected List<Parameter> ownParameters() { return List.of(weight, bias); }

  @Override
  public void initialize(SplittableRandom rng) {
    Tensor w = weight.value();
    writeFromHost(w, (a, off) -> init.fill(a, off, w.size(), in, out, rng));
    bias.value().fill(0f);
  }

  @Override
  public int[] outputShape(int[] s) {
    if (s.length < 2 || s[s.length - 1] != in)
      throw new IllegalArgumentException(name + ": input " + shapeString(s) + " must have " + in + " features in its last dimension (shape [batch, ..., "
          + in + "])");
    int[] o = s.clone();
    o[o.length - 1] = out;
    return o;
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    checkInput(x);
    if (x.rank() < 2 || x.dim(x.rank() - 1) != in)
      throw new IllegalArgumentException(name + ": input " + x.shapeString() + " must have " + in + " features in its last dimension (shape [batch, ..., "
          + in + "])");
    Buffers b = cache.get(x);
    if (b == null) b = cache.put(x, new Buffers(this, x));
    Tensor x2 = x;
    if (x.rank() != 2) {   // (rows, in) view of (B, ..., in)
      if (b.xSrc != x) {
        b.x2 = x.reshape(b.y.dim(0), in);
        b.xSrc = x;
      }
      x2 = b.x2;
    }
    backend.gemm(Gemm.NT, x2, weight.value(), bias.value(), b.y);
    lastInput = x2;
    last = b;
    return b.yOut;
  }

  @Override
  public Tensor backward(Tensor dy) {
    checkGradOutput(dy, last == null ? null : last.yOut);
    Tensor dy2 = dy;
    if (dy.rank() != 2) {
      if (last.dySrc != dy) {
        last.dy2 = dy.reshape(last.y.dim(0), out);
        last.dySrc = dy;
      }
      dy2 = last.dy2;
    }
    backend.gemm(Gemm.TN, dy2, lastInput, null, weight.grad());
    backend.sumRows(dy2, bias.grad());
    if (!inputGradRequired()) return null;
    backend.gemm(Gemm.NN, dy2, weight.value(), null, last.dx);
    return last.dxOut;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    lastInput = null;
    last = null;
  }
}
