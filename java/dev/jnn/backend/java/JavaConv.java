package dev.jnn.backend.java;

import dev.jnn.backend.Conv2dGeometry;
import dev.jnn.backend.Pool2dGeometry;

/**
 * Convolution and pooling of the Java reference backend, NCHW, on {@code float[]} storage from
 * element offsets.
 *
 * <p>Convolution is im2col + {@link JavaGemm}, one sample at a time: the column matrix
 * {@code col[(c*R + r)*S + s][p*Q + q] = x[n, c, p*sh - ph + r*dh, q*sw - pw + s*dw]} (0 in the
 * padding) turns the convolution into {@code y_n(K, PQ) = W(K, CRS) col(CRS, PQ)}; backward data is
 * {@code col = W^T dy_n} scattered back by col2im, backward filter {@code dW += dy_n col^T}. The
 * workspace holds one sample's column matrix, CRS*PQ floats. The definition these loops implement
 * is the direct 7-loop sum in the Backend docs; the tests check them against it in double.
 *
 * <p>Pooling is plain loops over (n, c) planes, planes split over {@link Parallel}'s threads.
 */
final class JavaConv {
  private JavaConv() {}

  /** Planes of pooling (or im2col rows) per task below which a loop stays on the calling thread. */
  private static final int GRAIN = 1 << 15;

  static long workspaceSize(Conv2dGeometry g) {
    return (long) g.inChannels() * g.kernelH() * g.kernelW() * g.outH() * g.outW();
  }

  // ================================================================ im2col / col2im

