package dev.jnn.backend;

import static dev.jnn.Tolerances.LAYERNORM_ATOL;
import static dev.jnn.Tolerances.LAYERNORM_GRADCHECK_TOL;
import static dev.jnn.Tolerances.LAYERNORM_ORACLE_ATOL;
import static dev.jnn.Tolerances.LAYERNORM_ORACLE_RTOL;
import static dev.jnn.Tolerances.LAYERNORM_RTOL;
import static dev.jnn.Tolerances.LAYERNORM_STATS_RTOL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jnn.backend.BackendSource.Candidate;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity of layernorm_forward and layernorm_backward (over the last dimension). Shapes run from a
 * single element (one column: xhat = 0) to rows past the native threading threshold (1000 rows:
 * several row blocks of partial dgamma/dbeta sums) and 2 rows of 5000 columns; rows have scales
 * from 0.01 to 100 and means shifted off 0. dx and the parameter gradients are bounded relative to
 * the magnitude of the terms that make them (they cancel). In place (y = x, dx = dy) is compared
 * with the reference's out-of-place result.
 */
class LayerNormParityTest {

  /** (rows, cols); a third entry makes x rank 3 (d0, rows / d0, cols). */
  static final int[][] SHAPES = {{1, 1}, {1, 7}, {5, 33}, {3, 1}, {64, 130}, {301, 17}, {1000, 65}, {2, 5000}, {6, 11, 2}};
  static final float EPS = 1e-5f;

  static Stream<Arguments> shapes() {
    Object[] s = new Object[SHAPES.length];
    for (int i = 0; i < s.length; i++) s[i] = SHAPES[i];
    return BackendSource.nonReferenceTimes(s, BackendSource.ints(Inputs.OFFSETS));
  }

  static int[] xShape(int[] s) { return s.length == 3 ? new int[] {s[2], s[0] / s[2], s[1]} : new int[] {s[0], s[1]}; }

  /** Rows of different scale (0.01, 1, 100) and offset (mean up to ~3 of their own spread). */
  static float[] input(long seed, int rows, int cols) {
    float[] x = Inputs.uniform(seed, rows * cols, -1, 1);
    for (int r = 0; r < rows; r++) {
      float scale = r % 3 == 1 ? 100f : r % 3 == 2 ? 0.01f : 1f, shift = (r % 4 - 1.5f) * 2 * scale;
      for (int j = 0; j < cols; j++) x[r * cols + j] = x[r * cols + j] * scale + shift;
    }
    return x;
  }

  /** mean and rstd of x's rows by the reference (the statistics a backward receives). */
  static float[][] stats(float[] x, float[] gamma, float[] beta, int rows, int cols) {
    Tensor y = Tensor.zeros(Device.JAVA, rows, cols), mean = Tensor.zeros(Device.JAVA, rows), rstd = Tensor.zeros(Device.JAVA, rows);
    Backends.java().layerNormForward(Tensor.of(Device.JAVA, x, rows, cols), Tensor.of(Device.JAVA, gamma, cols), Tensor.of(Device.JAVA, beta, cols), EPS,
        y, mean, rstd);
    return new float[][] {mean.toArray(), rstd.toArray()};
  }

