package dev.jnn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.Tolerances;
import dev.jnn.backend.Backends;
import dev.jnn.nn.Parameter;
import dev.jnn.tensor.Device;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every optimizer class over 3 steps against the textbook (PyTorch) formula computed
 * independently in double, on both host backends; the learning rate of each step comes from the
 * optimizer's schedule. The cpu backend must load (strict mode): it is never skipped.
 */
class OptimizerTest {
  static final int N = 7, STEPS = 3;

  /** The reference update of one optimizer, in double; t is 1-based. */
  interface Formula {
    void step(double[] p, double[] g, int t, double lr);
  }

  static Device device(String name) {
    Device d = Device.parse(name);
    Backends.get(d);   // fails (never skips) if the backend did not load
    return d;
  }

  /** Runs opt for STEPS steps on a random parameter with random gradients and compares with f after each step. */
  static void check(Device d, Optimizer opt, Formula f, String what) {
    SplittableRandom rng = new SplittableRandom(what.hashCode());
    Parameter p = new Parameter("w", d, N);
    double[] ref = new double[N];
    for (int i = 0; i < N; i++) {
      float v = (float) (2 * rng.nextDouble() - 1);
      p.value().set(v, i);
      ref[i] = v;
    }
    opt.bind(List.of(p));
    for (int t = 1; t <= STEPS; t++) {
      double[] g = new double[N];
      for (int i = 0; i < N; i++) {
        float v = (float) (2 * rng.nextDouble() - 1);
        p.grad().set(v, i);
        g[i] = v;
      }
      float lr = opt.step();
      double expectedLr = opt.schedule().lr(t - 1);
      assertEquals((float) expectedLr, lr, what + ": learning rate of step " + t);
      f.step(ref, g, t, (float) expectedLr);
      for (int i = 0; i < N; i++) {
        double got = p.value().at(i);
        assertEquals(ref[i], got, Tolerances.OPTIM_FORMULA_ATOL + Tolerances.OPTIM_FORMULA_RTOL * Math.abs(ref[i]),
            what + " on " + d + ": element " + i + " after step " + t);
      }
    }
    assertEquals(STEPS, opt.steps());
  }

  static Formula sgd(double momentum, double dampening, double wd, boolean nesterov) {
    double[] buf = new double[N];
    return (p, g, t, lr) -> {
      for (int i = 0; i < N; i++) {
        double gi = g[i] + wd * p[i];
        if (momentum != 0) {
          buf[i] = t == 1 ? gi : momentum * buf[i] + (1 - dampening) * gi;
          gi = nesterov ? gi + momentum * buf[i] : buf[i];
        }
        p[i] -= lr * gi;
      }
    };
  }

  static Formula adam(double b1, double b2, double eps, double wd, boolean decoupled) {
    double[] m = new double[N], v = new double[N];
    return (p, g, t, lr) -> {
      for (int i = 0; i < N; i++) {
        double gi = g[i];
        if (decoupled) p[i] *= 1 - lr * wd;
        else gi += wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        double mh = m[i] / (1 - Math.pow(b1, t)), vh = v[i] / (1 - Math.pow(b2, t));
        p[i] -= lr * mh / (Math.sqrt(vh) + eps);
      }
    };
  }

  static Formula rmsprop(double alpha, double eps, double wd) {
    double[] s = new double[N];
    return (p, g, t, lr) -> {
      for (int i = 0; i < N; i++) {
        double gi = g[i] + wd * p[i];
        s[i] = alpha * s[i] + (1 - alpha) * gi * gi;
        p[i] -= lr * gi / (Math.sqrt(s[i]) + eps);
      }
    };
  }

