package dev.jnn.backend;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.Objects;

/**
 * The backend SPI: every kernel the layers, losses and optimizers need, grouped by family.
 *
 * <p>Each kernel has a public, validating entry point in camelCase ({@link #reluForward}) and a
 * protected implementation named exactly like the native function without its {@code jnn_}
 * prefix ({@code relu_forward}, implemented by {@code jnn_relu_forward} in native/cpu and by the
 * CUDA kernel {@code relu_forward} in native/cuda). The entry point checks nulls, devices, shapes
 * and ranges and throws an exception naming the kernel and the shapes, so bad input never
 * reaches native code; an implementation may assume valid arguments.
 *
 * <p>Conventions: tensors are row-major and contiguous; "(rows, cols)" kernels treat a tensor as
 * a matrix whose last dimension is cols. Backward kernels write (do not accumulate) gradients.
 * Losses are means. Formulas are those of PyTorch; {@link dev.jnn.backend.java.JavaBackend} is
 * their reference definition.
 *
 * <pre>{@code
 * Backend be = Backends.get(Device.CPU);
 * Tensor x = Tensor.of(Device.CPU, new float[] {-1, 2}, 2), y = Tensor.zeros(Device.CPU, 2);
 * be.reluForward(x, y);                 // y = [0, 2]
 * }</pre>
 */
public abstract class Backend {

  /** The device whose tensors this backend operates on. */
  public abstract Device device();

  /** Short name: "java", "cpu", "cuda". */
  public String name() { return device().kind().name().toLowerCase(java.util.Locale.ROOT); }

  /** One line describing the implementation (library versions, threads, SIMD path). */
  public abstract String describe();

  @Override
  public String toString() { return name() + " backend"; }

  /**
   * A zero-filled block of {@code floats} floats of this device's memory, from its pool
   * ({@link dev.jnn.tensor.Tensor#zeros} calls this for device tensors). Host backends keep
   * tensors in Java arrays and have no such memory.
   */
  public dev.jnn.tensor.DeviceMemory allocate(long floats) {
    throw new UnsupportedOperationException(name() + " backend keeps tensors in Java arrays; it allocates no device memory");
  }

  /** Waits until every kernel queued on this device has finished (host backends run synchronously: nothing to wait for). */
  public void synchronize() {}

  // ---------------------------------------------------------------- gemm

  /** {@code c = alpha op(a) op(b) + beta c + bias}; a, b, c are rank 2, bias (length n) may be null. */
  public final void gemm(Gemm op, Tensor a, Tensor b, Tensor bias, Tensor c) {
    String k = "gemm";
    Objects.requireNonNull(op, "gemm options");
    on(k, "a", a); on(k, "b", b); on(k, "c", c);
    if (bias != null) on(k, "bias", bias);
    rank(k, "a", a, 2); rank(k, "b", b, 2); rank(k, "c", c, 2);
    int m = op.transA() ? a.dim(1) : a.dim(0), ka = op.transA() ? a.dim(0) : a.dim(1);
    int kb = op.transB() ? b.dim(1) : b.dim(0), n = op.transB() ? b.dim(0) : b.dim(1);
    if (ka != kb || c.dim(0) != m || c.dim(1) != n)
      throw new IllegalArgumentException("gemm: op(a) of a " + a.shapeString() + (op.transA() ? "^T" : "") + " times op(b) of b "
          + b.shapeString() + (op.transB() ? "^T" : "") + " does not give c " + c.shapeString());
    if (bias != null && bias.size() != n)
      throw new IllegalArgumentException("gemm: bias " + bias.shapeString() + " must have " + n + " elements (columns of c " + c.shapeString() + ")");
    if (aliases(c, a) || aliases(c, b)) throw new IllegalArgumentException("gemm: c must not share storage with a or b");
    gemm(op.transA(), op.transB(), m, n, ka, op.alpha(), a, b, op.beta(), c, bias);
  }