  /** Per-element bounds of dx, dgamma, dbeta: LAYERNORM_ATOL + LAYERNORM_RTOL * (sum of |terms|), the terms evaluated in double. */
  static double[][] backwardBounds(float[] x, float[] dy, float[] gamma, float[] mean, float[] rstd, int rows, int cols) {
    double[] bdx = new double[rows * cols], bg = new double[cols], bb = new double[cols];
    for (int r = 0; r < rows; r++) {
      double md = 0, mdx = 0;
      for (int j = 0; j < cols; j++) {
        double dxhat = (double) dy[r * cols + j] * gamma[j], xhat = (x[r * cols + j] - mean[r]) * (double) rstd[r];
        md += dxhat / cols;
        mdx += dxhat * xhat / cols;
      }
      for (int j = 0; j < cols; j++) {
        int i = r * cols + j;
        double xhat = (x[i] - mean[r]) * (double) rstd[r];
        bdx[i] = LAYERNORM_ATOL + LAYERNORM_RTOL * rstd[r] * (Math.abs((double) dy[i] * gamma[j]) + Math.abs(md) + Math.abs(xhat * mdx));
        bg[j] += Math.abs(dy[i] * xhat);
        bb[j] += Math.abs(dy[i]);
      }
    }
    for (int j = 0; j < cols; j++) {
      bg[j] = LAYERNORM_ATOL + LAYERNORM_RTOL * bg[j];
      bb[j] = LAYERNORM_ATOL + LAYERNORM_RTOL * bb[j];
    }
    return new double[][] {bdx, bg, bb};
  }

  /** Per-element bound of y: relative to |xhat gamma| + |beta|. */
  static double[] forwardBound(float[] x, float[] gamma, float[] beta, float[] mean, float[] rstd, int rows, int cols) {
    double[] b = new double[rows * cols];
    for (int r = 0; r < rows; r++)
      for (int j = 0; j < cols; j++) {
        double xhat = (x[r * cols + j] - mean[r]) * (double) rstd[r];
        b[r * cols + j] = LAYERNORM_ATOL + LAYERNORM_RTOL * (Math.abs(xhat * gamma[j]) + Math.abs(beta[j]));
      }
    return b;
  }

  @ParameterizedTest(name = "{0} {1} offset={2}")
  @MethodSource("shapes")
  void forwardAndBackward(Candidate c, int[] shape, int off) {
    Backend be = BackendSource.require(c);
    int rows = shape[0], cols = shape[1];
    int[] xs = xShape(shape);
    float[] x = input(601, rows, cols), gamma = Inputs.uniform(602, cols, 0.5, 1.5), beta = Inputs.uniform(603, cols, -1, 1);
    float[][] st = stats(x, gamma, beta, rows, cols);
    double[] yBound = forwardBound(x, gamma, beta, st[0], st[1], rows, cols);
    Parity.check("layernorm_forward", be, off, (k, ar, o) -> {
      Tensor y = ar.out("y", xs), mean = ar.out("mean", rows), rstd = ar.out("rstd", rows);
      k.layerNormForward(ar.in("x", x, xs), ar.in("gamma", gamma, cols), ar.in("beta", beta, cols), EPS, y, mean, rstd);
      o.putBounded("layernorm_forward", "y", y, yBound);
      o.put("layernorm_forward", "mean", mean, LAYERNORM_STATS_RTOL, 0);
      o.put("layernorm_forward", "rstd", rstd, LAYERNORM_STATS_RTOL, 0);
    });
    float[] dy = Inputs.uniform(604, rows * cols, -1, 1);
    double[][] bd = backwardBounds(x, dy, gamma, st[0], st[1], rows, cols);
    Parity.check("layernorm_backward", be, off, (k, ar, o) -> {
      Tensor dx = ar.out("dx", xs), dgamma = ar.out("dgamma", cols), dbeta = ar.out("dbeta", cols);
      k.layerNormBackward(ar.in("x", x, xs), ar.in("dy", dy, xs), ar.in("gamma", gamma, cols), ar.in("mean", st[0], rows), ar.in("rstd", st[1], rows),
          dx, dgamma, dbeta);
      o.putBounded("layernorm_backward", "dx", dx, bd[0]);
      o.putBounded("layernorm_backward", "dgamma", dgamma, bd[1]);
      o.putBounded("layernorm_backward", "dbeta", dbeta, bd[2]);
    });
  }

  static Stream<Arguments> inPlaceShapes() {
    return BackendSource.nonReferenceTimes(new Object[] {new int[] {7, 33}, new int[] {1000, 65}}, BackendSource.ints(Inputs.OFFSETS));
  }

