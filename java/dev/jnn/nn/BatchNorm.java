package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Batch normalization over the channel dimension (dimension 1), shared by {@link BatchNorm1d}
 * (input (N, C)) and {@link BatchNorm2d} (input (N, C, H, W)), with PyTorch's semantics and names:
 *
 * <ul>
 *   <li>Training ({@code forward(x, true)}): normalize with the batch statistics of each channel
 *       (mean and biased variance over N, or N x H x W, values), {@code y = gamma xhat + beta}, and
 *       update the running statistics {@code running = (1 - momentum) running + momentum batch},
 *       the running variance with the unbiased batch variance (Bessel's correction), as PyTorch.</li>
 *   <li>Evaluation ({@code forward(x, false)}): normalize with the running statistics.</li>
 * </ul>
 *
 * <p>Parameters {@code weight} (gamma, initially 1) and {@code bias} (beta, initially 0);
 * buffers ({@link #buffers()}, for checkpoints) {@code running_mean} (initially 0) and
 * {@code running_var} (initially 1). Defaults momentum 0.1, eps 1e-5.
 *
 * <p>Backward differentiates the training-mode forward (the batch statistics depend on x). A
 * backward after an evaluation-mode forward throws: jnn does not differentiate through frozen
 * statistics.
 */
abstract class BatchNorm extends Layer {
  public static final float DEFAULT_MOMENTUM = 0.1f;
  public static final float DEFAULT_EPS = 1e-5f;

  private final int features;
  private final float momentum, eps;
  private final String name;
  private final Parameter gamma, beta;
  private final List<Parameter> params;
  private Tensor runningMean, runningVar, saveMean, saveInvStd;
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Tensor lastInput;
  private Buffers last;
  private boolean lastTraining;

  private static final class Buffers implements AutoCloseable {
    final Tensor y;
    Tensor dx;   // allocated on the first backward
    Buffers(BatchNorm l, Tensor x) { y = Tensor.zeros(l.device(), x.shape()); }
    @Override public void close() { Tensor.closeAll(y, dx); }
  }

  BatchNorm(String kind, int features, float momentum, float eps) {
    String what = kind + "(" + features + ")";
    if (features < 1) throw new IllegalArgumentException(what + ": the number of features/channels must be >= 1");
    if (!(momentum >= 0f && momentum <= 1f)) throw new IllegalArgumentException(what + ": momentum must be in [0, 1], got " + momentum);
    if (!(eps > 0f) || Float.isInfinite(eps)) throw new IllegalArgumentException(what + ": eps must be finite and > 0, got " + eps);
    this.features = features;
    this.momentum = momentum;
    this.eps = eps;
    this.name = momentum == DEFAULT_MOMENTUM && eps == DEFAULT_EPS ? what
        : kind + "(" + features + ", momentum " + momentum + ", eps " + eps + ")";
    this.gamma = new Parameter("weight", device(), features);
    this.beta = new Parameter("bias", device(), features);
    this.params = List.of(gamma, beta);
    this.runningMean = Tensor.zeros(device(), features);
    this.runningVar = Tensor.zeros(device(), features);
    this.saveMean = Tensor.zeros(device(), features);
    this.saveInvStd = Tensor.zeros(device(), features);
    initialize(new SplittableRandom(0));
  }

  /** Number of features (BatchNorm1d) or channels (BatchNorm2d): dimension 1 of the input. */
  public int numFeatures() { return features; }
  public float momentum() { return momentum; }
  public float eps() { return eps; }
  /** Gamma (C), PyTorch's {@code weight}. */
  public Parameter weight() { return gamma; }
  /** Beta (C), PyTorch's {@code bias}. */
  public Parameter bias() { return beta; }
  /** Running mean (C), the live buffer. */
  public Tensor runningMean() { return runningMean; }
  /** Running (unbiased) variance (C), the live buffer. */
  public Tensor runningVar() { return runningVar; }

  @Override public String name() { return name; }
  @Override protected List<Parameter> ownParameters() { return params; }

  @Override
  protected Map<String, Tensor> ownBuffers() {
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("running_mean", runningMean);
    m.put("running_var", runningVar);
    return Collections.unmodifiableMap(m);
  }

  /** gamma = 1, beta = 0, and fresh running statistics (PyTorch's reset_parameters); draws nothing from rng. */
  @Override
  public void initialize(SplittableRandom rng) {
    gamma.value().fill(1f);
    beta.value().fill(0f);
    resetRunningStats();
  }

  /** Running mean 0, running variance 1. */
  public void resetRunningStats() {
    runningMean.fill(0f);
    runningVar.fill(1f);
  }

  /** The input rank this layer takes (2 or 4). */
  abstract int inputRank();

  /** "[batch, C]" or "[batch, C, height, width]" for messages. */
  abstract String expectedShape();

  private void check(int[] s) {
    if (s.length != inputRank())
      throw new IllegalArgumentException(name + ": input " + shapeString(s) + " must have rank " + inputRank() + " " + expectedShape() + ", got rank "
          + s.length);
    if (s[1] != features)
      throw new IllegalArgumentException(name + ": input " + shapeString(s) + " has " + s[1] + (inputRank() == 4 ? " channels" : " features")
          + ", expected " + features + " " + expectedShape());
  }

  @Override
  public int[] outputShape(int[] s) {
    check(s);
    return s.clone();
  }

  @Override
  public int inputFeatures() { return inputRank() == 2 ? features : -1; }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    checkInput(x);
    Buffers b = cache.get(x);
    if (b == null) {   // validated once per shape
      check(x.shape());
      if (x.size() == 0) throw new IllegalArgumentException(name + ": input " + x.shapeString() + " is empty");
      b = cache.put(x, new Buffers(this, x));
    }
    if (training) {
      if (x.size() / features < 2)
        throw new IllegalArgumentException(name + ": training needs more than 1 value per channel to compute a variance, got input "
            + x.shapeString() + " (use a batch of 2 or more, or forward(x, false))");
      backend.batchNormForwardTraining(x, gamma.value(), beta.value(), b.y, runningMean, runningVar, saveMean, saveInvStd, momentum, eps);
    } else {
      backend.batchNormForwardInference(x, gamma.value(), beta.value(), runningMean, runningVar, b.y, eps);
    }
    lastInput = x;
    last = b;
    lastTraining = training;
    return b.y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    checkGradOutput(dy, last == null ? null : last.y);
    if (!lastTraining)
      throw new IllegalStateException(name + ": backward after an evaluation-mode forward (forward(x, false)); batch norm is differentiated "
          + "only through its training-mode forward, run forward(x, true) before backward");
    if (last.dx == null) last.dx = Tensor.zeros(device(), lastInput.shape());
    backend.batchNormBackward(lastInput, dy, gamma.value(), saveMean, saveInvStd, last.dx, gamma.grad(), beta.grad());
    return inputGradRequired() ? last.dx : null;
  }

  @Override
  protected void onDeviceChanged() {
    runningMean = move(runningMean);
    runningVar = move(runningVar);
    saveMean = move(saveMean);
    saveInvStd = move(saveInvStd);
    cache.clear();
    lastInput = null;
    last = null;
  }

  /** t on this layer's device (a copy from or to a device closes the old device tensor). */
  private Tensor move(Tensor t) {
    Tensor m = t.to(device());
    if (m != t && !t.isHost()) t.close();
    return m;
  }

  @Override
  protected void releaseOwn() {
    super.releaseOwn();   // work buffers; on a device gamma, beta and the running statistics
    if (!device().isHost()) Tensor.closeAll(saveMean, saveInvStd);
  }
}