  static Formula adagrad(double lrDecay, double eps, double wd) {
    double[] s = new double[N];
    return (p, g, t, lr) -> {
      double clr = lr / (1 + (t - 1) * lrDecay);
      for (int i = 0; i < N; i++) {
        double gi = g[i] + wd * p[i];
        s[i] += gi * gi;
        p[i] -= clr * gi / (Math.sqrt(s[i]) + eps);
      }
    };
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void sgdVariants(String dev) {
    Device d = device(dev);
    check(d, Sgd.builder().lr(0.1).build(), sgd(0, 0, 0, false), "sgd plain");
    check(d, Sgd.builder().lr(0.1).momentum(0.9).build(), sgd(0.9, 0, 0, false), "sgd momentum");
    check(d, Sgd.builder().lr(0.05).momentum(0.8).dampening(0.3).build(), sgd(0.8, 0.3, 0, false), "sgd momentum+dampening");
    check(d, Sgd.builder().lr(0.1).momentum(0.9).nesterov(true).build(), sgd(0.9, 0, 0, true), "sgd nesterov");
    check(d, Sgd.builder().lr(0.1).momentum(0.9).nesterov(true).weightDecay(0.05).build(), sgd(0.9, 0, 0.05, true), "sgd nesterov+wd");
    check(d, Sgd.builder().lr(0.2).weightDecay(0.1).build(), sgd(0, 0, 0.1, false), "sgd weight decay");
    check(d, Sgd.builder().schedule(LrSchedule.step(0.1, 2, 0.5)).momentum(0.5).build(), sgd(0.5, 0, 0, false), "sgd step schedule");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void adamAndAdamW(String dev) {
    Device d = device(dev);
    check(d, Adam.builder().lr(0.01).build(), adam(0.9, 0.999, 1e-8, 0, false), "adam");
    check(d, Adam.builder().lr(0.02).betas(0.8, 0.99).eps(1e-6).weightDecay(0.1).build(), adam(0.8, 0.99, 1e-6, 0.1, false), "adam L2");
    check(d, AdamW.builder().lr(0.01).build(), adam(0.9, 0.999, 1e-8, 0.01, true), "adamw default decay");
    check(d, AdamW.builder().lr(0.05).weightDecay(0.2).beta1(0.85).beta2(0.95).build(), adam(0.85, 0.95, 1e-8, 0.2, true), "adamw");
    check(d, Adam.builder().schedule(LrSchedule.warmup(2, LrSchedule.cosine(0.01, 4))).build(), adam(0.9, 0.999, 1e-8, 0, false), "adam warmup+cosine");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void rmspropAndAdagrad(String dev) {
    Device d = device(dev);
    check(d, RmsProp.builder().lr(0.01).build(), rmsprop(0.99, 1e-8, 0), "rmsprop");
    check(d, RmsProp.builder().lr(0.01).alpha(0.9).eps(1e-6).weightDecay(0.1).build(), rmsprop(0.9, 1e-6, 0.1), "rmsprop wd");
    check(d, Adagrad.builder().lr(0.1).build(), adagrad(0, 1e-10, 0), "adagrad");
    check(d, Adagrad.builder().lr(0.1).lrDecay(0.5).weightDecay(0.05).eps(1e-8).build(), adagrad(0.5, 1e-8, 0.05), "adagrad decay+wd");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void globalNormClipping(String dev) {
    Device d = device(dev);
    Parameter a = new Parameter("a", d, 3), b = new Parameter("b", d, 2);
    float[] ga = {3, 0, -4}, gb = {12, 0};   // norm sqrt(9 + 16 + 144) = 13
    for (int i = 0; i < 3; i++) a.grad().set(ga[i], i);
    for (int i = 0; i < 2; i++) b.grad().set(gb[i], i);
    double norm = GradClip.clipGlobalNorm(new Parameter[] {a, b}, 6.5);
    assertEquals(13.0, norm, 13 * Tolerances.SUM_SQUARES_RTOL);
    double coef = 6.5 / (13 + 1e-6);
    for (int i = 0; i < 3; i++) assertEquals(ga[i] * coef, a.grad().at(i), Tolerances.EXACT_RTOL * 13);
    for (int i = 0; i < 2; i++) assertEquals(gb[i] * coef, b.grad().at(i), Tolerances.EXACT_RTOL * 13);
    // below the threshold: untouched
    assertEquals(6.5, GradClip.clipGlobalNorm(List.of(a, b), 100), 6.5 * 1e-6);
    assertEquals((float) (12 * coef), b.grad().at(0));

    // through the optimizer: plain SGD with lr 1 subtracts the clipped gradient
    Parameter p = new Parameter("p", d, 2);
    p.grad().set(30f, 0);
    p.grad().set(40f, 1);   // norm 50
    Sgd sgd = Sgd.builder().lr(1).clipGlobalNorm(5).build();
    sgd.bind(List.of(p));
    sgd.step();
    assertEquals(-3.0, p.value().at(0), 1e-5);
    assertEquals(-4.0, p.value().at(1), 1e-5);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void stateFollowsTheDevice(String dev) {
    Device d = device(dev);
    Parameter p = new Parameter("p", Device.JAVA, 4);
    Adam adam = Adam.builder().build();
    adam.bind(List.of(p));
    float[] m = adam.firstMoment(0).data();
    p.to(d);
    adam.to(d);
    assertSame(d, adam.firstMoment(0).device());
    assertSame(m, adam.firstMoment(0).data(), "host devices share the array: a retag, no copy");
    p.grad().fill(1f);
    adam.step();
    assertEquals(-1e-3, p.value().at(0), 1e-6);
  }

  @org.junit.jupiter.api.Test
  void schedulesMatchTheirFormulas() {
    double r = Tolerances.SCHEDULE_RTOL;
    LrSchedule c = LrSchedule.constant(0.3);
    for (long t : new long[] {0, 1, 1000}) assertEquals(0.3, c.lr(t), 0.3 * r);

    LrSchedule s = LrSchedule.step(0.1, 3, 0.5);
    for (long t = 0; t < 10; t++) assertEquals(0.1 * Math.pow(0.5, Math.floor(t / 3.0)), s.lr(t), 0.1 * r, "step t=" + t);

    LrSchedule cos = LrSchedule.cosine(0.2, 10, 0.02);
    for (long t = 0; t <= 14; t++) {
      double e = 0.02 + (0.2 - 0.02) * 0.5 * (1 + Math.cos(Math.PI * Math.min(t, 10) / 10.0));
      assertEquals(e, cos.lr(t), 0.2 * r, "cosine t=" + t);
    }
    assertEquals(0.2, cos.lr(0), 0.2 * r);
    assertEquals(0.11, cos.lr(5), 0.2 * r);
    assertEquals(0.02, cos.lr(10), 0.2 * r);
    assertEquals(0.0, LrSchedule.cosine(1, 4).lr(4), r);

    LrSchedule w = LrSchedule.warmup(4, LrSchedule.cosine(0.1, 8));
    for (long t = 0; t < 4; t++) assertEquals(0.1 * (t + 1) / 4.0, w.lr(t), 0.1 * r, "warm-up t=" + t);
    for (long t = 4; t < 14; t++) assertEquals(0.5 * 0.1 * (1 + Math.cos(Math.PI * Math.min(t - 4, 8) / 8.0)), w.lr(t), 0.1 * r, "after warm-up t=" + t);

    assertThrows(IllegalArgumentException.class, () -> LrSchedule.step(0.1, 0, 0.5));
    assertThrows(IllegalArgumentException.class, () -> LrSchedule.constant(-1));
    assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(0.1, 0));
    assertThrows(IllegalArgumentException.class, () -> LrSchedule.warmup(0, LrSchedule.constant(1)));
  }

  @org.junit.jupiter.api.Test
  void invalidOptionsAndUnboundUse() {
    assertThrows(IllegalArgumentException.class, () -> Sgd.builder().nesterov(true).build(), "nesterov without momentum");
    assertThrows(IllegalArgumentException.class, () -> Adam.builder().betas(1.0, 0.999).build());
    assertThrows(IllegalArgumentException.class, () -> RmsProp.builder().eps(0).build());
    assertThrows(IllegalArgumentException.class, () -> Adagrad.builder().lrDecay(-1).build());
    assertThrows(IllegalArgumentException.class, () -> Sgd.builder().clipGlobalNorm(-1));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Adam.builder().build().step());
    assertTrue(e.getMessage().contains("no parameters bound"), e.getMessage());
  }
}
