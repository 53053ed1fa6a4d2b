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

  private static void probabilities(String k, Tensor t) {
    float[] d = t.data();
    for (int i = t.offset(), e = t.offset() + t.size(); i < e; i++) {
      float v = d[i];
      if (!(v >= 0f && v <= 1f))
        throw new IllegalArgumentException(k + ": target " + t.shapeString() + " has " + v + " at element " + (i - t.offset()) + "; targets must lie in [0, 1]");
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
    if (x.data() != y.data()) return false;
    return x.offset() < y.offset() + y.size() && y.offset() < x.offset() + x.size();
  }
}
