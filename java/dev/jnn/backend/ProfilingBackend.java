package dev.jnn.backend;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.DeviceMemory;
import dev.jnn.tensor.Tensor;
import java.util.Objects;

/**
 * A decorator backend that times every kernel of another backend and hands each call, with its
 * FLOP and byte counts, to a {@link Recorder}; {@link dev.jnn.profile.Profiler} puts one in front
 * of every layer's backend while it runs.
 *
 * <pre>{@code
 * Backend cpu = Backends.get(Device.CPU);
 * ProfilingBackend pb = new ProfilingBackend(cpu, (be, kernel, t0, t1, flops, bytes, args) ->
 *     System.out.println(kernel + " " + (t1 - t0) + " ns, " + flops + " FLOP"));
 * pb.reluForward(x, y);                    // validated by Backend, timed here, run by cpu
 * }</pre>
 *
 * <p>It lives in dev.jnn.backend so that it may call the delegate's protected implementations
 * directly: validation runs once, in this backend's public entry point, and the timed interval
 * covers only the delegate's kernel. Times are {@link System#nanoTime} on the calling thread; on a
 * device backend (not {@link Device#isHost()}) the delegate's stream is synchronized before and
 * after each kernel so the interval covers its execution (this serializes the device and is the
 * price of per-kernel times without CUDA events).
 *
 * <p>FLOPs (−1 where not counted): gemm {@code 2mnk}; each conv2d kernel {@code 2 N K C R S P Q};
 * LSTM/GRU forward the gate GEMMs {@code 2 B T G H (I + H)} (G = 4 or 3 gates), backward twice
 * that. Bytes: every float tensor argument counted once (gemm: a, b, c, plus c again when
 * beta != 0, plus bias; axpy reads and writes y); workspaces and int index arrays are not counted,
 * so in-place kernels' figures are lower bounds.
 */
public final class ProfilingBackend extends Backend {

  /** Receives each kernel call; called on the thread that ran it, right after it returned. */
  @FunctionalInterface
  public interface Recorder {
    /**
     * @param kernel the kernel's native name ({@code gemm}, {@code conv2d_forward}, ...)
     * @param startNs {@link System#nanoTime} before the call
     * @param endNs {@link System#nanoTime} after it
     * @param flops floating-point operations, or -1 where not counted
     * @param bytes bytes of the float tensors it reads or writes (a lower bound, see the class comment)
     * @param args alternating names and values (tensors, geometries, strings) describing the call; null values are absent arguments
     */
    void kernel(ProfilingBackend backend, String kernel, long startNs, long endNs, long flops, long bytes, Object[] args);
  }

  private final Backend d;
  private final Recorder recorder;
  private final boolean device;
  private final String deviceName;

  /** A backend with d's device and kernels that reports every kernel call to recorder. */
  public ProfilingBackend(Backend delegate, Recorder recorder) {
    this.d = Objects.requireNonNull(delegate, "ProfilingBackend: delegate is null");
    this.recorder = Objects.requireNonNull(recorder, "ProfilingBackend: recorder is null");
    if (delegate instanceof ProfilingBackend) throw new IllegalArgumentException("ProfilingBackend: delegate is already a ProfilingBackend");
    this.device = !delegate.device().isHost();
    this.deviceName = delegate.device().toString();
  }

  /** The device's name, {@code "cpu"} or {@code "cuda:0"} (computed once: recorders call it per kernel). */
  public String deviceName() { return deviceName; }

  /** The backend whose kernels run. */
  public Backend delegate() { return d; }

  @Override public Device device() { return d.device(); }
  @Override public String name() { return d.name(); }
  @Override public String describe() { return d.describe() + " (profiled)"; }
  @Override public String toString() { return d + " (profiled)"; }
  @Override public DeviceMemory allocate(long floats) { return d.allocate(floats); }
  @Override public void synchronize() { d.synchronize(); }
  @Override public long conv2dWorkspaceSize(Conv2dGeometry g) { return d.conv2dWorkspaceSize(g); }
  @Override public long lstmWorkspaceSize(RnnGeometry g) { return d.lstmWorkspaceSize(g); }
  @Override public long gruWorkspaceSize(RnnGeometry g) { return d.gruWorkspaceSize(g); }

