package dev.jnn.backend.java;

import dev.jnn.backend.Backend;
import dev.jnn.backend.BatchedGemm;
import dev.jnn.backend.Conv2dGeometry;
import dev.jnn.backend.DropoutRng;
import dev.jnn.backend.OptimizerConfigs;
import dev.jnn.backend.Pool2dGeometry;
import dev.jnn.backend.RnnGeometry;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;

/**
 * The pure-Java backend: the reference definition of every kernel, and the fallback where no
 * native library loads.
 *
 * <p>Each kernel is a plain loop over {@code float[]} storage (tensor data from its offset), with
 * its forward beside its backward and the shapes stated in a comment. {@link Backend}'s public
 * methods have validated the arguments before any of these runs. Reductions (softmax sums, losses,
 * norms) accumulate in double; transcendental kernels (sigmoid, tanh, gelu, softmax) and the
 * backward formulas that cancel (1 - y^2) compute in double and round to float once; elementwise
 * arithmetic and the optimizer updates run in float, as PyTorch's do. Backward kernels write their
 * gradients (they do not accumulate). Every kernel is safe with an output that is exactly one of
 * its inputs (in-place use).
 *
 * <p>Threads: GEMM ({@link JavaGemm}) and large elementwise loops run on {@link Parallel}'s pool;
 * calls below a size threshold stay on the calling thread, so small calls cost no hand-off.
 */
public final class JavaBackend extends Backend {

  /** Cheap elementwise loops (a few flops per element) go parallel from this many elements. */
  private static final int GRAIN = 1 << 16;
  /** Loops calling exp/tanh/erf per element go parallel sooner. */
  private static final int GRAIN_TRANSCENDENTAL = 1 << 13;

  private static final double SQRT_HALF = 0.70710678118654752440;   // 1/sqrt(2)
  private static final double INV_SQRT_2PI = 0.39894228040143267794; // 1/sqrt(2 pi)

  public JavaBackend() {}

  @Override public Device device() { return Device.JAVA; }

  @Override
  public String describe() {
    return "java: pure-Java reference kernels, " + Parallel.threads() + " thread(s), Java "
        + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")";
  }

  // ================================================================ gemm