  /** y = x and dx = dy (the same views) give the out-of-place results of the reference. */
  @ParameterizedTest(name = "{0} {1} offset={2}")
  @MethodSource("inPlaceShapes")
  void inPlace(Candidate c, int[] shape, int off) {
    Backend be = BackendSource.require(c);
    int rows = shape[0], cols = shape[1];
    float[] x = input(611, rows, cols), gamma = Inputs.uniform(612, cols, 0.5, 1.5), beta = Inputs.uniform(613, cols, -1, 1);
    float[] dy = Inputs.uniform(614, rows * cols, -1, 1);
    float[][] st = stats(x, gamma, beta, rows, cols);
    double[][] ref = new double[4][];   // y, dx, dgamma, dbeta of the reference, out of place
    Parity.run("layernorm out of place", Backends.java(), 0, (k, ar, o) -> {
      Tensor y = ar.out("y", rows, cols), dx = ar.out("dx", rows, cols), dgamma = ar.out("dgamma", cols), dbeta = ar.out("dbeta", cols);
      k.layerNormForward(ar.in("x", x, rows, cols), ar.in("gamma", gamma, cols), ar.in("beta", beta, cols), EPS, y, ar.out("mean", rows),
          ar.out("rstd", rows));
      k.layerNormBackward(ar.in("x", x, rows, cols), ar.in("dy", dy, rows, cols), ar.in("gamma", gamma, cols), ar.in("mean", st[0], rows),
          ar.in("rstd", st[1], rows), dx, dgamma, dbeta);
      Tensor[] outs = {y, dx, dgamma, dbeta};
      for (int i = 0; i < 4; i++) ref[i] = Outputs.toDouble(outs[i].toArray());
    });
    double[] yBound = forwardBound(x, gamma, beta, st[0], st[1], rows, cols);
    double[][] bd = backwardBounds(x, dy, gamma, st[0], st[1], rows, cols);
    Parity.run("layernorm in place", be, off, (k, ar, o) -> {
      Tensor xy = ar.in("x", x, rows, cols);
      k.layerNormForward(xy, ar.in("gamma", gamma, cols), ar.in("beta", beta, cols), EPS, xy, ar.out("mean", rows), ar.out("rstd", rows));
      Outputs.assertWithin("layernorm_forward y = x on " + be.name(), ref[0], Outputs.toDouble(xy.toArray()), yBound);
      Tensor dxy = ar.in("dy", dy, rows, cols), dgamma = ar.out("dgamma", cols), dbeta = ar.out("dbeta", cols);
      k.layerNormBackward(ar.in("x", x, rows, cols), dxy, ar.in("gamma", gamma, cols), ar.in("mean", st[0], rows), ar.in("rstd", st[1], rows),
          dxy, dgamma, dbeta);
      Outputs.assertWithin("layernorm_backward dx = dy on " + be.name(), ref[1], Outputs.toDouble(dxy.toArray()), bd[0]);
      Outputs.assertWithin("layernorm_backward dgamma (dx = dy) on " + be.name(), ref[2], Outputs.toDouble(dgamma.toArray()), bd[1]);
      Outputs.assertWithin("layernorm_backward dbeta (dx = dy) on " + be.name(), ref[3], Outputs.toDouble(dbeta.toArray()), bd[2]);
    });
  }