  /** col (CRS, PQ) from sample x[xo ..] (C, H, W). */
  static void im2col(Conv2dGeometry g, float[] x, int xo, float[] col, int co) {
    int C = g.inChannels(), H = g.height(), W = g.width(), R = g.kernelH(), S = g.kernelW();
    int P = g.outH(), Q = g.outW(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW(), dh = g.dilationH(), dw = g.dilationW();
    int rows = C * R * S, pq = P * Q;
    Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, pq)), (lo, hi) -> {
      for (int row = lo; row < hi; row++) {
        int c = row / (R * S), r = row / S % R, s = row % S;
        int dst = co + row * pq;
        for (int p = 0; p < P; p++) {
          int h = p * sh - ph + r * dh;
          if (h < 0 || h >= H) {
            java.util.Arrays.fill(col, dst + p * Q, dst + p * Q + Q, 0f);
            continue;
          }
          int src = xo + (c * H + h) * W;
          for (int q = 0; q < Q; q++) {
            int w = q * sw - pw + s * dw;
            col[dst + p * Q + q] = w >= 0 && w < W ? x[src + w] : 0f;
          }
        }
      }
    });
  }

  /** dx[dxo ..] (C, H, W) += col2im(col (CRS, PQ)); channels split over threads (no write conflicts). */
  static void col2imAdd(Conv2dGeometry g, float[] col, int co, float[] dx, int dxo) {
    int C = g.inChannels(), H = g.height(), W = g.width(), R = g.kernelH(), S = g.kernelW();
    int P = g.outH(), Q = g.outW(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW(), dh = g.dilationH(), dw = g.dilationW();
    int pq = P * Q;
    Parallel.forRange(C, Math.max(1, GRAIN / Math.max(1, R * S * pq)), (lo, hi) -> {
      for (int c = lo; c < hi; c++)
        for (int r = 0; r < R; r++)
          for (int s = 0; s < S; s++) {
            int src = co + ((c * R + r) * S + s) * pq;
            for (int p = 0; p < P; p++) {
              int h = p * sh - ph + r * dh;
              if (h < 0 || h >= H) continue;
              int dst = dxo + (c * H + h) * W;
              for (int q = 0; q < Q; q++) {
                int w = q * sw - pw + s * dw;
                if (w >= 0 && w < W) dx[dst + w] += col[src + p * Q + q];
              }
            }
          }
    });
  }

  // ================================================================ convolution

  static void forward(Conv2dGeometry g, float[] x, int xo, float[] w, int wo, float[] bias, int bo, float[] y, int yo, float[] ws, int wso) {
    // x (N,C,H,W), w (K,C,R,S), bias (K) or null, y (N,K,P,Q): y_n = W col_n + bias
    int K = g.outChannels(), crs = g.inChannels() * g.kernelH() * g.kernelW(), pq = g.outH() * g.outW(), chw = g.inChannels() * g.height() * g.width();
    for (int n = 0; n < g.batch(); n++) {
      im2col(g, x, xo + n * chw, ws, wso);
      int yn = yo + n * K * pq;
      JavaGemm.gemm(false, false, K, pq, crs, 1f, w, wo, ws, wso, 0f, y, yn, null, 0);
      if (bias != null)
        for (int k = 0; k < K; k++) {
          float b = bias[bo + k];
          for (int i = yn + k * pq, e = i + pq; i < e; i++) y[i] += b;
        }
    }
  }

  static void backwardData(Conv2dGeometry g, float[] dy, int dyo, float[] w, int wo, float[] dx, int dxo, float[] ws, int wso) {
    // dy (N,K,P,Q), w (K,C,R,S), dx (N,C,H,W): col = W^T dy_n, dx_n = col2im(col)
    int K = g.outChannels(), crs = g.inChannels() * g.kernelH() * g.kernelW(), pq = g.outH() * g.outW(), chw = g.inChannels() * g.height() * g.width();
    java.util.Arrays.fill(dx, dxo, dxo + g.batch() * chw, 0f);
    for (int n = 0; n < g.batch(); n++) {
      JavaGemm.gemm(true, false, crs, pq, K, 1f, w, wo, dy, dyo + n * K * pq, 0f, ws, wso, null, 0);
      col2imAdd(g, ws, wso, dx, dxo + n * chw);
    }
  }

  static void backwardFilter(Conv2dGeometry g, float[] x, int xo, float[] dy, int dyo, float[] dw, int dwo, float[] dbias, int dbo,
                             float[] ws, int wso) {
    // x (N,C,H,W), dy (N,K,P,Q), dw (K,C,R,S), dbias (K) or null: dW = sum_n dy_n col_n^T, dbias = sum dy (double)
    int K = g.outChannels(), crs = g.inChannels() * g.kernelH() * g.kernelW(), pq = g.outH() * g.outW(), chw = g.inChannels() * g.height() * g.width();
    for (int n = 0; n < g.batch(); n++) {
      im2col(g, x, xo + n * chw, ws, wso);
      JavaGemm.gemm(false, true, K, crs, pq, 1f, dy, dyo + n * K * pq, ws, wso, n == 0 ? 0f : 1f, dw, dwo, null, 0);
    }
    if (dbias != null)
      for (int k = 0; k < K; k++) {
        double s = 0;
        for (int n = 0; n < g.batch(); n++)
          for (int i = dyo + (n * K + k) * pq, e = i + pq; i < e; i++) s += dy[i];
        dbias[dbo + k] = (float) s;
      }
  }

  // ================================================================ pooling

  static void maxForward(Pool2dGeometry g, float[] x, int xo, float[] y, int yo, int[] argmax) {
    // x (N,C,H,W), y (N,C,P,Q); per window: first real element, then v > max or v is NaN wins (PyTorch)
    int H = g.height(), W = g.width(), P = g.outH(), Q = g.outW(), planes = g.batch() * g.channels();
    Parallel.forRange(planes, Math.max(1, GRAIN / (H * W)), (lo, hi) -> {
      for (int pl = lo; pl < hi; pl++) {
        int xp = xo + pl * H * W, op = pl * P * Q;
        for (int p = 0; p < P; p++) {
          int h0 = p * g.strideH() - g.padH(), h1 = Math.min(h0 + g.kernelH(), H);
          h0 = Math.max(h0, 0);
          for (int q = 0; q < Q; q++) {
            int w0 = q * g.strideW() - g.padW(), w1 = Math.min(w0 + g.kernelW(), W);
            w0 = Math.max(w0, 0);
            float best = Float.NEGATIVE_INFINITY;
            int arg = h0 * W + w0;
            for (int h = h0; h < h1; h++)
              for (int w = w0; w < w1; w++) {
                float v = x[xp + h * W + w];
                if (v > best || v != v) { best = v; arg = h * W + w; }
              }
            y[yo + op + p * Q + q] = best;
            argmax[op + p * Q + q] = arg;
          }
        }
      }
    });
  }

  static void maxBackward(Pool2dGeometry g, float[] dy, int dyo, int[] argmax, float[] dx, int dxo) {
    // dx = 0; dx[n,c,argmax] += dy[n,c,p,q]
    int HW = g.height() * g.width(), PQ = g.outH() * g.outW(), planes = g.batch() * g.channels();
    Parallel.forRange(planes, Math.max(1, GRAIN / HW), (lo, hi) -> {
      for (int pl = lo; pl < hi; pl++) {
        int dp = dxo + pl * HW, op = pl * PQ;
        java.util.Arrays.fill(dx, dp, dp + HW, 0f);
        for (int i = 0; i < PQ; i++) dx[dp + argmax[op + i]] += dy[dyo + op + i];
      }
    });
  }

  static void avgForward(Pool2dGeometry g, float[] x, int xo, float[] y, int yo) {
    // count_include_pad: sum of the real elements / (kernelH * kernelW)
    int H = g.height(), W = g.width(), P = g.outH(), Q = g.outW(), planes = g.batch() * g.channels();
    float div = g.kernelH() * g.kernelW();
    Parallel.forRange(planes, Math.max(1, GRAIN / (H * W)), (lo, hi) -> {
      for (int pl = lo; pl < hi; pl++) {
        int xp = xo + pl * H * W, op = yo + pl * P * Q;
        for (int p = 0; p < P; p++) {
          int h0 = p * g.strideH() - g.padH(), h1 = Math.min(h0 + g.kernelH(), H);
          h0 = Math.max(h0, 0);
          for (int q = 0; q < Q; q++) {
            int w0 = q * g.strideW() - g.padW(), w1 = Math.min(w0 + g.kernelW(), W);
            w0 = Math.max(w0, 0);
            float s = 0f;
            for (int h = h0; h < h1; h++) for (int w = w0; w < w1; w++) s += x[xp + h * W + w];
            y[op + p * Q + q] = s / div;
          }
        }
      }
    });
  }

  static void avgBackward(Pool2dGeometry g, float[] dy, int dyo, float[] dx, int dxo) {
    int H = g.height(), W = g.width(), P = g.outH(), Q = g.outW(), planes = g.batch() * g.channels();
    float div = g.kernelH() * g.kernelW();
    Parallel.forRange(planes, Math.max(1, GRAIN / (H * W)), (lo, hi) -> {
      for (int pl = lo; pl < hi; pl++) {
        int dp = dxo + pl * H * W, op = dyo + pl * P * Q;
        java.util.Arrays.fill(dx, dp, dp + H * W, 0f);
        for (int p = 0; p < P; p++) {
          int h0 = p * g.strideH() - g.padH(), h1 = Math.min(h0 + g.kernelH(), H);
          h0 = Math.max(h0, 0);
          for (int q = 0; q < Q; q++) {
            int w0 = q * g.strideW() - g.padW(), w1 = Math.min(w0 + g.kernelW(), W);
            w0 = Math.max(w0, 0);
            float d = dy[op + p * Q + q] / div;
            for (int h = h0; h < h1; h++) for (int w = w0; w < w1; w++) dx[dp + h * W + w] += d;
          }
        }
      }
    });
  }

  static void globalAvgForward(float[] x, int xo, float[] y, int yo, int planes, int hw) {
    // x (planes, hw), y (planes): mean in double
    Parallel.forRange(planes, Math.max(1, GRAIN / hw), (lo, hi) -> {
      for (int pl = lo; pl < hi; pl++) {
        double s = 0;
        for (int i = xo + pl * hw, e = i + hw; i < e; i++) s += x[i];
        y[yo + pl] = (float) (s / hw);
      }
    });
  }

  static void globalAvgBackward(float[] dy, int dyo, float[] dx, int dxo, int planes, int hw) {
    Parallel.forRange(planes, Math.max(1, GRAIN / hw), (lo, hi) -> {
      for (int pl = lo; pl < hi; pl++) {
        float d = dy[dyo + pl] / hw;
        java.util.Arrays.fill(dx, dxo + pl * hw, dxo + (pl + 1) * hw, d);
      }
    });
  }
}