  protected abstract void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b,
                               float beta, Tensor c, Tensor bias);

  /**
   * Batched GEMM, one call for all matrices: {@code C_p = alpha op(A_p) op(B_p) + beta C_p} for
   * p < batch, each matrix addressed by the layout in {@code g} within the tensors a, b, c
   * (whose shapes do not matter, only their sizes). Throws naming the layout and the tensors when
   * a matrix would reach past its tensor's end; c must not share storage with a or b.
   */
  public final void gemmBatched(BatchedGemm g, Tensor a, Tensor b, Tensor c) {
    String k = "gemm_batched";
    Objects.requireNonNull(g, "gemm_batched layout");
    on(k, "a", a); on(k, "b", b); on(k, "c", c);
    if (g.extentA() > a.size() || g.extentB() > b.size() || g.extentC() > c.size())
      throw new IllegalArgumentException(k + ": " + g + " reaches past a " + a.shapeString() + " (needs " + g.extentA() + " floats), b " + b.shapeString()
          + " (needs " + g.extentB() + ") or c " + c.shapeString() + " (needs " + g.extentC() + ")");
    if (aliases(c, a) || aliases(c, b)) throw new IllegalArgumentException(k + ": c must not share storage with a or b");
    if (g.batch() > 1 && g.m() > 0 && g.n() > 0) {   // the C matrices must not overlap: stacked, or side by side within the rows
      long s = g.strideC(), extent = (long) (g.m() - 1) * g.ldc() + g.n();
      boolean stacked = s >= extent, sideBySide = s >= g.n() && (long) (g.batch() - 1) * s + g.n() <= g.ldc();
      if (!stacked && !sideBySide)
        throw new IllegalArgumentException(k + ": " + g + ": the " + g.batch() + " C matrices overlap (stride " + s + " is neither >= " + extent
            + " (stacked) nor places them side by side within rows of " + g.ldc() + ")");
    }
    if (g.batch() == 0 || g.m() == 0 || g.n() == 0) return;
    gemm_batched(g, a, b, c);
  }

  protected abstract void gemm_batched(BatchedGemm g, Tensor a, Tensor b, Tensor c);

  // ---------------------------------------------------------------- normalization and attention

  /**
   * Layer normalization over the last axis (PyTorch's {@code nn.LayerNorm} over one dimension):
   * for each row r of x (rows, C) with mean mu and variance var (biased),
   * {@code y = (x - mu) rstd * gamma + beta}, {@code rstd = 1 / sqrt(var + eps)}; writes mean and
   * rstd (rows) for the backward. x and y have one shape (any rank >= 1); gamma and beta are (C).
   */
  public final void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) {
    String k = "layernorm_forward";
    on(k, "x", x); on(k, "gamma", gamma); on(k, "beta", beta); on(k, "y", y); on(k, "mean", mean); on(k, "rstd", rstd);
    lastDim(k, x);
    if (!y.sameShape(x)) throw new IllegalArgumentException(k + ": y " + y.shapeString() + " must have the shape of x " + x.shapeString());
    int c = x.dim(-1), r = rows(x);
    length(k, "gamma", gamma, c); length(k, "beta", beta, c); length(k, "mean", mean, r); length(k, "rstd", rstd, r);
    eps(k, eps);
    noAlias(k, "mean", mean, "rstd", rstd);
    noAlias(k, "y", y, "mean", mean); noAlias(k, "y", y, "rstd", rstd); noAlias(k, "y", y, "gamma", gamma); noAlias(k, "y", y, "beta", beta);
    layernorm_forward(x, gamma, beta, eps, y, mean, rstd, r, c);
  }

  /**
   * The backward of {@link #layerNormForward}, in one pass over each row (llm.c's
   * layernorm_backward): writes dx, dgamma and dbeta (not accumulated). mean and rstd are the
   * forward's.
   */
  public final void layerNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx, Tensor dgamma, Tensor dbeta) {
    String k = "layernorm_backward";
    on(k, "x", x); on(k, "dy", dy); on(k, "gamma", gamma); on(k, "mean", mean); on(k, "rstd", rstd); on(k, "dx", dx); on(k, "dgamma", dgamma);
    on(k, "dbeta", dbeta);
    lastDim(k, x);
    if (!dy.sameShape(x) || !dx.sameShape(x))
      throw new IllegalArgumentException(k + ": dy " + dy.shapeString() + " and dx " + dx.shapeString() + " must have the shape of x " + x.shapeString());
    int c = x.dim(-1), r = rows(x);
    length(k, "gamma", gamma, c); length(k, "mean", mean, r); length(k, "rstd", rstd, r); length(k, "dgamma", dgamma, c); length(k, "dbeta", dbeta, c);
    noAlias(k, "dgamma", dgamma, "dbeta", dbeta);
    layernorm_backward(x, dy, gamma, mean, rstd, dx, dgamma, dbeta, r, c);
  }

  /**
   * The attention probabilities: {@code y = softmax(scale x)} over the last axis of scores x
   * (B, H, Tq, Tk), where key j of batch b is left out (probability 0) when {@code keyMask[b, j]}
   * is 0 (keyMask (B, Tk) of 1 = attend, 0 = padding, as Hugging Face's attention_mask; null:
   * none) and, when {@code causal}, when j > i (query i sees keys 0..i). A row with every key left
   * out is all zeros. Numerically stable (the row maximum is subtracted). The backward is
   * {@link #softmaxBackward} (a left-out key has y = 0, so its gradient is 0).
   */
  public final void maskedSoftmaxForward(Tensor x, Tensor keyMask, boolean causal, float scale, Tensor y) {
    String k = "masked_softmax_forward";
    on(k, "x", x); on(k, "y", y);
    rank(k, "x", x, 4);
    if (!y.sameShape(x)) throw new IllegalArgumentException(k + ": y " + y.shapeString() + " must have the shape of x " + x.shapeString());
    int b = x.dim(0), h = x.dim(1), tq = x.dim(2), tk = x.dim(3);
    if (tk == 0) throw new IllegalArgumentException(k + ": x " + x.shapeString() + " has no keys");
    if (keyMask != null) {
      on(k, "keyMask", keyMask);
      shape2(k, "keyMask", keyMask, b, tk);
      noAlias(k, "keyMask", keyMask, "y", y);
    }
    finite(k, "scale", scale);
    masked_softmax_forward(x, keyMask, causal, scale, y, b, h, tq, tk);
  }

  protected abstract void layernorm_forward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd, int rows, int cols);
  protected abstract void layernorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx, Tensor dgamma, Tensor dbeta,
                                             int rows, int cols);
  protected abstract void masked_softmax_forward(Tensor x, Tensor keyMask, boolean causal, float scale, Tensor y, int batch, int heads, int tq, int tk);

  // ---------------------------------------------------------------- elementwise

  /** {@code out = a + b}. */
  public final void add(Tensor a, Tensor b, Tensor out) { same3("add", "a", a, "b", b, "out", out); add_(a, b, out); }
  /** {@code out = a * b} (elementwise). */
  public final void mul(Tensor a, Tensor b, Tensor out) { same3("mul", "a", a, "b", b, "out", out); mul_(a, b, out); }
  /** {@code out = alpha * x}. */
  public final void scale(Tensor x, float alpha, Tensor out) { same2("scale", "x", x, "out", out); scale_(x, alpha, out); }
  /** {@code y += alpha * x}. */
  public final void axpy(float alpha, Tensor x, Tensor y) { same2("axpy", "x", x, "y", y); axpy_(alpha, x, y); }
  /** Sets every element of x to value. */
  public final void fill(Tensor x, float value) { on("fill", "x", x); fill_(x, value); }
  /** Copies src into dst (same size). */
  public final void copy(Tensor src, Tensor dst) { same2("copy", "src", src, "dst", dst); copy_(src, dst); }

  protected abstract void add_(Tensor a, Tensor b, Tensor out);
  protected abstract void mul_(Tensor a, Tensor b, Tensor out);
  protected abstract void scale_(Tensor x, float alpha, Tensor out);
  protected abstract void axpy_(float alpha, Tensor x, Tensor y);
  protected abstract void fill_(Tensor x, float value);
  protected abstract void copy_(Tensor src, Tensor dst);

  // ---------------------------------------------------------------- activations

  public final void reluForward(Tensor x, Tensor y) { same2("relu_forward", "x", x, "y", y); relu_forward(x, y); }
  /** {@code dx = dy * (x > 0)}. */
  public final void reluBackward(Tensor x, Tensor dy, Tensor dx) { same3("relu_backward", "x", x, "dy", dy, "dx", dx); relu_backward(x, dy, dx); }
  public final void leakyReluForward(Tensor x, Tensor y, float slope) {
    same2("leaky_relu_forward", "x", x, "y", y); finite("leaky_relu_forward", "slope", slope); leaky_relu_forward(x, y, slope);
  }
  public final void leakyReluBackward(Tensor x, Tensor dy, Tensor dx, float slope) {
    same3("leaky_relu_backward", "x", x, "dy", dy, "dx", dx); finite("leaky_relu_backward", "slope", slope); leaky_relu_backward(x, dy, dx, slope);
  }
  public final void sigmoidForward(Tensor x, Tensor y) { same2("sigmoid_forward", "x", x, "y", y); sigmoid_forward(x, y); }
  /** From the forward output: {@code dx = dy * y * (1 - y)}. */
  public final void sigmoidBackward(Tensor y, Tensor dy, Tensor dx) { same3("sigmoid_backward", "y", y, "dy", dy, "dx", dx); sigmoid_backward(y, dy, dx); }
  public final void tanhForward(Tensor x, Tensor y) { same2("tanh_forward", "x", x, "y", y); tanh_forward(x, y); }
  /** From the forward output: {@code dx = dy * (1 - y^2)}. */
  public final void tanhBackward(Tensor y, Tensor dy, Tensor dx) { same3("tanh_backward", "y", y, "dy", dy, "dx", dx); tanh_backward(y, dy, dx); }
  /** Exact GELU: {@code y = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))}. */
  public final void geluForward(Tensor x, Tensor y) { same2("gelu_forward", "x", x, "y", y); gelu_forward(x, y); }
  /** {@code dx = dy * (Phi(x) + x phi(x))}. */
  public final void geluBackward(Tensor x, Tensor dy, Tensor dx) { same3("gelu_backward", "x", x, "dy", dy, "dx", dx); gelu_backward(x, dy, dx); }

  protected abstract void relu_forward(Tensor x, Tensor y);
  protected abstract void relu_backward(Tensor x, Tensor dy, Tensor dx);
  protected abstract void leaky_relu_forward(Tensor x, Tensor y, float slope);
  protected abstract void leaky_relu_backward(Tensor x, Tensor dy, Tensor dx, float slope);
  protected abstract void sigmoid_forward(Tensor x, Tensor y);
  protected abstract void sigmoid_backward(Tensor y, Tensor dy, Tensor dx);
  protected abstract void tanh_forward(Tensor x, Tensor y);
  protected abstract void tanh_backward(Tensor y, Tensor dy, Tensor dx);
  protected abstract void gelu_forward(Tensor x, Tensor y);
  protected abstract void gelu_backward(Tensor x, Tensor dy, Tensor dx);

  // ---------------------------------------------------------------- softmax (over the last dimension)

  public final void softmaxForward(Tensor x, Tensor y) { same2("softmax_forward", "x", x, "y", y); lastDim("softmax_forward", x); softmax_forward(x, y, rows(x), x.dim(-1)); }
  /** From the forward output: {@code dx = y * (dy - sum(dy * y))} per row. */
  public final void softmaxBackward(Tensor y, Tensor dy, Tensor dx) { same3("softmax_backward", "y", y, "dy", dy, "dx", dx); lastDim("softmax_backward", y); softmax_backward(y, dy, dx, rows(y), y.dim(-1)); }
  public final void logSoftmaxForward(Tensor x, Tensor y) { same2("log_softmax_forward", "x", x, "y", y); lastDim("log_softmax_forward", x); log_softmax_forward(x, y, rows(x), x.dim(-1)); }
  /** From the forward output: {@code dx = dy - exp(y) * sum(dy)} per row. */
  public final void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) { same3("log_softmax_backward", "y", y, "dy", dy, "dx", dx); lastDim("log_softmax_backward", y); log_softmax_backward(y, dy, dx, rows(y), y.dim(-1)); }

  protected abstract void softmax_forward(Tensor x, Tensor y, int rows, int cols);
  protected abstract void softmax_backward(Tensor y, Tensor dy, Tensor dx, int rows, int cols);
  protected abstract void log_softmax_forward(Tensor x, Tensor y, int rows, int cols);
  protected abstract void log_softmax_backward(Tensor y, Tensor dy, Tensor dx, int rows, int cols);

  // ---------------------------------------------------------------- losses (means)

  /** Mean squared error {@code mean((pred - target)^2)}. */
  public final float mseForward(Tensor pred, Tensor target) { same2("mse_forward", "pred", pred, "target", target); nonEmpty("mse_forward", pred); return mse_forward(pred, target); }
  public final void mseBackward(Tensor pred, Tensor target, Tensor dpred) { same3("mse_backward", "pred", pred, "target", target, "dpred", dpred); nonEmpty("mse_backward", pred); mse_backward(pred, target, dpred); }
  /** Binary cross-entropy on probabilities; targets must lie in [0, 1]. */
  public final float bceForward(Tensor p, Tensor target) { same2("bce_forward", "p", p, "target", target); probabilities("bce_forward", target); nonEmpty("bce_forward", p); return bce_forward(p, target); }
  public final void bceBackward(Tensor p, Tensor target, Tensor dp) { same3("bce_backward", "p", p, "target", target, "dp", dp); probabilities("bce_backward", target); nonEmpty("bce_backward", p); bce_backward(p, target, dp); }
  /** Binary cross-entropy on logits (numerically stable); targets must lie in [0, 1]. */
  public final float bceLogitsForward(Tensor z, Tensor target) { same2("bce_logits_forward", "z", z, "target", target); probabilities("bce_logits_forward", target); nonEmpty("bce_logits_forward", z); return bce_logits_forward(z, target); }
  public final void bceLogitsBackward(Tensor z, Tensor target, Tensor dz) { same3("bce_logits_backward", "z", z, "target", target, "dz", dz); probabilities("bce_logits_backward", target); nonEmpty("bce_logits_backward", z); bce_logits_backward(z, target, dz); }

  /** Fused softmax + cross-entropy with integer labels; logits and probs are (rows, classes), labels[labelsOffset + i] in [0, classes). */
  public final float softmaxCrossEntropyForward(Tensor logits, int[] labels, int labelsOffset, Tensor probs) {
    String k = "softmax_cross_entropy_forward";
    same2(k, "logits", logits, "probs", probs); lastDim(k, logits); nonEmpty(k, logits);
    labels(k, labels, labelsOffset, rows(logits), logits.dim(-1));
    return softmax_cross_entropy_forward(logits, labels, labelsOffset, probs, rows(logits), logits.dim(-1));
  }
  /** {@code dlogits = (probs - onehot(labels)) / rows}. */
  public final void softmaxCrossEntropyBackward(Tensor probs, int[] labels, int labelsOffset, Tensor dlogits) {
    String k = "softmax_cross_entropy_backward";
    same2(k, "probs", probs, "dlogits", dlogits); lastDim(k, probs); nonEmpty(k, probs);
    labels(k, labels, labelsOffset, rows(probs), probs.dim(-1));
    softmax_cross_entropy_backward(probs, labels, labelsOffset, dlogits, rows(probs), probs.dim(-1));
  }

  protected abstract float mse_forward(Tensor pred, Tensor target);
  protected abstract void mse_backward(Tensor pred, Tensor target, Tensor dpred);
  protected abstract float bce_forward(Tensor p, Tensor target);
  protected abstract void bce_backward(Tensor p, Tensor target, Tensor dp);
  protected abstract float bce_logits_forward(Tensor z, Tensor target);
  protected abstract void bce_logits_backward(Tensor z, Tensor target, Tensor dz);
  protected abstract float softmax_cross_entropy_forward(Tensor logits, int[] labels, int labelsOffset, Tensor probs, int rows, int cols);
  protected abstract void softmax_cross_entropy_backward(Tensor probs, int[] labels, int labelsOffset, Tensor dlogits, int rows, int cols);

  // ---------------------------------------------------------------- reductions

  /** {@code out[j] = sum_i x[i, j]} with x viewed as (rows, cols), cols = out.size(): the bias gradient. */
  public final void sumRows(Tensor x, Tensor out) {
    on("sum_rows", "x", x); on("sum_rows", "out", out);
    if (out.size() == 0 || x.size() % out.size() != 0)
      throw new IllegalArgumentException("sum_rows: x " + x.shapeString() + " is not a whole number of rows of out " + out.shapeString());
    if (aliases(x, out)) throw new IllegalArgumentException("sum_rows: out must not share storage with x");
    sum_rows(x, out, x.size() / out.size(), out.size());
  }
  /** {@code sum x^2}, accumulated in double (global-norm clipping). */
  public final double sumSquares(Tensor x) { on("sum_squares", "x", x); return sum_squares(x); }

  protected abstract void sum_rows(Tensor x, Tensor out, int rows, int cols);
  protected abstract double sum_squares(Tensor x);

  // ---------------------------------------------------------------- dropout

  /**
   * Inverted dropout: element i is kept iff {@link DropoutRng#uniform}(seed, counter + i) >= p;
   * mask holds 1/(1-p) or 0 and {@code y = x * mask}. p in [0, 1).
   */
  public final void dropoutForward(Tensor x, Tensor y, Tensor mask, float p, long seed, long counter) {
    same3("dropout_forward", "x", x, "y", y, "mask", mask);
    if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout_forward: p must be in [0, 1), got " + p);
    if (counter < 0) throw new IllegalArgumentException("dropout_forward: counter must be >= 0, got " + counter);
    dropout_forward(x, y, mask, p, seed, counter);
  }
  public final void dropoutBackward(Tensor dy, Tensor mask, Tensor dx) { same3("dropout_backward", "dy", dy, "mask", mask, "dx", dx); dropout_backward(dy, mask, dx); }

  protected abstract void dropout_forward(Tensor x, Tensor y, Tensor mask, float p, long seed, long counter);
  protected abstract void dropout_backward(Tensor dy, Tensor mask, Tensor dx);

  // ---------------------------------------------------------------- optimizer updates (fused, in place)

  public final void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, OptimizerConfigs.Sgd cfg, long step) {
    String k = "sgd_update";
    same3(k, "param", param, "grad", grad, "velocity", velocity); lr(k, lr); step(k, step); Objects.requireNonNull(cfg, "SGD config");
    sgd_update(param, grad, velocity, lr, cfg, step);
  }
  public final void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam cfg, long step) {
    String k = "adam_update";
    same4(k, param, grad, m, v); lr(k, lr); step(k, step); Objects.requireNonNull(cfg, "Adam config");
    adam_update(param, grad, m, v, lr, cfg, step);
  }
  /** AdamW: {@code p *= 1 - lr*wd}, then the Adam step without L2 term. */
  public final void adamwUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam cfg, long step) {
    String k = "adamw_update";
    same4(k, param, grad, m, v); lr(k, lr); step(k, step); Objects.requireNonNull(cfg, "AdamW config");
    adamw_update(param, grad, m, v, lr, cfg, step);
  }
  public final void rmspropUpdate(Tensor param, Tensor grad, Tensor squareAvg, float lr, OptimizerConfigs.RmsProp cfg) {
    String k = "rmsprop_update";
    same3(k, "param", param, "grad", grad, "square_avg", squareAvg); lr(k, lr); Objects.requireNonNull(cfg, "RMSprop config");
    rmsprop_update(param, grad, squareAvg, lr, cfg);
  }
  public final void adagradUpdate(Tensor param, Tensor grad, Tensor sum, float lr, OptimizerConfigs.Adagrad cfg, long step) {
    String k = "adagrad_update";
    same3(k, "param", param, "grad", grad, "sum", sum); lr(k, lr); step(k, step); Objects.requireNonNull(cfg, "Adagrad config");
    adagrad_update(param, grad, sum, lr, cfg, step);
  }

  protected abstract void sgd_update(Tensor param, Tensor grad, Tensor velocity, float lr, OptimizerConfigs.Sgd cfg, long step);
  protected abstract void adam_update(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam cfg, long step);
  protected abstract void adamw_update(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam cfg, long step);
  protected abstract void rmsprop_update(Tensor param, Tensor grad, Tensor squareAvg, float lr, OptimizerConfigs.RmsProp cfg);
  protected abstract void adagrad_update(Tensor param, Tensor grad, Tensor sum, float lr, OptimizerConfigs.Adagrad cfg, long step);

  // ---------------------------------------------------------------- convolution (NCHW, groups = 1)

  /**
   * Floats of scratch memory this backend's conv2d kernels need for geometry g (0: none). The
   * caller allocates a tensor of at least this many elements on this backend's device and passes
   * it as {@code workspace} to the three conv2d kernels (null is allowed only when this is 0).
   * Not a kernel: it computes a size and calls no native code.
   */
  public abstract long conv2dWorkspaceSize(Conv2dGeometry g);

  /**
   * {@code y[n,k,p,q] = bias[k] + sum_{c,r,s} w[k,c,r,s] x[n,c,p*sh - ph + r*dh, q*sw - pw + s*dw]}
   * (zero outside x): PyTorch's conv2d. x is (N,C,H,W), w is (K,C,R,S), bias (K) may be null,
   * y is (N,K,P,Q); workspace as {@link #conv2dWorkspaceSize}.
   */
  public final void conv2dForward(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y, Tensor workspace) {
    String k = "conv2d_forward";
    geometry(k, g);
    convCheck(k, g, "x", x, "w", w, "y", y, workspace);
    if (bias != null) { on(k, "bias", bias); length(k, "bias", bias, g.outChannels()); }
    noAlias(k, "y", y, "x", x); noAlias(k, "y", y, "w", w); if (bias != null) noAlias(k, "y", y, "bias", bias);
    conv2d_forward(g, x, w, bias, y, workspace);
  }

  /** {@code dx = d(conv2d)/dx applied to dy} (the transposed convolution of dy by w), written. */
  public final void conv2dBackwardData(Conv2dGeometry g, Tensor dy, Tensor w, Tensor dx, Tensor workspace) {
    String k = "conv2d_backward_data";
    geometry(k, g);
    convCheck(k, g, "dx", dx, "w", w, "dy", dy, workspace);
    noAlias(k, "dx", dx, "dy", dy); noAlias(k, "dx", dx, "w", w);
    conv2d_backward_data(g, dy, w, dx, workspace);
  }

  /** {@code dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] x[n,c,..]}, {@code dbias[k] = sum_{n,p,q} dy[n,k,p,q]} (dbias may be null); written. */
  public final void conv2dBackwardFilter(Conv2dGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias, Tensor workspace) {
    String k = "conv2d_backward_filter";
    geometry(k, g);
    convCheck(k, g, "x", x, "dw", dw, "dy", dy, workspace);
    if (dbias != null) { on(k, "dbias", dbias); length(k, "dbias", dbias, g.outChannels()); }
    noAlias(k, "dw", dw, "x", x); noAlias(k, "dw", dw, "dy", dy);
    if (dbias != null) { noAlias(k, "dbias", dbias, "x", x); noAlias(k, "dbias", dbias, "dy", dy); noAlias(k, "dbias", dbias, "dw", dw); }
    conv2d_backward_filter(g, x, dy, dw, dbias, workspace);
  }

  protected abstract void conv2d_forward(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y, Tensor workspace);
  protected abstract void conv2d_backward_data(Conv2dGeometry g, Tensor dy, Tensor w, Tensor dx, Tensor workspace);
  protected abstract void conv2d_backward_filter(Conv2dGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias, Tensor workspace);

  // ---------------------------------------------------------------- recurrent (LSTM, GRU; batch-first, one direction, one layer)

  /**
   * Floats of workspace an LSTM forward+backward pair needs for geometry g on this backend: what
   * the forward saves for the backward (activated gates and cell state of every step) plus the
   * backward's scratch (gate gradients of every step, previous hidden states, running dh/dc).
   * The backward reads the forward's part and does not modify it, so it may be called again on the
   * same workspace (every backend keeps this; cuda runs cuDNN's backward, which writes into its
   * reserve space, on a copy). Not a kernel: it computes a size and calls no native code.
   */
  public abstract long lstmWorkspaceSize(RnnGeometry g);

  /** As {@link #lstmWorkspaceSize} for a GRU (activated r, z, n and W_hn h + b_hn of every step saved by the forward). */
  public abstract long gruWorkspaceSize(RnnGeometry g);

  /**
   * LSTM over a whole sequence (PyTorch's nn.LSTM, one layer and direction, batch_first): gates in
   * order i, f, g, o; {@code i,f,o = sigmoid, g = tanh} of {@code W_ih x_t + b_ih + W_hh h + b_hh};
   * {@code c' = f c + i g; h' = o tanh(c')}; {@code y[:, t] = h'}. x (B,T,I); h0, c0 (B,H) or null
   * (zeros); wIh (4H,I), wHh (4H,H), bIh, bHh (4H); y (B,T,H); hT, cT (B,H) the final states;
   * workspace as {@link #lstmWorkspaceSize}, kept for {@link #lstmBackward}.
   */
  public final void lstmForward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh,
                                Tensor y, Tensor hT, Tensor cT, Tensor workspace) {
    String k = "lstm_forward";
    rnnCheck(k, g, 4, x, h0, c0, wIh, wHh, y);
    rnnBias(k, g, 4, "bIh", bIh); rnnBias(k, g, 4, "bHh", bHh);
    state(k, g, "hT", hT, false); state(k, g, "cT", cT, false);
    rnnWorkspace(k, lstmWorkspaceSize(g), "lstmWorkspaceSize", g, workspace);
    outNoAlias(k, "y", y, x, h0, c0, wIh, wHh, bIh, bHh, workspace);
    outNoAlias(k, "hT", hT, x, h0, c0, wIh, wHh, bIh, bHh, workspace); noAlias(k, "hT", hT, "y", y);
    outNoAlias(k, "cT", cT, x, h0, c0, wIh, wHh, bIh, bHh, workspace); noAlias(k, "cT", cT, "y", y); noAlias(k, "cT", cT, "hT", hT);
    outNoAlias(k, "workspace", workspace, x, h0, c0, wIh, wHh, bIh, bHh, null);
    lstm_forward(g, x, h0, c0, wIh, wHh, bIh, bHh, y, hT, cT, workspace);
  }

  /**
   * Backpropagation through the whole sequence of the {@link #lstmForward} call that filled
   * workspace (same g, x, h0, c0, weights; y its output). dy (B,T,H) is the gradient of y, dhT and
   * dcT (B,H) those of the final states (null: zero). Writes (overwrites) every gradient: dx
   * (B,T,I), dh0, dc0 (B,H), dwIh (4H,I), dwHh (4H,H), dbIh, dbHh (4H; equal, both given for the
   * layer's two parameters). dx may be null: the input gradient is then not computed (a model's
   * first layer, {@link dev.jnn.nn.Layer#setInputGradRequired}), which saves the (B*T, 4H) x (4H, I)
   * product.
   */
  public final void lstmBackward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y, Tensor workspace,
                                 Tensor dy, Tensor dhT, Tensor dcT, Tensor dx, Tensor dh0, Tensor dc0,
                                 Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    String k = "lstm_backward";
    rnnCheck(k, g, 4, x, h0, c0, wIh, wHh, y);
    rnnWorkspace(k, lstmWorkspaceSize(g), "lstmWorkspaceSize", g, workspace);
    rnnGrads(k, g, 4, dy, dhT, dcT, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh);
    gradNoAlias(k, "dx", dx, x, h0, c0, wIh, wHh, y, workspace, dy, dhT, dcT);
    gradNoAlias(k, "dh0", dh0, x, h0, c0, wIh, wHh, y, workspace, dy, dhT, dcT);
    gradNoAlias(k, "dc0", dc0, x, h0, c0, wIh, wHh, y, workspace, dy, dhT, dcT);
    gradNoAlias(k, "dwIh", dwIh, x, h0, c0, wIh, wHh, y, workspace, dy, dhT, dcT);
    gradNoAlias(k, "dwHh", dwHh, x, h0, c0, wIh, wHh, y, workspace, dy, dhT, dcT);
    gradNoAlias(k, "dbIh", dbIh, x, h0, c0, wIh, wHh, y, workspace, dy, dhT, dcT);
    gradNoAlias(k, "dbHh", dbHh, x, h0, c0, wIh, wHh, y, workspace, dy, dhT, dcT);
    gradsDistinct(k, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh);
    lstm_backward(g, x, h0, c0, wIh, wHh, y, workspace, dy, dhT, dcT, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh);
  }

  /**
   * GRU over a whole sequence (PyTorch's nn.GRU, one layer and direction, batch_first): gates r, z,
   * n; {@code r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)}, {@code z} likewise, {@code n = tanh(W_in x
   * + b_in + r (W_hn h + b_hn))}, {@code h' = (1 - z) n + z h}. wIh (3H,I), wHh (3H,H), bIh, bHh
   * (3H); other arguments as {@link #lstmForward}; workspace as {@link #gruWorkspaceSize}.
   */
  public final void gruForward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, Tensor y, Tensor hT,
                               Tensor workspace) {
    String k = "gru_forward";
    rnnCheck(k, g, 3, x, h0, null, wIh, wHh, y);
    rnnBias(k, g, 3, "bIh", bIh); rnnBias(k, g, 3, "bHh", bHh);
    state(k, g, "hT", hT, false);
    rnnWorkspace(k, gruWorkspaceSize(g), "gruWorkspaceSize", g, workspace);
    outNoAlias(k, "y", y, x, h0, null, wIh, wHh, bIh, bHh, workspace);
    outNoAlias(k, "hT", hT, x, h0, null, wIh, wHh, bIh, bHh, workspace); noAlias(k, "hT", hT, "y", y);
    outNoAlias(k, "workspace", workspace, x, h0, null, wIh, wHh, bIh, bHh, null);
    gru_forward(g, x, h0, wIh, wHh, bIh, bHh, y, hT, workspace);
  }

  /** Backpropagation through the whole sequence of a {@link #gruForward} call, as {@link #lstmBackward} (no cell state). */
  public final void gruBackward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor y, Tensor workspace, Tensor dy,
                                Tensor dhT, Tensor dx, Tensor dh0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    String k = "gru_backward";
    rnnCheck(k, g, 3, x, h0, null, wIh, wHh, y);
    rnnWorkspace(k, gruWorkspaceSize(g), "gruWorkspaceSize", g, workspace);
    rnnGrads(k, g, 3, dy, dhT, null, dx, dh0, null, dwIh, dwHh, dbIh, dbHh);
    gradNoAlias(k, "dx", dx, x, h0, null, wIh, wHh, y, workspace, dy, dhT, null);
    gradNoAlias(k, "dh0", dh0, x, h0, null, wIh, wHh, y, workspace, dy, dhT, null);
    gradNoAlias(k, "dwIh", dwIh, x, h0, null, wIh, wHh, y, workspace, dy, dhT, null);
    gradNoAlias(k, "dwHh", dwHh, x, h0, null, wIh, wHh, y, workspace, dy, dhT, null);
    gradNoAlias(k, "dbIh", dbIh, x, h0, null, wIh, wHh, y, workspace, dy, dhT, null);
    gradNoAlias(k, "dbHh", dbHh, x, h0, null, wIh, wHh, y, workspace, dy, dhT, null);
    gradsDistinct(k, dx, dh0, null, dwIh, dwHh, dbIh, dbHh);
    gru_backward(g, x, h0, wIh, wHh, y, workspace, dy, dhT, dx, dh0, dwIh, dwHh, dbIh, dbHh);
  }

  protected abstract void lstm_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh,
                                       Tensor y, Tensor hT, Tensor cT, Tensor workspace);
  protected abstract void lstm_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y, Tensor workspace,
                                        Tensor dy, Tensor dhT, Tensor dcT, Tensor dx, Tensor dh0, Tensor dc0,
                                        Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh);
  protected abstract void gru_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, Tensor y,
                                      Tensor hT, Tensor workspace);
  protected abstract void gru_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor y, Tensor workspace, Tensor dy,
                                       Tensor dhT, Tensor dx, Tensor dh0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh);

  // ---------------------------------------------------------------- embedding

  /**
   * {@code out[i, :] = weight[ids[idsOffset + i], :]} for i < n = out.size() / D: weight is (V, D),
   * out any shape of n*D elements (e.g. (B, T, D)); every id must lie in [0, V).
   */
  public final void embeddingForward(int[] ids, int idsOffset, Tensor weight, Tensor out) {
    String k = "embedding_forward";
    int n = embeddingCheck(k, ids, idsOffset, weight, "weight", "out", out);
    noAlias(k, "out", out, "weight", weight);
    embedding_forward(ids, idsOffset, n, weight, out);
  }

  /**
   * {@code dweight = 0}, then {@code dweight[ids[idsOffset + i], :] += dout[i, :]} for i < n =
   * dout.size() / D, except rows of id paddingIdx (which get no gradient; -1: none). dweight (V, D).
   */
  public final void embeddingBackward(int[] ids, int idsOffset, Tensor dout, Tensor dweight, int paddingIdx) {
    String k = "embedding_backward";
    int n = embeddingCheck(k, ids, idsOffset, dweight, "dweight", "dout", dout);
    if (paddingIdx < -1 || paddingIdx >= dweight.dim(0))
      throw new IllegalArgumentException(k + ": paddingIdx " + paddingIdx + " must be -1 (none) or in [0, " + dweight.dim(0) + ")");
    noAlias(k, "dweight", dweight, "dout", dout);
    embedding_backward(ids, idsOffset, n, dout, dweight, paddingIdx);
  }

  /** n ids, all checked; ids[idsOffset .. idsOffset + n). */
  protected abstract void embedding_forward(int[] ids, int idsOffset, int n, Tensor weight, Tensor out);
  protected abstract void embedding_backward(int[] ids, int idsOffset, int n, Tensor dout, Tensor dweight, int paddingIdx);

  // ---------------------------------------------------------------- pooling (NCHW)

  /**
   * Max pooling: {@code y[n,c,p,q] = max} over the window, padding never wins, NaN wins (PyTorch);
   * {@code argmax[((n*C + c)*P + p)*Q + q] = h*W + w}, the index of the max within its (n,c) plane.
   * argmax needs at least N*C*P*Q elements.
   */
  public final void maxPool2dForward(Pool2dGeometry g, Tensor x, Tensor y, int[] argmax) {
    String k = "maxpool2d_forward";
    poolCheck(k, g, "x", x, "y", y); noAlias(k, "y", y, "x", x);
    argmax(k, g, argmax);
    maxpool2d_forward(g, x, y, argmax);
  }

  /** {@code dx = 0}, then {@code dx[n,c,argmax] += dy[n,c,p,q]}. */
  public final void maxPool2dBackward(Pool2dGeometry g, Tensor dy, int[] argmax, Tensor dx) {
    String k = "maxpool2d_backward";
    poolCheck(k, g, "dx", dx, "dy", dy); noAlias(k, "dx", dx, "dy", dy);
    argmax(k, g, argmax);
    int plane = g.height() * g.width();
    for (int i = 0, n = g.batch() * g.channels() * g.outH() * g.outW(); i < n; i++)
      if (argmax[i] < 0 || argmax[i] >= plane)
        throw new IllegalArgumentException(k + ": argmax[" + i + "] = " + argmax[i] + " is outside its " + g.height() + "x" + g.width() + " plane");
    maxpool2d_backward(g, dy, argmax, dx);
  }

  /** Average pooling, count_include_pad = true (PyTorch's default): every window divides by kernelH*kernelW. */
  public final void avgPool2dForward(Pool2dGeometry g, Tensor x, Tensor y) {
    String k = "avgpool2d_forward";
    poolCheck(k, g, "x", x, "y", y); noAlias(k, "y", y, "x", x);
    avgpool2d_forward(g, x, y);
  }

  /** {@code dx = 0}, then each dy spreads dy/(kernelH*kernelW) over the real elements of its window. */
  public final void avgPool2dBackward(Pool2dGeometry g, Tensor dy, Tensor dx) {
    String k = "avgpool2d_backward";
    poolCheck(k, g, "dx", dx, "dy", dy); noAlias(k, "dx", dx, "dy", dy);
    avgpool2d_backward(g, dy, dx);
  }

  /** {@code y[n,c] = mean_{h,w} x[n,c,h,w]}; x is (N,C,H,W), y is (N,C). */
  public final void globalAvgPool2dForward(Tensor x, Tensor y) {
    String k = "global_avgpool2d_forward";
    on(k, "x", x); on(k, "y", y); rank(k, "x", x, 4); nonEmpty(k, x);
    shape2(k, "y", y, x.dim(0), x.dim(1)); noAlias(k, "y", y, "x", x);
    global_avgpool2d_forward(x, y, x.dim(0) * x.dim(1), x.dim(2) * x.dim(3));
  }

  /** {@code dx[n,c,h,w] = dy[n,c] / (H*W)}; dy is (N,C), dx is (N,C,H,W). */
  public final void globalAvgPool2dBackward(Tensor dy, Tensor dx) {
    String k = "global_avgpool2d_backward";
    on(k, "dy", dy); on(k, "dx", dx); rank(k, "dx", dx, 4); nonEmpty(k, dx);
    shape2(k, "dy", dy, dx.dim(0), dx.dim(1)); noAlias(k, "dx", dx, "dy", dy);
    global_avgpool2d_backward(dy, dx, dx.dim(0) * dx.dim(1), dx.dim(2) * dx.dim(3));
  }

  protected abstract void maxpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y, int[] argmax);
  protected abstract void maxpool2d_backward(Pool2dGeometry g, Tensor dy, int[] argmax, Tensor dx);
  protected abstract void avgpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y);
  protected abstract void avgpool2d_backward(Pool2dGeometry g, Tensor dy, Tensor dx);
  /** x is (planes, hw) viewed, y is (planes). */
  protected abstract void global_avgpool2d_forward(Tensor x, Tensor y, int planes, int hw);
  protected abstract void global_avgpool2d_backward(Tensor dy, Tensor dx, int planes, int hw);

  // ---------------------------------------------------------------- batch normalization

  /**
   * Training-mode batch norm (PyTorch): x and y are (N,C) or (N,C,H,W), viewed as (N, C, S) with
   * S = H*W; per channel, mean and biased variance over the N*S values; {@code y = (x - mean) *
   * saveInvStd * gamma + beta}, {@code saveMean = mean}, {@code saveInvStd = 1/sqrt(var + eps)};
   * {@code running = (1 - momentum) running + momentum batch}, with the UNBIASED variance
   * (times N*S/(N*S - 1)) for runningVar. N*S must be >= 2. y may be x itself.
   */
  public final void batchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                             Tensor saveMean, Tensor saveInvStd, float momentum, float eps) {
    String k = "batchnorm_forward_training";
    int c = bnCheck(k, x, "y", y, gamma, beta);
    channel(k, c, "running_mean", runningMean); channel(k, c, "running_var", runningVar);
    channel(k, c, "save_mean", saveMean); channel(k, c, "save_inv_std", saveInvStd);
    long m = (long) x.dim(0) * spatial(x);
    if (m < 2) throw new IllegalArgumentException(k + ": needs more than 1 value per channel when training, got x " + x.shapeString());
    if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException(k + ": momentum must be in [0, 1], got " + momentum);
    eps(k, eps);
    batchnorm_forward_training(x, gamma, beta, y, runningMean, runningVar, saveMean, saveInvStd, momentum, eps, x.dim(0), c, spatial(x));
  }

  /** Inference-mode batch norm: {@code y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta}; y may be x itself. */
  public final void batchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, float eps) {
    String k = "batchnorm_forward_inference";
    int c = bnCheck(k, x, "y", y, gamma, beta);
    channel(k, c, "running_mean", runningMean); channel(k, c, "running_var", runningVar);
    eps(k, eps);
    batchnorm_forward_inference(x, gamma, beta, runningMean, runningVar, y, eps, x.dim(0), c, spatial(x));
  }

  /**
   * Training-mode backward from the forward's saveMean/saveInvStd: with xhat = (x - mean) invStd and
   * M = N*S, {@code dbeta = sum dy}, {@code dgamma = sum dy xhat},
   * {@code dx = gamma invStd / M (M dy - dbeta - xhat dgamma)}; all three written. dx may be dy itself.
   */
  public final void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta) {
    String k = "batchnorm_backward";
    int c = bnCheck(k, x, "dy", dy, gamma, null);
    on(k, "dx", dx);
    if (!dx.sameShape(x)) throw new IllegalArgumentException(k + ": dx " + dx.shapeString() + " must have the shape of x " + x.shapeString());
    channel(k, c, "save_mean", saveMean); channel(k, c, "save_inv_std", saveInvStd);
    channel(k, c, "dgamma", dgamma); channel(k, c, "dbeta", dbeta);
    noAlias(k, "dgamma", dgamma, "dbeta", dbeta);
    batchnorm_backward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, x.dim(0), c, spatial(x));
  }

  protected abstract void batchnorm_forward_training(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                                     Tensor saveMean, Tensor saveInvStd, float momentum, float eps, int n, int c, int s);
  protected abstract void batchnorm_forward_inference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y,
                                                      float eps, int n, int c, int s);
  protected abstract void batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx,
                                             Tensor dgamma, Tensor dbeta, int n, int c, int s);

  // ---------------------------------------------------------------- recurrent/embedding validation

  /** Geometry, x, optional h0/c0, weights of a cell with `gates` gates, and y (B,T,H). */
  private void rnnCheck(String k, RnnGeometry g, int gates, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y) {
    if (g == null) throw new NullPointerException(k + ": geometry is null");
    on(k, "x", x); on(k, "wIh", wIh); on(k, "wHh", wHh); on(k, "y", y);
    if (x.rank() == 3 && wIh.rank() == 2 && x.dim(2) != wIh.dim(1))
      throw new IllegalArgumentException(k + ": x " + x.shapeString() + " has " + x.dim(2) + " features but wIh " + wIh.shapeString()
          + " expects " + wIh.dim(1));
    shape3(k, "x", x, g.batch(), g.steps(), g.inputSize());
    shape2(k, "wIh", wIh, gates * g.hiddenSize(), g.inputSize());
    shape2(k, "wHh", wHh, gates * g.hiddenSize(), g.hiddenSize());
    shape3(k, "y", y, g.batch(), g.steps(), g.hiddenSize());
    state(k, g, "h0", h0, true);
    state(k, g, "c0", c0, true);
  }

  private void state(String k, RnnGeometry g, String n, Tensor t, boolean nullable) {
    if (t == null) {
      if (nullable) return;
      throw new NullPointerException(k + ": " + n + " is null");
    }
    on(k, n, t);
    shape2(k, n, t, g.batch(), g.hiddenSize());
  }

  private void rnnBias(String k, RnnGeometry g, int gates, String n, Tensor b) {
    on(k, n, b);
    if (b.rank() != 1 || b.dim(0) != gates * g.hiddenSize())
      throw new IllegalArgumentException(k + ": " + n + " " + b.shapeString() + " must have shape [" + gates * g.hiddenSize() + "] ("
          + gates + " gates x hidden " + g.hiddenSize() + ")");
  }

  private void rnnWorkspace(String k, long need, String sizeFn, RnnGeometry g, Tensor ws) {
    if (ws == null) throw new NullPointerException(k + ": workspace is null but the " + name() + " backend needs " + need + " floats for " + g);
    on(k, "workspace", ws);
    if (ws.size() < need)
      throw new IllegalArgumentException(k + ": workspace " + ws.shapeString() + " holds " + ws.size() + " floats but the "
          + name() + " backend needs " + need + " (" + sizeFn + ") for " + g);
  }

  private void rnnGrads(String k, RnnGeometry g, int gates, Tensor dy, Tensor dhT, Tensor dcT, Tensor dx, Tensor dh0, Tensor dc0,
                        Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    on(k, "dy", dy); shape3(k, "dy", dy, g.batch(), g.steps(), g.hiddenSize());
    state(k, g, "dhT", dhT, true);
    state(k, g, "dcT", dcT, true);
    if (dx != null) { on(k, "dx", dx); shape3(k, "dx", dx, g.batch(), g.steps(), g.inputSize()); }
    state(k, g, "dh0", dh0, false);
    if (gates == 4) state(k, g, "dc0", dc0, false);
    on(k, "dwIh", dwIh); shape2(k, "dwIh", dwIh, gates * g.hiddenSize(), g.inputSize());
    on(k, "dwHh", dwHh); shape2(k, "dwHh", dwHh, gates * g.hiddenSize(), g.hiddenSize());
    rnnBias(k, g, gates, "dbIh", dbIh); rnnBias(k, g, gates, "dbHh", dbHh);
  }

  /** An output of a forward must not share storage with an input (nulls skipped); no varargs: no allocation per call. */
  private static void outNoAlias(String k, String on, Tensor o, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh,
                                 Tensor bHh, Tensor ws) {
    noAliasOpt(k, on, o, "x", x); noAliasOpt(k, on, o, "h0", h0); noAliasOpt(k, on, o, "c0", c0); noAliasOpt(k, on, o, "wIh", wIh);
    noAliasOpt(k, on, o, "wHh", wHh); noAliasOpt(k, on, o, "bIh", bIh); noAliasOpt(k, on, o, "bHh", bHh); noAliasOpt(k, on, o, "workspace", ws);
  }

  private static void gradNoAlias(String k, String on, Tensor o, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y,
                                  Tensor ws, Tensor dy, Tensor dhT, Tensor dcT) {
    noAliasOpt(k, on, o, "x", x); noAliasOpt(k, on, o, "h0", h0); noAliasOpt(k, on, o, "c0", c0); noAliasOpt(k, on, o, "wIh", wIh);
    noAliasOpt(k, on, o, "wHh", wHh); noAliasOpt(k, on, o, "y", y); noAliasOpt(k, on, o, "workspace", ws);
    noAliasOpt(k, on, o, "dy", dy); noAliasOpt(k, on, o, "dhT", dhT); noAliasOpt(k, on, o, "dcT", dcT);
  }

  private static void gradsDistinct(String k, Tensor dx, Tensor dh0, Tensor dc0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    noAliasOpt(k, "dx", dx, "dh0", dh0); noAliasOpt(k, "dx", dx, "dc0", dc0); noAliasOpt(k, "dx", dx, "dwIh", dwIh);
    noAliasOpt(k, "dx", dx, "dwHh", dwHh); noAliasOpt(k, "dx", dx, "dbIh", dbIh); noAliasOpt(k, "dx", dx, "dbHh", dbHh);
    noAliasOpt(k, "dh0", dh0, "dc0", dc0); noAliasOpt(k, "dh0", dh0, "dwIh", dwIh); noAliasOpt(k, "dh0", dh0, "dwHh", dwHh);
    noAliasOpt(k, "dh0", dh0, "dbIh", dbIh); noAliasOpt(k, "dh0", dh0, "dbHh", dbHh);
    noAliasOpt(k, "dc0", dc0, "dwIh", dwIh); noAliasOpt(k, "dc0", dc0, "dwHh", dwHh); noAliasOpt(k, "dc0", dc0, "dbIh", dbIh);
    noAliasOpt(k, "dc0", dc0, "dbHh", dbHh);
    noAliasOpt(k, "dwIh", dwIh, "dwHh", dwHh); noAliasOpt(k, "dwIh", dwIh, "dbIh", dbIh); noAliasOpt(k, "dwIh", dwIh, "dbHh", dbHh);
    noAliasOpt(k, "dwHh", dwHh, "dbIh", dbIh); noAliasOpt(k, "dwHh", dwHh, "dbHh", dbHh); noAliasOpt(k, "dbIh", dbIh, "dbHh", dbHh);
  }

  private static void noAliasOpt(String k, String an, Tensor a, String bn, Tensor b) {
    if (a != null && b != null) noAlias(k, an, a, bn, b);
  }

  /** ids range and count, weight (V,D) on this device, out of n*D elements; returns n. */
  private int embeddingCheck(String k, int[] ids, int idsOffset, Tensor weight, String wn, String on, Tensor out) {
    on(k, wn, weight); on(k, on, out);
    if (weight.rank() != 2 || weight.dim(1) == 0)
      throw new IllegalArgumentException(k + ": " + wn + " " + weight.shapeString() + " must be (vocabulary, dim) with dim >= 1");
    int v = weight.dim(0), d = weight.dim(1);
    if (out.size() % d != 0)
      throw new IllegalArgumentException(k + ": " + on + " " + out.shapeString() + " has " + out.size() + " elements, not a multiple of the "
          + "embedding dim " + d + " of " + wn + " " + weight.shapeString());
    int n = out.size() / d;
    if (ids == null) throw new NullPointerException(k + ": ids is null");
    if (idsOffset < 0 || (long) idsOffset + n > ids.length)
      throw new IllegalArgumentException(k + ": " + on + " " + out.shapeString() + " needs " + n + " ids from offset " + idsOffset
          + " but the array has " + ids.length);
    for (int i = 0; i < n; i++) {
      int id = ids[idsOffset + i];
      if (id < 0 || id >= v)
        throw new IllegalArgumentException(k + ": id " + id + " at position " + i + " is outside the vocabulary [0, " + v + ") of "
            + wn + " " + weight.shapeString());
    }
    return n;
  }

  private static void shape3(String k, String n, Tensor t, int d0, int d1, int d2) {
    if (t.rank() != 3 || t.dim(0) != d0 || t.dim(1) != d1 || t.dim(2) != d2)
      throw new IllegalArgumentException(k + ": " + n + " " + t.shapeString() + " must have shape [" + d0 + ", " + d1 + ", " + d2 + "]");
  }

  // ---------------------------------------------------------------- conv/pool/norm validation

  /** Devices and exact shapes of a conv2d call: a (x or dx), w (or dw), b (y or dy), workspace. */
  private void convCheck(String k, Conv2dGeometry g, String an, Tensor a, String wn, Tensor w, String bn, Tensor b,
                         Tensor workspace) {
    if (g == null) throw new NullPointerException(k + ": geometry is null");
    on(k, an, a); on(k, wn, w); on(k, bn, b);
    if (a.rank() == 4 && w.rank() == 4 && a.dim(1) != w.dim(1))
      throw new IllegalArgumentException(k + ": " + an + " " + a.shapeString() + " has " + a.dim(1) + " channels but " + wn + " "
          + w.shapeString() + " expects " + w.dim(1));
    shape4(k, an, a, g.batch(), g.inChannels(), g.height(), g.width());
    shape4(k, wn, w, g.outChannels(), g.inChannels(), g.kernelH(), g.kernelW());
    shape4(k, bn, b, g.batch(), g.outChannels(), g.outH(), g.outW());
    long need = conv2dWorkspaceSize(g);
    if (workspace == null) {
      if (need > 0) throw new NullPointerException(k + ": workspace is null but the " + name() + " backend needs " + need + " floats for " + g);
    } else {
      on(k, "workspace", workspace);
      if (workspace.size() < need)
        throw new IllegalArgumentException(k + ": workspace " + workspace.shapeString() + " holds " + workspace.size() + " floats but the "
            + name() + " backend needs " + need + " (conv2dWorkspaceSize) for " + g);
      noAlias(k, "workspace", workspace, an, a); noAlias(k, "workspace", workspace, wn, w); noAlias(k, "workspace", workspace, bn, b);
    }
  }

  private static void geometry(String k, Object g) {
    if (g == null) throw new NullPointerException(k + ": geometry is null");
  }

  private void poolCheck(String k, Pool2dGeometry g, String xn, Tensor x, String yn, Tensor y) {
    if (g == null) throw new NullPointerException(k + ": geometry is null");
    on(k, xn, x); on(k, yn, y);
    shape4(k, xn, x, g.batch(), g.channels(), g.height(), g.width());
    shape4(k, yn, y, g.batch(), g.channels(), g.outH(), g.outW());
  }

  private static void argmax(String k, Pool2dGeometry g, int[] argmax) {
    if (argmax == null) throw new NullPointerException(k + ": argmax is null");
    long need = (long) g.batch() * g.channels() * g.outH() * g.outW();
    if (argmax.length < need)
      throw new IllegalArgumentException(k + ": argmax has " + argmax.length + " elements but y " + java.util.Arrays.toString(g.yShape()) + " needs " + need);
  }

  /** x (rank 2 or 4) and y of the same shape, gamma (and beta unless null) of length C; returns C. */
  private int bnCheck(String k, Tensor x, String yn, Tensor y, Tensor gamma, Tensor beta) {
    on(k, "x", x); on(k, yn, y); on(k, "gamma", gamma); if (beta != null || !k.equals("batchnorm_backward")) on(k, "beta", beta);
    if (x.rank() != 2 && x.rank() != 4) throw new IllegalArgumentException(k + ": x must be (N, C) or (N, C, H, W), got " + x.shapeString());
    if (x.size() == 0) throw new IllegalArgumentException(k + ": x " + x.shapeString() + " is empty");
    if (!y.sameShape(x)) throw new IllegalArgumentException(k + ": " + yn + " " + y.shapeString() + " must have the shape of x " + x.shapeString());
    int c = x.dim(1);
    length(k, "gamma", gamma, c);
    if (beta != null) length(k, "beta", beta, c);
    return c;
  }

  private void channel(String k, int c, String n, Tensor t) {
    on(k, n, t);
    length(k, n, t, c);
  }

  private static int spatial(Tensor x) { return x.rank() == 4 ? x.dim(2) * x.dim(3) : 1; }

  private static void eps(String k, float eps) {
    if (!(eps > 0) || Float.isInfinite(eps)) throw new IllegalArgumentException(k + ": eps must be finite and > 0, got " + eps);
  }

  private static void length(String k, String n, Tensor t, int len) {
    if (t.rank() != 1 || t.dim(0) != len)
      throw new IllegalArgumentException(k + ": " + n + " " + t.shapeString() + " must have shape [" + len + "] (one value per channel)");
  }

  // Shape checks without varargs: validation runs on every training step, which must not allocate.
  private static void shape4(String k, String n, Tensor t, int d0, int d1, int d2, int d3) {
    if (t.rank() != 4 || t.dim(0) != d0 || t.dim(1) != d1 || t.dim(2) != d2 || t.dim(3) != d3)
      throw new IllegalArgumentException(k + ": " + n + " " + t.shapeString() + " must have shape [" + d0 + ", " + d1 + ", " + d2 + ", " + d3 + "]");
  }

  private static void shape2(String k, String n, Tensor t, int d0, int d1) {
    if (t.rank() != 2 || t.dim(0) != d0 || t.dim(1) != d1)
      throw new IllegalArgumentException(k + ": " + n + " " + t.shapeString() + " must have shape [" + d0 + ", " + d1 + "]");
  }

  private static void noAlias(String k, String an, Tensor a, String bn, Tensor b) {
    if (aliases(a, b)) throw new IllegalArgumentException(k + ": " + an + " must not share storage with " + bn);
  }

  // ---------------------------------------------------------------- validation helpers

  /** Null and device check: the tensor must live on this backend's device. */
  protected final void on(String kernel, String arg, Tensor t) {
    if (t == null) throw new NullPointerException(kernel + ": " + arg + " is null");
    if (t.isClosed()) throw new IllegalStateException(kernel + ": " + arg + " " + t.shapeString() + " on " + t.device() + " was closed");
    if (!t.device().equals(device()))
      throw new IllegalArgumentException(kernel + ": " + arg + " " + t.shapeString() + " is on device " + t.device()
          + " but this is the " + device() + " backend (move it with tensor.to(" + device() + "))");
  }

  private void same2(String k, String an, Tensor a, String bn, Tensor b) {
    on(k, an, a); on(k, bn, b);
    if (a.size() != b.size())
      throw new IllegalArgumentException(k + ": " + an + " " + a.shapeString() + " and " + bn + " " + b.shapeString() + " differ in size");
  }

  private void same3(String k, String an, Tensor a, String bn, Tensor b, String cn, Tensor c) {
    same2(k, an, a, bn, b); same2(k, an, a, cn, c);
  }

  private void same4(String k, Tensor p, Tensor g, Tensor m, Tensor v) {
    same3(k, "param", p, "grad", g, "m", m); same2(k, "param", p, "v", v);
  }

  private static void rank(String k, String n, Tensor t, int r) {
    if (t.rank() != r) throw new IllegalArgumentException(k + ": " + n + " must have rank " + r + ", got " + t.shapeString());
  }

  private static void lastDim(String k, Tensor t) {
    if (t.rank() == 0 || t.dim(-1) == 0) throw new IllegalArgumentException(k + ": needs a non-empty last dimension, got " + t.shapeString());
  }

  private static void nonEmpty(String k, Tensor t) {
    if (t.size() == 0) throw new IllegalArgumentException(k + ": mean over an empty tensor " + t.shapeString());
  }

  private static int rows(Tensor t) { return t.size() / t.dim(-1); }

  private static void finite(String k, String n, float v) {
    if (!Float.isFinite(v)) throw new IllegalArgumentException(k + ": " + n + " must be finite, got " + v);
  }

  private static void lr(String k, float lr) {
    if (!(lr >= 0) || Float.isInfinite(lr)) throw new IllegalArgumentException(k + ": learning rate must be finite and >= 0, got " + lr);
  }

  private static void step(String k, long step) {
    if (step < 1) throw new IllegalArgumentException(k + ": step counts from 1, got " + step);
  }

  /** Targets in [0, 1]; device targets are checked on a host copy (a loss reads them anyway). */
  private static void probabilities(String k, Tensor t) {
    float[] d = t.isHost() ? t.data() : t.toArray();
    int base = t.isHost() ? t.offset() : 0;
    for (int i = base, e = base + t.size(); i < e; i++) {
      float v = d[i];
      if (!(v >= 0f && v <= 1f))
        throw new IllegalArgumentException(k + ": target " + t.shapeString() + " has " + v + " at element " + (i - base) + "; targets must lie in [0, 1]");
    }
  }

  private static void labels(String k, int[] labels, int off, int rows, int classes) {
    if (labels == null) throw new NullPointerException(k + ": labels is null");
    if (off < 0 || (long) off + rows > labels.length)
      throw new IllegalArgumentException(k + ": needs " + rows + " labels from offset " + off + " but the array has " + labels.length);
    for (int i = 0; i < rows; i++) {
      int l = labels[off + i];
      if (l < 0 || l >= classes)
        throw new IllegalArgumentException(k + ": label " + l + " at row " + i + " is outside [0, " + classes + ")");
    }
  }

  private static boolean aliases(Tensor x, Tensor y) {
    if (x.isHost() != y.isHost()) return false;
    if (x.isHost() ? x.data() != y.data() : x.memory() != y.memory()) return false;
    return x.offset() < y.offset() + y.size() && y.offset() < x.offset() + x.size();
  }
}