  @Override
  protected void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b,
                      float beta, Tensor c, Tensor bias) {
    // c is (m, n); a is (m, k), or (k, m) when transA; b is (k, n), or (n, k) when transB; bias is (n)
    JavaGemm.gemm(transA, transB, m, n, k, alpha, a.data(), a.offset(), b.data(), b.offset(), beta,
        c.data(), c.offset(), bias == null ? null : bias.data(), bias == null ? 0 : bias.offset());
  }

  // ================================================================ elementwise

  @Override
  protected void add_(Tensor a, Tensor b, Tensor out) {
    // a, b, out are (n): out = a + b
    float[] ad = a.data(), bd = b.data(), od = out.data();
    int ao = a.offset(), bo = b.offset(), oo = out.offset();
    Parallel.forRange(a.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) od[oo + i] = ad[ao + i] + bd[bo + i];
    });
  }

  @Override
  protected void mul_(Tensor a, Tensor b, Tensor out) {
    // a, b, out are (n): out = a * b
    float[] ad = a.data(), bd = b.data(), od = out.data();
    int ao = a.offset(), bo = b.offset(), oo = out.offset();
    Parallel.forRange(a.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) od[oo + i] = ad[ao + i] * bd[bo + i];
    });
  }

  @Override
  protected void scale_(Tensor x, float alpha, Tensor out) {
    // x, out are (n): out = alpha * x
    float[] xd = x.data(), od = out.data();
    int xo = x.offset(), oo = out.offset();
    Parallel.forRange(x.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) od[oo + i] = alpha * xd[xo + i];
    });
  }

  @Override
  protected void axpy_(float alpha, Tensor x, Tensor y) {
    // x, y are (n): y += alpha * x
    float[] xd = x.data(), yd = y.data();
    int xo = x.offset(), yo = y.offset();
    Parallel.forRange(x.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) yd[yo + i] += alpha * xd[xo + i];
    });
  }

  @Override
  protected void fill_(Tensor x, float value) {
    // x is (n): x = value
    java.util.Arrays.fill(x.data(), x.offset(), x.offset() + x.size(), value);
  }

  @Override
  protected void copy_(Tensor src, Tensor dst) {
    // src, dst are (n); overlapping storage is copied as if through a temporary
    System.arraycopy(src.data(), src.offset(), dst.data(), dst.offset(), src.size());
  }

  // ================================================================ activations

  @Override
  protected void relu_forward(Tensor x, Tensor y) {
    // x, y are (n): y = x > 0 ? x : 0, and NaN stays NaN (PyTorch: relu(NaN) = NaN)
    float[] xd = x.data(), yd = y.data();
    int xo = x.offset(), yo = y.offset();
    Parallel.forRange(x.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        float v = xd[xo + i];
        yd[yo + i] = v > 0f || v != v ? v : 0f;
      }
    });
  }

  @Override
  protected void relu_backward(Tensor x, Tensor dy, Tensor dx) {
    // x, dy, dx are (n): dx = x > 0 ? dy : 0
    float[] xd = x.data(), gd = dy.data(), dd = dx.data();
    int xo = x.offset(), go = dy.offset(), od = dx.offset();
    Parallel.forRange(x.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) dd[od + i] = xd[xo + i] > 0f ? gd[go + i] : 0f;
    });
  }

  @Override
  protected void leaky_relu_forward(Tensor x, Tensor y, float slope) {
    // x, y are (n): y = x > 0 ? x : slope * x
    float[] xd = x.data(), yd = y.data();
    int xo = x.offset(), yo = y.offset();
    Parallel.forRange(x.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        float v = xd[xo + i];
        yd[yo + i] = v > 0f ? v : slope * v;
      }
    });
  }

  @Override
  protected void leaky_relu_backward(Tensor x, Tensor dy, Tensor dx, float slope) {
    // x, dy, dx are (n): dx = x > 0 ? dy : slope * dy
    float[] xd = x.data(), gd = dy.data(), dd = dx.data();
    int xo = x.offset(), go = dy.offset(), od = dx.offset();
    Parallel.forRange(x.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        float g = gd[go + i];
        dd[od + i] = xd[xo + i] > 0f ? g : slope * g;
      }
    });
  }

  /** Logistic function without overflow: for x < 0 use e^x / (1 + e^x). NaN gives NaN. */
  private static float sigmoid(float x) {
    if (x < 0f) {
      double e = Math.exp(x);
      return (float) (e / (1.0 + e));
    }
    return (float) (1.0 / (1.0 + Math.exp(-x)));
  }

  @Override
  protected void sigmoid_forward(Tensor x, Tensor y) {
    // x, y are (n): y = 1 / (1 + exp(-x))
    float[] xd = x.data(), yd = y.data();
    int xo = x.offset(), yo = y.offset();
    Parallel.forRange(x.size(), GRAIN_TRANSCENDENTAL, (lo, hi) -> {
      for (int i = lo; i < hi; i++) yd[yo + i] = sigmoid(xd[xo + i]);
    });
  }

  @Override
  protected void sigmoid_backward(Tensor y, Tensor dy, Tensor dx) {
    // y (the forward output), dy, dx are (n): dx = dy * y * (1 - y)
    float[] yd = y.data(), gd = dy.data(), dd = dx.data();
    int yo = y.offset(), go = dy.offset(), od = dx.offset();
    Parallel.forRange(y.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        double s = yd[yo + i];
        dd[od + i] = (float) (gd[go + i] * s * (1.0 - s));
      }
    });
  }

  @Override
  protected void tanh_forward(Tensor x, Tensor y) {
    // x, y are (n): y = tanh(x)
    float[] xd = x.data(), yd = y.data();
    int xo = x.offset(), yo = y.offset();
    Parallel.forRange(x.size(), GRAIN_TRANSCENDENTAL, (lo, hi) -> {
      for (int i = lo; i < hi; i++) yd[yo + i] = (float) Math.tanh(xd[xo + i]);
    });
  }

  @Override
  protected void tanh_backward(Tensor y, Tensor dy, Tensor dx) {
    // y (the forward output), dy, dx are (n): dx = dy * (1 - y^2), in double: 1 - y^2 cancels
    // badly in float where |y| is near 1
    float[] yd = y.data(), gd = dy.data(), dd = dx.data();
    int yo = y.offset(), go = dy.offset(), od = dx.offset();
    Parallel.forRange(y.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        double t = yd[yo + i];
        dd[od + i] = (float) (gd[go + i] * (1.0 - t * t));
      }
    });
  }

  @Override
  protected void gelu_forward(Tensor x, Tensor y) {
    // x, y are (n): y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), in double
    float[] xd = x.data(), yd = y.data();
    int xo = x.offset(), yo = y.offset();
    Parallel.forRange(x.size(), GRAIN_TRANSCENDENTAL, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        double v = xd[xo + i];
        yd[yo + i] = (float) (0.5 * v * (1.0 + Erf.erf(v * SQRT_HALF)));
      }
    });
  }

  @Override
  protected void gelu_backward(Tensor x, Tensor dy, Tensor dx) {
    // x, dy, dx are (n): dx = dy (Phi(x) + x phi(x)), Phi(x) = 0.5 (1 + erf(x / sqrt 2)),
    // phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
    float[] xd = x.data(), gd = dy.data(), dd = dx.data();
    int xo = x.offset(), go = dy.offset(), od = dx.offset();
    Parallel.forRange(x.size(), GRAIN_TRANSCENDENTAL, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        double v = xd[xo + i];
        double cdf = 0.5 * (1.0 + Erf.erf(v * SQRT_HALF));
        double pdf = Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
        dd[od + i] = (float) (gd[go + i] * (cdf + v * pdf));
      }
    });
  }

  // ================================================================ softmax (rows, cols)

  /** Rows per parallel task: about GRAIN_TRANSCENDENTAL elements, at least one row. */
  private static int rowGrain(int cols) { return Math.max(1, GRAIN_TRANSCENDENTAL / cols); }

  @Override
  protected void softmax_forward(Tensor x, Tensor y, int rows, int cols) {
    // x, y are (rows, cols): y[r] = exp(x[r] - max) / sum(exp(x[r] - max))
    float[] xd = x.data(), yd = y.data();
    int xo = x.offset(), yo = y.offset();
    Parallel.forRange(rows, rowGrain(cols), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int xr = xo + r * cols, yr = yo + r * cols;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) max = Math.max(max, xd[xr + j]);  // Math.max propagates NaN
        double sum = 0;
        for (int j = 0; j < cols; j++) {
          double e = Math.exp((double) xd[xr + j] - max);
          yd[yr + j] = (float) e;
          sum += e;
        }
        double inv = 1.0 / sum;
        for (int j = 0; j < cols; j++) yd[yr + j] = (float) (yd[yr + j] * inv);
      }
    });
  }

  // ================================================================ batched gemm, layer norm, attention softmax

  @Override
  protected void gemm_batched(BatchedGemm g, Tensor a, Tensor b, Tensor c) {
    // for each p: C_p (m, n) = alpha op(A_p) op(B_p) + beta C_p, every matrix addressed by (offset, leading dimension, stride)
    float[] ad = a.data(), bd = b.data(), cd = c.data();
    int m = g.m(), n = g.n(), k = g.k();
    float alpha = g.alpha(), beta = g.beta();
    Parallel.forRange(g.batch() * m, Math.max(1, GRAIN / Math.max(1, n * k)), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int p = r / m, i = r % m;
        long ao = a.offset() + g.offA() + p * g.strideA(), bo = b.offset() + g.offB() + p * g.strideB();
        long co = c.offset() + g.offC() + p * g.strideC() + (long) i * g.ldc();
        for (int j = 0; j < n; j++) {
          double acc = 0;
          for (int l = 0; l < k; l++) {
            float av = ad[(int) (ao + (g.transA() ? (long) l * g.lda() + i : (long) i * g.lda() + l))];
            float bv = bd[(int) (bo + (g.transB() ? (long) j * g.ldb() + l : (long) l * g.ldb() + j))];
            acc += (double) av * bv;
          }
          int ci = (int) (co + j);
          cd[ci] = (float) (alpha * acc + (beta == 0f ? 0.0 : (double) beta * cd[ci]));
        }
      }
    });
  }

  @Override
  protected void layernorm_forward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd, int rows, int cols) {
    // x, y (rows, cols); gamma, beta (cols); mean, rstd (rows): y = (x - mean) rstd gamma + beta
    float[] xd = x.data(), yd = y.data(), gd = gamma.data(), bd = beta.data(), md = mean.data(), sd = rstd.data();
    int xo = x.offset(), yo = y.offset(), go = gamma.offset(), bo = beta.offset(), mo = mean.offset(), so = rstd.offset();
    Parallel.forRange(rows, Math.max(1, GRAIN / cols), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int xr = xo + r * cols, yr = yo + r * cols;
        double sum = 0;
        for (int j = 0; j < cols; j++) sum += xd[xr + j];
        double mu = sum / cols, var = 0;
        for (int j = 0; j < cols; j++) {
          double d = xd[xr + j] - mu;
          var += d * d;
        }
        double rs = 1.0 / Math.sqrt(var / cols + eps);
        for (int j = 0; j < cols; j++) yd[yr + j] = (float) ((xd[xr + j] - mu) * rs * gd[go + j] + bd[bo + j]);
        md[mo + r] = (float) mu;
        sd[so + r] = (float) rs;
      }
    });
  }

  @Override
  protected void layernorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx, Tensor dgamma, Tensor dbeta, int rows,
                                    int cols) {
    // xhat = (x - mean) rstd; dxhat = dy gamma; dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)); dgamma = sum_r dy xhat; dbeta = sum_r dy
    float[] xd = x.data(), gd = dy.data(), wd = gamma.data(), md = mean.data(), sd = rstd.data(), dd = dx.data();
    int xo = x.offset(), go = dy.offset(), wo = gamma.offset(), mo = mean.offset(), so = rstd.offset(), dO = dx.offset();
    // parameter gradients first (column sums over the rows, in row order): dx may be dy itself, written below
    float[] dgd = dgamma.data(), dbd = dbeta.data();
    int dgo = dgamma.offset(), dbo = dbeta.offset();
    Parallel.forRange(cols, Math.max(1, GRAIN / Math.max(1, rows)), (c0, c1) -> {
      for (int j = c0; j < c1; j++) {
        double sg = 0, sb = 0;
        for (int r = 0; r < rows; r++) {
          double g = gd[go + r * cols + j];
          sg += g * (xd[xo + r * cols + j] - md[mo + r]) * sd[so + r];
          sb += g;
        }
        dgd[dgo + j] = (float) sg;
        dbd[dbo + j] = (float) sb;
      }
    });
    // dx, one row at a time (each row read whole before it is written)
    Parallel.forRange(rows, Math.max(1, GRAIN / cols), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int xr = xo + r * cols, gr = go + r * cols, dr = dO + r * cols;
        double mu = md[mo + r], rs = sd[so + r], sumD = 0, sumDX = 0;
        for (int j = 0; j < cols; j++) {
          double dxhat = (double) gd[gr + j] * wd[wo + j], xhat = (xd[xr + j] - mu) * rs;
          sumD += dxhat;
          sumDX += dxhat * xhat;
        }
        double meanD = sumD / cols, meanDX = sumDX / cols;
        for (int j = 0; j < cols; j++) {
          double dxhat = (double) gd[gr + j] * wd[wo + j], xhat = (xd[xr + j] - mu) * rs;
          dd[dr + j] = (float) (rs * (dxhat - meanD - xhat * meanDX));
        }
      }
    });
  }

  @Override
  protected void masked_softmax_forward(Tensor x, Tensor keyMask, boolean causal, float scale, Tensor y, int batch, int heads, int tq, int tk) {
    // x, y (B, H, Tq, Tk); keyMask (B, Tk) or null: key j of batch b is out when keyMask[b, j] == 0, or (causal) when j > i
    float[] xd = x.data(), yd = y.data(), kd = keyMask == null ? null : keyMask.data();
    int xo = x.offset(), yo = y.offset(), ko = keyMask == null ? 0 : keyMask.offset();
    Parallel.forRange(batch * heads * tq, Math.max(1, GRAIN / tk), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int b = r / (heads * tq), i = r % tq;
        int xr = xo + r * tk, yr = yo + r * tk, kr = ko + b * tk;
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < tk; j++)
          if ((kd == null || kd[kr + j] != 0f) && !(causal && j > i)) max = Math.max(max, (double) scale * xd[xr + j]);
        if (max == Double.NEGATIVE_INFINITY) {   // every key left out: a zero row
          for (int j = 0; j < tk; j++) yd[yr + j] = 0f;
          continue;
        }
        double sum = 0;
        for (int j = 0; j < tk; j++) {
          boolean in = (kd == null || kd[kr + j] != 0f) && !(causal && j > i);
          double e = in ? Math.exp((double) scale * xd[xr + j] - max) : 0;
          yd[yr + j] = (float) e;
          sum += e;
        }
        for (int j = 0; j < tk; j++) yd[yr + j] = (float) (yd[yr + j] / sum);
      }
    });
  }

  @Override
  protected void softmax_backward(Tensor y, Tensor dy, Tensor dx, int rows, int cols) {
    // y (the forward output), dy, dx are (rows, cols): dx[r] = y[r] (dy[r] - sum_j dy[r, j] y[r, j])
    float[] yd = y.data(), gd = dy.data(), dd = dx.data();
    int yo = y.offset(), go = dy.offset(), od = dx.offset();
    Parallel.forRange(rows, Math.max(1, GRAIN / cols), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int yr = yo + r * cols, gr = go + r * cols, dr = od + r * cols;
        double dot = 0;
        for (int j = 0; j < cols; j++) dot += (double) gd[gr + j] * yd[yr + j];
        for (int j = 0; j < cols; j++) dd[dr + j] = (float) (yd[yr + j] * (gd[gr + j] - dot));
      }
    });
  }

  @Override
  protected void log_softmax_forward(Tensor x, Tensor y, int rows, int cols) {
    // x, y are (rows, cols): y[r] = x[r] - max - log(sum(exp(x[r] - max)))
    float[] xd = x.data(), yd = y.data();
    int xo = x.offset(), yo = y.offset();
    Parallel.forRange(rows, rowGrain(cols), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int xr = xo + r * cols, yr = yo + r * cols;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) max = Math.max(max, xd[xr + j]);
        double sum = 0;
        for (int j = 0; j < cols; j++) sum += Math.exp((double) xd[xr + j] - max);
        double shift = max + Math.log(sum);
        for (int j = 0; j < cols; j++) yd[yr + j] = (float) (xd[xr + j] - shift);
      }
    });
  }

  @Override
  protected void log_softmax_backward(Tensor y, Tensor dy, Tensor dx, int rows, int cols) {
    // y (the forward output), dy, dx are (rows, cols): dx[r] = dy[r] - exp(y[r]) sum_j dy[r, j]
    float[] yd = y.data(), gd = dy.data(), dd = dx.data();
    int yo = y.offset(), go = dy.offset(), od = dx.offset();
    Parallel.forRange(rows, rowGrain(cols), (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int yr = yo + r * cols, gr = go + r * cols, dr = od + r * cols;
        double sum = 0;
        for (int j = 0; j < cols; j++) sum += gd[gr + j];
        for (int j = 0; j < cols; j++) dd[dr + j] = (float) (gd[gr + j] - Math.exp(yd[yr + j]) * sum);
      }
    });
  }

  // ================================================================ losses (means over all elements)

  @Override
  protected float mse_forward(Tensor pred, Tensor target) {
    // pred, target are (n): mean((pred - target)^2)
    float[] pd = pred.data(), td = target.data();
    int po = pred.offset(), to = target.offset(), n = pred.size();
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double d = (double) pd[po + i] - td[to + i];
      sum += d * d;
    }
    return (float) (sum / n);
  }

  @Override
  protected void mse_backward(Tensor pred, Tensor target, Tensor dpred) {
    // pred, target, dpred are (n): dpred = 2 (pred - target) / n
    float[] pd = pred.data(), td = target.data(), dd = dpred.data();
    int po = pred.offset(), to = target.offset(), od = dpred.offset(), n = pred.size();
    double scale = 2.0 / n;
    for (int i = 0; i < n; i++) dd[od + i] = (float) (scale * ((double) pd[po + i] - td[to + i]));
  }

  @Override
  protected float bce_forward(Tensor p, Tensor target) {
    // p (probabilities), target are (n): mean(-(t log p + (1 - t) log(1 - p))), each log clamped
    // at -100 as in PyTorch so that p = 0 or 1 gives a finite loss
    float[] pd = p.data(), td = target.data();
    int po = p.offset(), to = target.offset(), n = p.size();
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double pi = pd[po + i], t = td[to + i];
      double logP = Math.max(Math.log(pi), -100.0), log1mP = Math.max(Math.log(1.0 - pi), -100.0);
      sum -= t * logP + (1.0 - t) * log1mP;
    }
    return (float) (sum / n);
  }

  @Override
  protected void bce_backward(Tensor p, Tensor target, Tensor dp) {
    // p, target, dp are (n): dp = (p - t) / max(p (1 - p), 1e-12) / n
    float[] pd = p.data(), td = target.data(), dd = dp.data();
    int po = p.offset(), to = target.offset(), od = dp.offset(), n = p.size();
    for (int i = 0; i < n; i++) {
      double pi = pd[po + i], t = td[to + i];
      dd[od + i] = (float) ((pi - t) / Math.max(pi * (1.0 - pi), 1e-12) / n);
    }
  }

  @Override
  protected float bce_logits_forward(Tensor z, Tensor target) {
    // z (logits), target are (n): mean(max(z, 0) - z t + log1p(exp(-|z|))), stable for any z
    float[] zd = z.data(), td = target.data();
    int zo = z.offset(), to = target.offset(), n = z.size();
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double v = zd[zo + i], t = td[to + i];
      sum += Math.max(v, 0.0) - v * t + Math.log1p(Math.exp(-Math.abs(v)));
    }
    return (float) (sum / n);
  }

  @Override
  protected void bce_logits_backward(Tensor z, Tensor target, Tensor dz) {
    // z, target, dz are (n): dz = (sigmoid(z) - t) / n
    float[] zd = z.data(), td = target.data(), dd = dz.data();
    int zo = z.offset(), to = target.offset(), od = dz.offset(), n = z.size();
    for (int i = 0; i < n; i++) {
      double v = zd[zo + i];
      double s = v < 0 ? Math.exp(v) / (1.0 + Math.exp(v)) : 1.0 / (1.0 + Math.exp(-v));
      dd[od + i] = (float) ((s - td[to + i]) / n);
    }
  }

  @Override
  protected float softmax_cross_entropy_forward(Tensor logits, int[] labels, int labelsOffset, Tensor probs, int rows, int cols) {
    // logits, probs are (rows, cols), labels[labelsOffset + r] in [0, cols):
    // probs = softmax(logits); loss = mean_r -(logits[r, label] - max - log(sum exp(logits[r] - max)))
    float[] xd = logits.data(), pd = probs.data();
    int xo = logits.offset(), po = probs.offset();
    double loss = 0;
    for (int r = 0; r < rows; r++) {
      int xr = xo + r * cols, pr = po + r * cols;
      double picked = xd[xr + labels[labelsOffset + r]];  // read before probs (which may alias logits) is written
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < cols; j++) max = Math.max(max, xd[xr + j]);
      double sum = 0;
      for (int j = 0; j < cols; j++) {
        double e = Math.exp((double) xd[xr + j] - max);
        pd[pr + j] = (float) e;
        sum += e;
      }
      double inv = 1.0 / sum;
      for (int j = 0; j < cols; j++) pd[pr + j] = (float) (pd[pr + j] * inv);
      loss -= picked - max - Math.log(sum);
    }
    return (float) (loss / rows);
  }

  @Override
  protected void softmax_cross_entropy_backward(Tensor probs, int[] labels, int labelsOffset, Tensor dlogits, int rows, int cols) {
    // probs, dlogits are (rows, cols): dlogits[r] = (probs[r] - onehot(labels[r])) / rows
    float[] pd = probs.data(), dd = dlogits.data();
    int po = probs.offset(), od = dlogits.offset();
    float inv = 1f / rows;
    for (int r = 0; r < rows; r++) {
      int pr = po + r * cols, dr = od + r * cols, label = labels[labelsOffset + r];
      for (int j = 0; j < cols; j++) dd[dr + j] = (pd[pr + j] - (j == label ? 1f : 0f)) * inv;
    }
  }

  // ================================================================ reductions

  @Override
  protected void sum_rows(Tensor x, Tensor out, int rows, int cols) {
    // x is (rows, cols), out is (cols): out[j] = sum_i x[i, j], accumulated in double
    float[] xd = x.data(), od = out.data();
    int xo = x.offset(), oo = out.offset();
    Parallel.forRange(cols, Math.max(16, GRAIN / Math.max(1, rows)), (j0, j1) -> {
      double[] acc = new double[j1 - j0];
      for (int i = 0; i < rows; i++) {
        int xr = xo + i * cols + j0;
        for (int j = 0; j < acc.length; j++) acc[j] += xd[xr + j];
      }
      for (int j = 0; j < acc.length; j++) od[oo + j0 + j] = (float) acc[j];
    });
  }

  @Override
  protected double sum_squares(Tensor x) {
    // x is (n): sum x^2, in double
    float[] xd = x.data();
    int xo = x.offset(), n = x.size();
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double v = xd[xo + i];
      sum += v * v;
    }
    return sum;
  }

  // ================================================================ dropout

  @Override
  protected void dropout_forward(Tensor x, Tensor y, Tensor mask, float p, long seed, long counter) {
    // x, y, mask are (n): element i is kept iff DropoutRng.uniform(seed, counter + i) >= p;
    // mask = kept ? 1 / (1 - p) : 0; y = x * mask
    float[] xd = x.data(), yd = y.data(), md = mask.data();
    int xo = x.offset(), yo = y.offset(), mo = mask.offset();
    float scale = 1.0f / (1.0f - p);
    Parallel.forRange(x.size(), GRAIN_TRANSCENDENTAL, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        float v = xd[xo + i];  // read before writing: y or mask may alias x
        float m = DropoutRng.uniform(seed, counter + i) >= p ? scale : 0f;
        md[mo + i] = m;
        yd[yo + i] = v * m;
      }
    });
  }

  @Override
  protected void dropout_backward(Tensor dy, Tensor mask, Tensor dx) {
    // dy, mask, dx are (n): dx = dy * mask, i.e. the elementwise product
    mul_(dy, mask, dx);
  }

  // ================================================================ optimizer updates (in place; step counts from 1)

  @Override
  protected void sgd_update(Tensor param, Tensor grad, Tensor velocity, float lr, OptimizerConfigs.Sgd cfg, long step) {
    // param, grad, velocity are (n):
    // g = grad + wd p; if momentum != 0 { buf = step == 1 ? g : momentum buf + (1 - dampening) g;
    // g = nesterov ? g + momentum buf : buf }; p -= lr g
    float[] pd = param.data(), gd = grad.data(), vd = velocity.data();
    int po = param.offset(), go = grad.offset(), vo = velocity.offset();
    float wd = cfg.weightDecay(), mom = cfg.momentum(), damp = 1f - cfg.dampening();
    boolean nesterov = cfg.nesterov(), first = step == 1;
    Parallel.forRange(param.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        float p = pd[po + i];
        float g = gd[go + i] + wd * p;
        if (mom != 0f) {
          float buf = first ? g : mom * vd[vo + i] + damp * g;
          vd[vo + i] = buf;
          g = nesterov ? g + mom * buf : buf;
        }
        pd[po + i] = p - lr * g;
      }
    });
  }

  @Override
  protected void adam_update(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam cfg, long step) {
    // param, grad, m, v are (n): g = grad + wd p, then the Adam step
    adam(param, grad, m, v, lr, cfg, step, cfg.weightDecay(), 1f);
  }

  @Override
  protected void adamw_update(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam cfg, long step) {
    // param, grad, m, v are (n): p *= 1 - lr wd (decoupled decay), then the Adam step with g = grad
    adam(param, grad, m, v, lr, cfg, step, 0f, 1f - lr * cfg.weightDecay());
  }

  /**
   * The Adam step shared by Adam and AdamW: p *= decay; g = grad + l2 p;
   * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps),
   * with bias corrections bc1 = 1 - b1^step, bc2 = 1 - b2^step in double.
   */
  private static void adam(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam cfg, long step,
                           float l2, float decay) {
    float[] pd = param.data(), gd = grad.data(), md = m.data(), vd = v.data();
    int po = param.offset(), go = grad.offset(), mo = m.offset(), vo = v.offset();
    float b1 = cfg.beta1(), b2 = cfg.beta2(), eps = cfg.eps();
    double bc1 = 1.0 - Math.pow(b1, step), bc2 = 1.0 - Math.pow(b2, step);
    float stepSize = (float) (lr / bc1), sqrtBc2 = (float) Math.sqrt(bc2);
    Parallel.forRange(param.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        float p = pd[po + i] * decay;
        float g = gd[go + i] + l2 * p;
        float mi = b1 * md[mo + i] + (1f - b1) * g;
        float vi = b2 * vd[vo + i] + (1f - b2) * g * g;
        md[mo + i] = mi;
        vd[vo + i] = vi;
        pd[po + i] = p - stepSize * mi / ((float) Math.sqrt(vi) / sqrtBc2 + eps);
      }
    });
  }

  @Override
  protected void rmsprop_update(Tensor param, Tensor grad, Tensor squareAvg, float lr, OptimizerConfigs.RmsProp cfg) {
    // param, grad, squareAvg are (n): g = grad + wd p; s = alpha s + (1 - alpha) g^2; p -= lr g / (sqrt(s) + eps)
    float[] pd = param.data(), gd = grad.data(), sd = squareAvg.data();
    int po = param.offset(), go = grad.offset(), so = squareAvg.offset();
    float alpha = cfg.alpha(), eps = cfg.eps(), wd = cfg.weightDecay();
    Parallel.forRange(param.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        float p = pd[po + i];
        float g = gd[go + i] + wd * p;
        float s = alpha * sd[so + i] + (1f - alpha) * g * g;
        sd[so + i] = s;
        pd[po + i] = p - lr * g / ((float) Math.sqrt(s) + eps);
      }
    });
  }

  @Override
  protected void adagrad_update(Tensor param, Tensor grad, Tensor sum, float lr, OptimizerConfigs.Adagrad cfg, long step) {
    // param, grad, sum are (n): g = grad + wd p; clr = lr / (1 + (step - 1) lrDecay); s += g^2;
    // p -= clr g / (sqrt(s) + eps)
    float[] pd = param.data(), gd = grad.data(), sd = sum.data();
    int po = param.offset(), go = grad.offset(), so = sum.offset();
    float eps = cfg.eps(), wd = cfg.weightDecay();
    float clr = (float) (lr / (1.0 + (step - 1) * (double) cfg.lrDecay()));
    Parallel.forRange(param.size(), GRAIN, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        float p = pd[po + i];
        float g = gd[go + i] + wd * p;
        float s = sd[so + i] + g * g;
        sd[so + i] = s;
        pd[po + i] = p - clr * g / ((float) Math.sqrt(s) + eps);
      }
    });
  }

  // ================================================================ recurrent + embedding (JavaRnn: mirrors native/cpu/rnn.cpp)

  @Override
  public long lstmWorkspaceSize(RnnGeometry g) {
    java.util.Objects.requireNonNull(g, "lstm_workspace_size: geometry is null");
    return JavaRnn.lstmWorkspaceSize(g);
  }

  @Override
  public long gruWorkspaceSize(RnnGeometry g) {
    java.util.Objects.requireNonNull(g, "gru_workspace_size: geometry is null");
    return JavaRnn.gruWorkspaceSize(g);
  }

  @Override
  protected void lstm_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh,
                              Tensor y, Tensor hT, Tensor cT, Tensor ws) {
    JavaRnn.lstmForward(g, x, h0, c0, wIh, wHh, bIh, bHh, y, hT, cT, ws);
  }

  @Override
  protected void lstm_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y, Tensor ws,
                               Tensor dy, Tensor dhT, Tensor dcT, Tensor dx, Tensor dh0, Tensor dc0,
                               Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    JavaRnn.lstmBackward(g, x, h0, c0, wIh, wHh, y, ws, dy, dhT, dcT, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh);
  }

  @Override
  protected void gru_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, Tensor y, Tensor hT, Tensor ws) {
    JavaRnn.gruForward(g, x, h0, wIh, wHh, bIh, bHh, y, hT, ws);
  }

  @Override
  protected void gru_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor y, Tensor ws, Tensor dy, Tensor dhT,
                              Tensor dx, Tensor dh0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) {
    JavaRnn.gruBackward(g, x, h0, wIh, wHh, y, ws, dy, dhT, dx, dh0, dwIh, dwHh, dbIh, dbHh);
  }

  @Override
  protected void embedding_forward(int[] ids, int idsOffset, int n, Tensor weight, Tensor out) {
    JavaRnn.embeddingForward(ids, idsOffset, n, weight, out);
  }

  @Override
  protected void embedding_backward(int[] ids, int idsOffset, int n, Tensor dout, Tensor dweight, int paddingIdx) {
    JavaRnn.embeddingBackward(ids, idsOffset, n, dout, dweight, paddingIdx);
  }

  // ================================================================ convolution (JavaConv: im2col + JavaGemm per sample)

  /** One sample's column matrix: C*R*S x P*Q floats. */
  @Override
  public long conv2dWorkspaceSize(Conv2dGeometry g) {
    java.util.Objects.requireNonNull(g, "conv2d_workspace_size: geometry is null");
    return JavaConv.workspaceSize(g);
  }

  @Override
  protected void conv2d_forward(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y, Tensor ws) {
    // x (N,C,H,W), w (K,C,R,S), bias (K) or null, y (N,K,P,Q)
    JavaConv.forward(g, x.data(), x.offset(), w.data(), w.offset(), bias == null ? null : bias.data(), bias == null ? 0 : bias.offset(),
        y.data(), y.offset(), ws.data(), ws.offset());
  }

  @Override
  protected void conv2d_backward_data(Conv2dGeometry g, Tensor dy, Tensor w, Tensor dx, Tensor ws) {
    JavaConv.backwardData(g, dy.data(), dy.offset(), w.data(), w.offset(), dx.data(), dx.offset(), ws.data(), ws.offset());
  }

  @Override
  protected void conv2d_backward_filter(Conv2dGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias, Tensor ws) {
    JavaConv.backwardFilter(g, x.data(), x.offset(), dy.data(), dy.offset(), dw.data(), dw.offset(),
        dbias == null ? null : dbias.data(), dbias == null ? 0 : dbias.offset(), ws.data(), ws.offset());
  }

  // ================================================================ pooling

  @Override
  protected void maxpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y, int[] argmax) {
    JavaConv.maxForward(g, x.data(), x.offset(), y.data(), y.offset(), argmax);
  }

  @Override
  protected void maxpool2d_backward(Pool2dGeometry g, Tensor dy, int[] argmax, Tensor dx) {
    JavaConv.maxBackward(g, dy.data(), dy.offset(), argmax, dx.data(), dx.offset());
  }

  @Override
  protected void avgpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y) { JavaConv.avgForward(g, x.data(), x.offset(), y.data(), y.offset()); }

  @Override
  protected void avgpool2d_backward(Pool2dGeometry g, Tensor dy, Tensor dx) { JavaConv.avgBackward(g, dy.data(), dy.offset(), dx.data(), dx.offset()); }

  @Override
  protected void global_avgpool2d_forward(Tensor x, Tensor y, int planes, int hw) {
    JavaConv.globalAvgForward(x.data(), x.offset(), y.data(), y.offset(), planes, hw);
  }

  @Override
  protected void global_avgpool2d_backward(Tensor dy, Tensor dx, int planes, int hw) {
    JavaConv.globalAvgBackward(dy.data(), dy.offset(), dx.data(), dx.offset(), planes, hw);
  }

  // ================================================================ batch normalization (JavaBatchNorm)

  @Override
  protected void batchnorm_forward_training(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor rm, Tensor rv, Tensor sm, Tensor sis,
                                            float momentum, float eps, int n, int c, int s) {
    JavaBatchNorm.forwardTraining(x.data(), x.offset(), gamma.data(), gamma.offset(), beta.data(), beta.offset(), y.data(), y.offset(),
        rm.data(), rm.offset(), rv.data(), rv.offset(), sm.data(), sm.offset(), sis.data(), sis.offset(), momentum, eps, n, c, s);
  }

  @Override
  protected void batchnorm_forward_inference(Tensor x, Tensor gamma, Tensor beta, Tensor rm, Tensor rv, Tensor y, float eps, int n, int c, int s) {
    JavaBatchNorm.forwardInference(x.data(), x.offset(), gamma.data(), gamma.offset(), beta.data(), beta.offset(), rm.data(), rm.offset(),
        rv.data(), rv.offset(), y.data(), y.offset(), eps, n, c, s);
  }

  @Override
  protected void batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor sm, Tensor sis, Tensor dx, Tensor dgamma, Tensor dbeta,
                                    int n, int c, int s) {
    JavaBatchNorm.backward(x.data(), x.offset(), dy.data(), dy.offset(), gamma.data(), gamma.offset(), sm.data(), sm.offset(),
        sis.data(), sis.offset(), dx.data(), dx.offset(), dgamma.data(), dgamma.offset(), dbeta.data(), dbeta.offset(), n, c, s);
  }
}
