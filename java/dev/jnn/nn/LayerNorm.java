package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Layer normalization over the last axis (PyTorch's {@code nn.LayerNorm(features)}): each
 * position's features are normalized to mean 0 and variance 1 (biased, over the features) and
 * then scaled and shifted, {@code y = (x - mean) / sqrt(var + eps) * weight + bias}. Any input
 * rank >= 1 whose last dimension is {@code features}; train and eval behave alike.
 *
 * <pre>{@code
 * LayerNorm ln = new LayerNorm(128);              // eps 1e-5, as PyTorch; weight 1, bias 0
 * LayerNorm bert = new LayerNorm(768, 1e-12);     // BERT's eps
 * Tensor y = ln.forward(x, true);                 // x [B, T, 128] -> y [B, T, 128]
 * }</pre>
 *
 * Parameters {@code weight} and {@code bias} (features), PyTorch's names. Kernels:
 * {@code layernorm_forward} (keeps each row's mean and 1/std) and {@code layernorm_backward} (dx
 * in one pass per row, llm.c-style; dweight and dbias written).
 */
public final class LayerNorm extends Layer {
  /** PyTorch's default epsilon. */
  public static final double DEFAULT_EPS = 1e-5;

  private final int features;
  private final float eps;
  private final Parameter weight, bias;
  private final String name;
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Tensor lastInput;
  private Buffers last;

  private static final class Buffers implements AutoCloseable {
    final Tensor y, dx, mean, rstd;
    Buffers(LayerNorm l, Tensor x) {
      int rows = x.size() / l.features;
      y = Tensor.zeros(l.device(), x.shape());
      dx = Tensor.zeros(l.device(), x.shape());
      mean = Tensor.zeros(l.device(), rows);
      rstd = Tensor.zeros(l.device(), rows);
    }
    @Override public void close() { Tensor.closeAll(y, dx, mean, rstd); }
  }

  public LayerNorm(int features) { this(features, DEFAULT_EPS); }

  public LayerNorm(int features, double eps) {
    if (features < 1) throw new IllegalArgumentException("LayerNorm(" + features + "): features must be >= 1");
    if (!(eps > 0) || Double.isInfinite(eps) || (float) eps <= 0f)
      throw new IllegalArgumentException("LayerNorm(" + features + "): eps must be finite and > 0 (as a float), got " + eps);
    this.features = features;
    this.eps = (float) eps;
    this.name = (float) eps == (float) DEFAULT_EPS ? "LayerNorm(" + features + ")" : "LayerNorm(" + features + ", eps " + (float) eps + ")";
    this.weight = new Parameter("weight", device(), features);
    this.bias = new Parameter("bias", device(), features);
    initialize(new SplittableRandom(0));
  }

  public int features() { return features; }
  public float eps() { return eps; }
  /** Gamma (features), PyTorch's {@code weight}. */
  public Parameter weight() { return weight; }
  /** Beta (features), PyTorch's {@code bias}. */
  public Parameter bias() { return bias; }

  @Override public String name() { return name; }
  @Override public int inputFeatures() { return features; }
  @Override protected List<Parameter> ownParameters() { return List.of(weight, bias); }

  /** Weight 1, bias 0 (PyTorch's reset_parameters); draws nothing from rng. */
  @Override
  public void initialize(SplittableRandom rng) {
    weight.value().fill(1f);
    bias.value().fill(0f);
  }

  @Override
  public int[] outputShape(int[] s) {
    if (s.length < 1 || s[s.length - 1] != features)
      throw new IllegalArgumentException(name + ": input " + shapeString(s) + " must have " + features + " features in its last dimension");
    return s.clone();
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    checkInput(x);
    if (x.rank() < 1 || x.dim(x.rank() - 1) != features)
      throw new IllegalArgumentException(name + ": input " + x.shapeString() + " must have " + features + " features in its last dimension");
    Buffers b = cache.get(x);
    if (b == null) b = cache.put(x, new Buffers(this, x));
    backend.layerNormForward(x, weight.value(), bias.value(), eps, b.y, b.mean, b.rstd);
    lastInput = x;
    last = b;
    return b.y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    checkGradOutput(dy, last == null ? null : last.y);
    backend.layerNormBackward(lastInput, dy, weight.value(), last.mean, last.rstd, last.dx, weight.grad(), bias.grad());
    return inputGradRequired() ? last.dx : null;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    lastInput = null;
    last = null;
  }
}