  private long enter() {
    if (device) d.synchronize();
    return System.nanoTime();
  }

  private void exit(String kernel, long t0, long flops, long bytes, Object... args) {
    if (device) d.synchronize();
    long t1 = System.nanoTime();
    recorder.kernel(this, kernel, t0, t1, flops, bytes, args);
  }

  private static long n(Tensor t) { return t == null ? 0 : t.size(); }

  /** The gate GEMMs of a recurrent forward: {@code 2 B T G H (I + H)} for G gates. */
  static long rnnGateFlops(RnnGeometry g, int gates) {
    return 2L * g.batch() * g.steps() * gates * g.hiddenSize() * ((long) g.inputSize() + g.hiddenSize());
  }

  @Override protected void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c, Tensor bias) {
    long t0 = enter();
    d.gemm(transA, transB, m, n, k, alpha, a, b, beta, c, bias);
    exit("gemm", t0, 2L * m * n * k, 4L * ((long) m * k + (long) k * n + (long) m * n * (beta != 0 ? 2 : 1) + (bias == null ? 0 : n)), "op", transA ? (transB ? "TT" : "TN") : (transB ? "NT" : "NN"), "a", a, "b", b, "c", c, "bias", bias);
  }

  @Override protected void gemm_batched(BatchedGemm g, Tensor a, Tensor b, Tensor c) {
    long t0 = enter();
    d.gemm_batched(g, a, b, c);
    long mk = (long) g.m() * g.k(), kn = (long) g.k() * g.n(), mn = (long) g.m() * g.n();
    exit("gemm_batched", t0, 2L * g.batch() * mn * g.k(), 4L * g.batch() * (mk + kn + mn * (g.beta() != 0 ? 2 : 1)), "batch", g.batch(), "m", g.m(),
        "n", g.n(), "k", g.k());
  }

  @Override protected void layernorm_forward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd, int rows, int cols) {
    long t0 = enter();
    d.layernorm_forward(x, gamma, beta, eps, y, mean, rstd, rows, cols);
    exit("layernorm_forward", t0, -1, 4L * (n(x) + n(y) + 2L * cols + 2L * rows), "x", x, "y", y);
  }

  @Override protected void layernorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx, Tensor dgamma, Tensor dbeta,
                                              int rows, int cols) {
    long t0 = enter();
    d.layernorm_backward(x, dy, gamma, mean, rstd, dx, dgamma, dbeta, rows, cols);
    exit("layernorm_backward", t0, -1, 4L * (n(x) + n(dy) + n(dx) + 3L * cols + 2L * rows), "x", x, "dy", dy, "dx", dx);
  }

  @Override protected void masked_softmax_forward(Tensor x, Tensor keyMask, boolean causal, float scale, Tensor y, int batch, int heads, int tq, int tk) {
    long t0 = enter();
    d.masked_softmax_forward(x, keyMask, causal, scale, y, batch, heads, tq, tk);
    exit("masked_softmax_forward", t0, -1, 4L * (n(x) + n(y) + (keyMask == null ? 0 : n(keyMask))), "x", x, "keyMask", keyMask, "causal", causal);
  }

  @Override protected void add_(Tensor a, Tensor b, Tensor out) {
    long t0 = enter();
    d.add_(a, b, out);
    exit("add", t0, -1, 4L * (n(a) + n(b) + n(out)), "a", a, "b", b, "out", out);
  }

  @Override protected void mul_(Tensor a, Tensor b, Tensor out) {
    long t0 = enter();
    d.mul_(a, b, out);
    exit("mul", t0, -1, 4L * (n(a) + n(b) + n(out)), "a", a, "b", b, "out", out);
  }

  @Override protected void scale_(Tensor x, float alpha, Tensor out) {
    long t0 = enter();
    d.scale_(x, alpha, out);
    exit("scale", t0, -1, 4L * (n(x) + n(out)), "x", x, "out", out);
  }

  @Override protected void axpy_(float alpha, Tensor x, Tensor y) {
    long t0 = enter();
    d.axpy_(alpha, x, y);
    exit("axpy", t0, -1, 4L * (n(x) + 2 * n(y)), "x", x, "y", y);
  }

  @Override protected void fill_(Tensor x, float value) {
    long t0 = enter();
    d.fill_(x, value);
    exit("fill", t0, -1, 4L * (n(x)), "x", x);
  }

  @Override protected void copy_(Tensor src, Tensor dst) {
    long t0 = enter();
    d.copy_(src, dst);
    exit("copy", t0, -1, 4L * (n(src) + n(dst)), "src", src, "dst", dst);
  }

  @Override protected void relu_forward(Tensor x, Tensor y) {
    long t0 = enter();
    d.relu_forward(x, y);
    exit("relu_forward", t0, -1, 4L * (n(x) + n(y)), "x", x, "y", y);
  }

  @Override protected void relu_backward(Tensor x, Tensor dy, Tensor dx) {
    long t0 = enter();
    d.relu_backward(x, dy, dx);
    exit("relu_backward", t0, -1, 4L * (n(x) + n(dy) + n(dx)), "x", x, "dy", dy, "dx", dx);
  }

  @Override protected void leaky_relu_forward(Tensor x, Tensor y, float slope) {
    long t0 = enter();
    d.leaky_relu_forward(x, y, slope);
    exit("leaky_relu_forward", t0, -1, 4L * (n(x) + n(y)), "x", x, "y", y);
  }

  @Override protected void leaky_relu_backward(Tensor x, Tensor dy, Tensor dx, float slope) {
    long t0 = enter();
    d.leaky_relu_backward(x, dy, dx, slope);
    exit("leaky_relu_backward", t0, -1, 4L * (n(x) + n(dy) + n(dx)), "x", x, "dy", dy, "dx", dx);
  }

  @Override protected void sigmoid_forward(Tensor x, Tensor y) {
    long t0 = enter();
    d.sigmoid_forward(x, y);
    exit("sigmoid_forward", t0, -1, 4L * (n(x) + n(y)), "x", x, "y", y);
  }

  @Override protected void sigmoid_backward(Tensor y, Tensor dy, Tensor dx) {
    long t0 = enter();
    d.sigmoid_backward(y, dy, dx);
    exit("sigmoid_backward", t0, -1, 4L * (n(y) + n(dy) + n(dx)), "y", y, "dy", dy, "dx", dx);
  }

  @Override protected void tanh_forward(Tensor x, Tensor y) {
    long t0 = enter();
    d.tanh_forward(x, y);
    exit("tanh_forward", t0, -1, 4L * (n(x) + n(y)), "x", x, "y", y);
  }

  @Override protected void tanh_backward(Tensor y, Tensor dy, Tensor dx) {
    long t0 = enter();
    d.tanh_backward(y, dy, dx);
    exit("tanh_backward", t0, -1, 4L * (n(y) + n(dy) + n(dx)), "y", y, "dy", dy, "dx", dx);
  }

  @Override protected void gelu_forward(Tensor x, Tensor y) {
    long t0 = enter();
    d.gelu_forward(x, y);
    exit("gelu_forward", t0, -1, 4L * (n(x) + n(y)), "x", x, "y", y);
  }

  @Override protected void gelu_backward(Tensor x, Tensor dy, Tensor dx) {
    long t0 = enter();
    d.gelu_backward(x, dy, dx);
    exit("gelu_backward", t0, -1, 4L * (n(x) + n(dy) + n(dx)), "x", x, "dy", dy, "dx", dx);
  }

  @Override protected void softmax_forward(Tensor x, Tensor y, int rows, int cols) {
    long t0 = enter();
    d.softmax_forward(x, y, rows, cols);
    exit("softmax_forward", t0, -1, 4L * (n(x) + n(y)), "x", x, "y", y);
  }

  @Override protected void softmax_backward(Tensor y, Tensor dy, Tensor dx, int rows, int cols) {
    long t0 = enter();
    d.softmax_backward(y, dy, dx, rows, cols);
    exit("softmax_backward", t0, -1, 4L * (n(y) + n(dy) + n(dx)), "y", y, "dy", dy, "dx", dx);
  }

  @Override protected void log_softmax_forward(Tensor x, Tensor y, int rows, int cols) {
    long t0 = enter();
    d.log_softmax_forward(x, y, rows, cols);
    exit("log_softmax_forward", t0, -1, 4L * (n(x) + n(y)), "x", x, "y", y);
  }

  @Override protected void log_softmax_backward(Tensor y, Tensor dy, Tensor dx, int rows, int cols) {
    long t0 = enter();
    d.log_softmax_backward(y, dy, dx, rows, cols);
    exit("log_softmax_backward", t0, -1, 4L * (n(y) + n(dy) + n(dx)), "y", y, "dy", dy, "dx", dx);
  }

  @Override protected float mse_forward(Tensor pred, Tensor target) {
    long t0 = enter();
    float r = d.mse_forward(pred, target);
    exit("mse_forward", t0, -1, 4L * (n(pred) + n(target)), "pred", pred, "target", target);
    return r;
  }

  @Override protected void mse_backward(Tensor pred, Tensor target, Tensor dpred) {
    long t0 = enter();
    d.mse_backward(pred, target, dpred);
    exit("mse_backward", t0, -1, 4L * (n(pred) + n(target) + n(dpred)), "pred", pred, "target", target, "dpred", dpred);
  }

  @Override protected float bce_forward(Tensor p, Tensor target) {
    long t0 = enter();
    float r = d.bce_forward(p, target);
    exit("bce_forward", t0, -1, 4L * (n(p) + n(target)), "p", p, "target", target);
    return r;
  }

  @Override protected void bce_backward(Tensor p, Tensor target, Tensor dp) {
    long t0 = enter();
    d.bce_backward(p, target, dp);
    exit("bce_backward", t0, -1, 4L * (n(p) + n(target) + n(dp)), "p", p, "target", target, "dp", dp);
  }

  @Override protected float bce_logits_forward(Tensor z, Tensor target) {
    long t0 = enter();
    float r = d.bce_logits_forward(z, target);
    exit("bce_logits_forward", t0, -1, 4L * (n(z) + n(target)), "z", z, "target", target);
    return r;
  }

  @Override protected void bce_logits_backward(Tensor z, Tensor target, Tensor dz) {
    long t0 = enter();
    d.bce_logits_backward(z, target, dz);
    exit("bce_logits_backward", t0, -1, 4L * (n(z) + n(target) + n(dz)), "z", z, "target", target, "dz", dz);
  }

  @Override protected float softmax_cross_entropy_forward(Tensor logits, int[] labels, int labelsOffset, Tensor probs, int rows, int cols) {
    long t0 = enter();
    float r = d.softmax_cross_entropy_forward(logits, labels, labelsOffset, probs, rows, cols);
    exit("softmax_cross_entropy_forward", t0, -1, 4L * (n(logits) + n(probs)), "logits", logits, "probs", probs);
    return r;
  }

  @Override protected void softmax_cross_entropy_backward(Tensor probs, int[] labels, int labelsOffset, Tensor dlogits, int rows, int cols) {
    long t0 = enter();
    d.softmax_cross_entropy_backward(probs, labels, labelsOffset, dlogits, rows, cols);
    exit("softmax_cross_entropy_backward", t0, -1, 4L * (n(probs) + n(dlogits)), "probs", probs, "dlogits", dlogits);
  }

  @Override protected void sum_rows(Tensor x, Tensor out, int rows, int cols) {
    long t0 = enter();
    d.sum_rows(x, out, rows, cols);
    exit("sum_rows", t0, -1, 4L * (n(x) + n(out)), "x", x, "out", out);
  }

  @Override protected double sum_squares(Tensor x) {
    long t0 = enter();
    double r = d.sum_squares(x);
    exit("sum_squares", t0, -1, 4L * (n(x)), "x", x);
    return r;
  }

  @Override protected void dropout_forward(Tensor x, Tensor y, Tensor mask, float p, long seed, long counter) {
    long t0 = enter();
    d.dropout_forward(x, y, mask, p, seed, counter);
    exit("dropout_forward", t0, -1, 4L * (n(x) + n(y) + n(mask)), "x", x, "y", y, "mask", mask);
  }

  @Override protected void dropout_backward(Tensor dy, Tensor mask, Tensor dx) {
    long t0 = enter();
    d.dropout_backward(dy, mask, dx);
    exit("dropout_backward", t0, -1, 4L * (n(dy) + n(mask) + n(dx)), "dy", dy, "mask", mask, "dx", dx);
  }

  @Override protected void sgd_update(Tensor param, Tensor grad, Tensor velocity, float lr, OptimizerConfigs.Sgd cfg, long step) {
    long t0 = enter();
    d.sgd_update(param, grad, velocity, lr, cfg, step);
    exit("sgd_update", t0, -1, 4L * (n(param) + n(grad) + n(velocity)), "param", param, "grad", grad, "velocity", velocity);
  }

  @Override protected void adam_update(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam cfg, long step) {
    long t0 = enter();
    d.adam_update(param, grad, m, v, lr, cfg, step);
    exit("adam_update", t0, -1, 4L * (n(param) + n(grad) + n(m) + n(v)), "param", param, "grad", grad, "m", m, "v", v);
  }

  @Override protected void adamw_update(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam cfg, long step) {
    long t0 = enter();
    d.adamw_update(param, grad, m, v, lr, cfg, step);
    exit("adamw_update", t0, -1, 4L * (n(param) + n(grad) + n(m) + n(v)), "param", param, "grad", grad, "m", m, "v", v);
  }

  @Override protected void rmsprop_update(Tensor param, Tensor grad, Tensor squareAvg, float lr, OptimizerConfigs.RmsProp cfg) {
    long t0 = enter();
    d.rmsprop_update(param, grad, squareAvg, lr, cfg);
    exit("rmsprop_update", t0, -1, 4L * (n(param) + n(grad) + n(squareAvg)), "param", param, "grad", grad, "squareAvg", squareAvg);
  }

  @Override protected void adagrad_update(Tensor param, Tensor grad, Tensor sum, float lr, OptimizerConfigs.Adagrad cfg, long step) {
    long t0 = enter();
    d.adagrad_update(param, grad, sum, lr, cfg, step);
    exit("adagrad_update", t0, -1, 4L * (n(param) + n(grad) + n(sum)), "param", param, "grad", grad, "sum", sum);
  }

  @Override protected void conv2d_forward(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y, Tensor workspace) {
    long t0 = enter();
    d.conv2d_forward(g, x, w, bias, y, workspace);
    exit("conv2d_forward", t0, 2 * g.macs(), 4L * (n(x) + n(w) + n(bias) + n(y)), "g", g, "x", x, "w", w, "bias", bias, "y", y);
  }

  @Override protected void conv2d_backward_data(Conv2dGeometry g, Tensor dy, Tensor w, Tensor dx, Tensor workspace) {
    long t0 = enter();
    d.conv2d_backward_data(g, dy, w, dx, workspace);
    exit("conv2d_backward_data", t0, 2 * g.macs(), 4L * (n(dy) + n(w) + n(dx)), "g", g, "dy", dy, "w", w, "dx", dx);
  }

  @Override protected void conv2d_backward_filter(Conv2dGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias, Tensor workspace) {
    long t0 = enter();
    d.conv2d_backward_filter(g, x, dy, dw, dbias, workspace);
    exit("conv2d_backward_filter", t0, 2 * g.macs(), 4L * (n(x) + n(dy) + n(dw) + n(dbias)), "g", g, "x", x, "dy", dy, "dw", dw, "dbias", dbias);
  }

  @Override protected void lstm_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, Tensor y, Tensor hT, Tensor cT, Tensor workspace) {
    long t0 = enter();
    d.lstm_forward(g, x, h0, c0, wIh, wHh, bIh, bHh, y, hT, cT, workspace);
    exit("lstm_forward", t0, rnnGateFlops(g, 4), 4L * (n(x) + n(h0) + n(c0) + n(wIh) + n(wHh) + n(bIh) + n(bHh) + n(y) + n(hT) + n(cT)), "g", g, "x", x, "h0", h0, "c0", c0, "wIh", wIh, "wHh", wHh, "bIh", bIh, "bHh", bHh, "y", y, "hT", hT, "cT", cT);
  }

  @Override protected void lstm_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y, Tensor workspace, Tensor dy, Tensor dhT, Tensor dcT, Tensor dx, Tensor dh0, Tensor dc0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    long t0 = enter();
    d.lstm_backward(g, x, h0, c0, wIh, wHh, y, workspace, dy, dhT, dcT, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh);
    exit("lstm_backward", t0, 2 * rnnGateFlops(g, 4), 4L * (n(x) + n(h0) + n(c0) + n(wIh) + n(wHh) + n(y) + n(dy) + n(dhT) + n(dcT) + n(dx) + n(dh0) + n(dc0) + n(dwIh) + n(dwHh) + n(dbIh) + n(dbHh)), "g", g, "x", x, "h0", h0, "c0", c0, "wIh", wIh, "wHh", wHh, "y", y, "dy", dy, "dhT", dhT, "dcT", dcT, "dx", dx, "dh0", dh0, "dc0", dc0, "dwIh", dwIh, "dwHh", dwHh, "dbIh", dbIh, "dbHh", dbHh);
  }

  @Override protected void gru_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, Tensor y, Tensor hT, Tensor workspace) {
    long t0 = enter();
    d.gru_forward(g, x, h0, wIh, wHh, bIh, bHh, y, hT, workspace);
    exit("gru_forward", t0, rnnGateFlops(g, 3), 4L * (n(x) + n(h0) + n(wIh) + n(wHh) + n(bIh) + n(bHh) + n(y) + n(hT)), "g", g, "x", x, "h0", h0, "wIh", wIh, "wHh", wHh, "bIh", bIh, "bHh", bHh, "y", y, "hT", hT);
  }

  @Override protected void gru_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor y, Tensor workspace, Tensor dy, Tensor dhT, Tensor dx, Tensor dh0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    long t0 = enter();
    d.gru_backward(g, x, h0, wIh, wHh, y, workspace, dy, dhT, dx, dh0, dwIh, dwHh, dbIh, dbHh);
    exit("gru_backward", t0, 2 * rnnGateFlops(g, 3), 4L * (n(x) + n(h0) + n(wIh) + n(wHh) + n(y) + n(dy) + n(dhT) + n(dx) + n(dh0) + n(dwIh) + n(dwHh) + n(dbIh) + n(dbHh)), "g", g, "x", x, "h0", h0, "wIh", wIh, "wHh", wHh, "y", y, "dy", dy, "dhT", dhT, "dx", dx, "dh0", dh0, "dwIh", dwIh, "dwHh", dwHh, "dbIh", dbIh, "dbHh", dbHh);
  }

  @Override protected void embedding_forward(int[] ids, int idsOffset, int n, Tensor weight, Tensor out) {
    long t0 = enter();
    d.embedding_forward(ids, idsOffset, n, weight, out);
    exit("embedding_forward", t0, -1, 4L * (n(weight) + n(out)), "weight", weight, "out", out);
  }

  @Override protected void embedding_backward(int[] ids, int idsOffset, int n, Tensor dout, Tensor dweight, int paddingIdx) {
    long t0 = enter();
    d.embedding_backward(ids, idsOffset, n, dout, dweight, paddingIdx);
    exit("embedding_backward", t0, -1, 4L * (n(dout) + n(dweight)), "dout", dout, "dweight", dweight);
  }

  @Override protected void maxpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y, int[] argmax) {
    long t0 = enter();
    d.maxpool2d_forward(g, x, y, argmax);
    exit("maxpool2d_forward", t0, -1, 4L * (n(x) + n(y)), "g", g, "x", x, "y", y);
  }

  @Override protected void maxpool2d_backward(Pool2dGeometry g, Tensor dy, int[] argmax, Tensor dx) {
    long t0 = enter();
    d.maxpool2d_backward(g, dy, argmax, dx);
    exit("maxpool2d_backward", t0, -1, 4L * (n(dy) + n(dx)), "g", g, "dy", dy, "dx", dx);
  }

  @Override protected void avgpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y) {
    long t0 = enter();
    d.avgpool2d_forward(g, x, y);
    exit("avgpool2d_forward", t0, -1, 4L * (n(x) + n(y)), "g", g, "x", x, "y", y);
  }

  @Override protected void avgpool2d_backward(Pool2dGeometry g, Tensor dy, Tensor dx) {
    long t0 = enter();
    d.avgpool2d_backward(g, dy, dx);
    exit("avgpool2d_backward", t0, -1, 4L * (n(dy) + n(dx)), "g", g, "dy", dy, "dx", dx);
  }

  @Override protected void global_avgpool2d_forward(Tensor x, Tensor y, int planes, int hw) {
    long t0 = enter();
    d.global_avgpool2d_forward(x, y, planes, hw);
    exit("global_avgpool2d_forward", t0, -1, 4L * (n(x) + n(y)), "x", x, "y", y);
  }

  @Override protected void global_avgpool2d_backward(Tensor dy, Tensor dx, int planes, int hw) {
    long t0 = enter();
    d.global_avgpool2d_backward(dy, dx, planes, hw);
    exit("global_avgpool2d_backward", t0, -1, 4L * (n(dy) + n(dx)), "dy", dy, "dx", dx);
  }

  @Override protected void batchnorm_forward_training(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd, float momentum, float eps, int n, int c, int s) {
    long t0 = enter();
    d.batchnorm_forward_training(x, gamma, beta, y, runningMean, runningVar, saveMean, saveInvStd, momentum, eps, n, c, s);
    exit("batchnorm_forward_training", t0, -1, 4L * (n(x) + n(gamma) + n(beta) + n(y) + n(runningMean) + n(runningVar) + n(saveMean) + n(saveInvStd)), "x", x, "gamma", gamma, "beta", beta, "y", y, "runningMean", runningMean, "runningVar", runningVar, "saveMean", saveMean, "saveInvStd", saveInvStd);
  }

  @Override protected void batchnorm_forward_inference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, float eps, int n, int c, int s) {
    long t0 = enter();
    d.batchnorm_forward_inference(x, gamma, beta, runningMean, runningVar, y, eps, n, c, s);
    exit("batchnorm_forward_inference", t0, -1, 4L * (n(x) + n(gamma) + n(beta) + n(runningMean) + n(runningVar) + n(y)), "x", x, "gamma", gamma, "beta", beta, "runningMean", runningMean, "runningVar", runningVar, "y", y);
  }

  @Override protected void batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int s) {
    long t0 = enter();
    d.batchnorm_backward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, s);
    exit("batchnorm_backward", t0, -1, 4L * (n(x) + n(dy) + n(gamma) + n(saveMean) + n(saveInvStd) + n(dx) + n(dgamma) + n(dbeta)), "x", x, "dy", dy, "gamma", gamma, "saveMean", saveMean, "saveInvStd", saveInvStd, "dx", dx, "dgamma", dgamma, "dbeta", dbeta);
  }
}
