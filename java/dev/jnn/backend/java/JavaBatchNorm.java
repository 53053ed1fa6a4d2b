package dev.jnn.backend.java;

/**
 * Batch normalization of the Java reference backend (PyTorch's formulas): x viewed as (N, C, S),
 * statistics per channel over the N*S values, accumulated in double (two passes: mean, then the
 * sum of squared deviations), channels split over {@link Parallel}'s threads. Elementwise outputs
 * are computed in float from float statistics, as the native kernels do.
 */
final class JavaBatchNorm {
  private JavaBatchNorm() {}

  private static final int GRAIN = 1 << 15;

  private static int grain(int n, int s) { return Math.max(1, GRAIN / Math.max(1, n * s)); }

  static void forwardTraining(float[] x, int xo, float[] gamma, int go, float[] beta, int bo, float[] y, int yo,
                              float[] rm, int rmo, float[] rv, int rvo, float[] sm, int smo, float[] sis, int siso,
                              float momentum, float eps, int n, int c, int s) {
    long m = (long) n * s;
    Parallel.forRange(c, grain(n, s), (lo, hi) -> {
      for (int ch = lo; ch < hi; ch++) {
        double sum = 0;
        for (int i = 0; i < n; i++) for (int j = xo + (i * c + ch) * s, e = j + s; j < e; j++) sum += x[j];
        double mean = sum / m, sq = 0;
        for (int i = 0; i < n; i++) for (int j = xo + (i * c + ch) * s, e = j + s; j < e; j++) { double d = x[j] - mean; sq += d * d; }
        double var = sq / m;
        float meanF = (float) mean, invStd = (float) (1.0 / Math.sqrt(var + eps));
        float a = gamma[go + ch] * invStd, b = beta[bo + ch];
        for (int i = 0; i < n; i++) {
          int xi = xo + (i * c + ch) * s, yi = yo + (i * c + ch) * s;
          for (int j = 0; j < s; j++) y[yi + j] = (x[xi + j] - meanF) * a + b;
        }
        sm[smo + ch] = meanF;
        sis[siso + ch] = invStd;
        rm[rmo + ch] = (1f - momentum) * rm[rmo + ch] + momentum * meanF;
        rv[rvo + ch] = (1f - momentum) * rv[rvo + ch] + momentum * (float) (sq / (m - 1));
      }
    });
  }

  static void forwardInference(float[] x, int xo, float[] gamma, int go, float[] beta, int bo, float[] rm, int rmo, float[] rv, int rvo,
                               float[] y, int yo, float eps, int n, int c, int s) {
    Parallel.forRange(c, grain(n, s), (lo, hi) -> {
      for (int ch = lo; ch < hi; ch++) {
        float invStd = (float) (1.0 / Math.sqrt((double) rv[rvo + ch] + eps));
        float a = gamma[go + ch] * invStd, b = beta[bo + ch], mean = rm[rmo + ch];
        for (int i = 0; i < n; i++) {
          int xi = xo + (i * c + ch) * s, yi = yo + (i * c + ch) * s;
          for (int j = 0; j < s; j++) y[yi + j] = (x[xi + j] - mean) * a + b;
        }
      }
    });
  }

  static void backward(float[] x, int xo, float[] dy, int dyo, float[] gamma, int go, float[] sm, int smo, float[] sis, int siso,
                       float[] dx, int dxo, float[] dgamma, int dgo, float[] dbeta, int dbo, int n, int c, int s) {
    long m = (long) n * s;
    Parallel.forRange(c, grain(n, s), (lo, hi) -> {
      for (int ch = lo; ch < hi; ch++) {
        double mean = sm[smo + ch], invStd = sis[siso + ch];
        double sdy = 0, sdyx = 0;
        for (int i = 0; i < n; i++) {
          int xi = xo + (i * c + ch) * s, di = dyo + (i * c + ch) * s;
          for (int j = 0; j < s; j++) { double g = dy[di + j]; sdy += g; sdyx += g * (x[xi + j] - mean); }
        }
        double dg = sdyx * invStd;  // sum dy * xhat
        // dx = gamma invStd (dy - sdy/M - xhat dg/M)
        float k1 = (float) (gamma[go + ch] * invStd), k2 = (float) (sdy / m), k3 = (float) (dg / m), meanF = (float) mean, isF = (float) invStd;
        for (int i = 0; i < n; i++) {
          int xi = xo + (i * c + ch) * s, di = dyo + (i * c + ch) * s, oi = dxo + (i * c + ch) * s;
          for (int j = 0; j < s; j++) {
            float xhat = (x[xi + j] - meanF) * isF;
            dx[oi + j] = k1 * (dy[di + j] - k2 - xhat * k3);
          }
        }
        dgamma[dgo + ch] = (float) dg;
        dbeta[dbo + ch] = (float) sdy;
      }
    });
  }
}