  /** dgamma and dbeta are run-to-run identical (no order-dependent accumulation) on every backend. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.jnn.backend.BackendSource#all")
  void parameterGradientsAreDeterministic(Candidate c) {
    Backend be = BackendSource.require(c);
    int rows = 1000, cols = 65;
    float[] x = input(621, rows, cols), gamma = Inputs.uniform(622, cols, 0.5, 1.5), dy = Inputs.uniform(624, rows * cols, -1, 1);
    float[][] st = stats(x, gamma, new float[cols], rows, cols);
    float[] first = null, firstBeta = null;
    for (int rep = 0; rep < 3; rep++) {
      Device d = be.device();
      Tensor dgamma = Tensor.zeros(d, cols), dbeta = Tensor.zeros(d, cols);
      be.layerNormBackward(Arena.of(d, x, rows, cols), Arena.of(d, dy, rows, cols), Arena.of(d, gamma, cols), Arena.of(d, st[0], rows),
          Arena.of(d, st[1], rows), Tensor.zeros(d, rows, cols), dgamma, dbeta);
      if (first == null) { first = dgamma.toArray(); firstBeta = dbeta.toArray(); continue; }
      assertArrayEquals(first, dgamma.toArray(), "layernorm_backward dgamma on " + be.name() + ", run " + rep);
      assertArrayEquals(firstBeta, dbeta.toArray(), "layernorm_backward dbeta on " + be.name() + ", run " + rep);
    }
  }

  // ------------------------------------------------------------------ the definition, on every backend (reference included)

  /**
   * A hand-computed row: x = (1, 2, 3, 6): mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5,
   * y = (x - 3) / sqrt(3.5 + eps) gamma + beta; dbeta = sum of dy over rows; one column gives
   * xhat = 0 (y = beta, dx = 0).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.jnn.backend.BackendSource#all")
  void handComputedRows(Candidate c) {
    Backend be = BackendSource.require(c);
    Device d = be.device();
    float eps = 0.5f;
    double rs = 1 / Math.sqrt(3.5 + eps);
    float[] gamma = {1, 2, -1, 0.5f}, beta = {0, 1, 2, 3};
    Tensor y = Tensor.zeros(d, 1, 4), mean = Tensor.zeros(d, 1), rstd = Tensor.zeros(d, 1);
    be.layerNormForward(Arena.of(d, new float[] {1, 2, 3, 6}, 1, 4), Arena.of(d, gamma, 4), Arena.of(d, beta, 4), eps, y, mean, rstd);
    double[] want = {-2 * rs * 1 + 0, -1 * rs * 2 + 1, 0 * rs * -1 + 2, 3 * rs * 0.5 + 3};
    Outputs.assertClose("layernorm_forward y of (1, 2, 3, 6) on " + be.name(), want, Outputs.toDouble(y.toArray()), LAYERNORM_ORACLE_RTOL, LAYERNORM_ORACLE_ATOL);
    assertEquals(3f, mean.toArray()[0], "layernorm_forward mean on " + be.name());
    Outputs.assertClose("layernorm_forward rstd on " + be.name(), rs, rstd.toArray()[0], LAYERNORM_STATS_RTOL, 0);
    // one column: every row normalizes to 0, so y = beta and dx = 0; dgamma = sum dy * 0 = 0, dbeta = sum dy
    Tensor y1 = Tensor.zeros(d, 3, 1), m1 = Tensor.zeros(d, 3), r1 = Tensor.zeros(d, 3);
    be.layerNormForward(Arena.of(d, new float[] {5, -7, 1e6f}, 3, 1), Arena.of(d, new float[] {2}, 1), Arena.of(d, new float[] {0.25f}, 1), 1e-5f, y1, m1, r1);
    assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f}, y1.toArray(), "layernorm_forward of one column on " + be.name());
    Tensor dx = Tensor.zeros(d, 3, 1), dg = Tensor.zeros(d, 1), db = Tensor.zeros(d, 1);
    be.layerNormBackward(Arena.of(d, new float[] {5, -7, 1e6f}, 3, 1), Arena.of(d, new float[] {1, 2, 4}, 3, 1), Arena.of(d, new float[] {2}, 1), m1, r1,
        dx, dg, db);
    assertArrayEquals(new float[] {0, 0, 0}, dx.toArray(), "layernorm_backward dx of one column on " + be.name());
    assertArrayEquals(new float[] {0}, dg.toArray(), "layernorm_backward dgamma of one column on " + be.name());
    assertArrayEquals(new float[] {7}, db.toArray(), "layernorm_backward dbeta of one column on " + be.name());
  }

  /**
   * The backward against central differences of the forward's definition, evaluated in double in
   * the test: L = sum y w for a fixed w (so dy = w), at a small (3, 5) shape on every backend.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.jnn.backend.BackendSource#all")
  void backwardIsTheDerivativeOfTheDefinition(Candidate c) {
    Backend be = BackendSource.require(c);
    Device d = be.device();
    int rows = 3, cols = 5;
    float eps = 1e-3f;
    float[] x = input(631, rows, cols), gamma = Inputs.uniform(632, cols, 0.5, 1.5), beta = Inputs.uniform(633, cols, -1, 1);
    float[] w = Inputs.uniform(634, rows * cols, -1, 1);
    double[] xd = new double[x.length];
    for (int i = 0; i < x.length; i++) xd[i] = x[i];
    double[] dxWant = new double[x.length], dgWant = new double[cols], dbWant = new double[cols];
    for (int i = 0; i < x.length; i++) {
      double h = 1e-6 * Math.max(1, Math.abs(xd[i])), keep = xd[i];
      xd[i] = keep + h;
      double up = objective(xd, gamma, beta, w, eps, rows, cols);
      xd[i] = keep - h;
      double down = objective(xd, gamma, beta, w, eps, rows, cols);
      xd[i] = keep;
      dxWant[i] = (up - down) / (2 * h);
    }
    for (int r = 0; r < rows; r++) {
      double mu = 0, var = 0;
      for (int j = 0; j < cols; j++) mu += xd[r * cols + j] / cols;
      for (int j = 0; j < cols; j++) var += (xd[r * cols + j] - mu) * (xd[r * cols + j] - mu) / cols;
      for (int j = 0; j < cols; j++) {
        dgWant[j] += w[r * cols + j] * (xd[r * cols + j] - mu) / Math.sqrt(var + eps);
        dbWant[j] += w[r * cols + j];
      }
    }
    Tensor y = Tensor.zeros(d, rows, cols), mean = Tensor.zeros(d, rows), rstd = Tensor.zeros(d, rows);
    Tensor xt = Arena.of(d, x, rows, cols), gt = Arena.of(d, gamma, cols);
    be.layerNormForward(xt, gt, Arena.of(d, beta, cols), eps, y, mean, rstd);
    Tensor dx = Tensor.zeros(d, rows, cols), dg = Tensor.zeros(d, cols), db = Tensor.zeros(d, cols);
    be.layerNormBackward(xt, Arena.of(d, w, rows, cols), gt, mean, rstd, dx, dg, db);
    // the scale of dx is rstd (up to 1/0.01 here); the difference quotient is good to ~1e-8 relative
    Outputs.assertClose("layernorm_backward dx vs central differences on " + be.name(), dxWant, Outputs.toDouble(dx.toArray()), LAYERNORM_GRADCHECK_TOL,
        LAYERNORM_GRADCHECK_TOL);
    Outputs.assertClose("layernorm_backward dgamma vs definition on " + be.name(), dgWant, Outputs.toDouble(dg.toArray()), LAYERNORM_ORACLE_RTOL,
        LAYERNORM_ORACLE_ATOL);
    Outputs.assertClose("layernorm_backward dbeta vs definition on " + be.name(), dbWant, Outputs.toDouble(db.toArray()), LAYERNORM_ORACLE_RTOL,
        LAYERNORM_ORACLE_ATOL);
  }

  /** sum_ij w_ij y_ij with y the layer norm of x (rows, cols), all in double. */
  private static double objective(double[] x, float[] gamma, float[] beta, float[] w, float eps, int rows, int cols) {
    double s = 0;
    for (int r = 0; r < rows; r++) {
      double mu = 0, var = 0;
      for (int j = 0; j < cols; j++) mu += x[r * cols + j] / cols;
      for (int j = 0; j < cols; j++) var += (x[r * cols + j] - mu) * (x[r * cols + j] - mu) / cols;
      for (int j = 0; j < cols; j++) s += w[r * cols + j] * ((x[r * cols + j] - mu) / Math.sqrt(var + eps) * gamma[j] + beta[j]);
    }
    return s;
  }
}
