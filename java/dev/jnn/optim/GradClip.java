package dev.jnn.optim;

import dev.jnn.backend.Backend;
import dev.jnn.backend.Backends;
import dev.jnn.nn.Parameter;
import java.util.List;

/**
 * Global-norm gradient clipping (PyTorch's clip_grad_norm_): the norm of all gradients together,
 * {@code sqrt(sum_p ||grad_p||^2)} from one {@code sum_squares} call per gradient (accumulated in
 * double), and when it exceeds {@code maxNorm} every gradient is scaled in place by
 * {@code maxNorm / (norm + 1e-6)} with one {@code scale} call per gradient.
 */
public final class GradClip {
  private GradClip() {}

  /** Clips in place; returns the norm before clipping. */
  public static double clipGlobalNorm(Parameter[] params, double maxNorm) {
    if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) throw new IllegalArgumentException("clipGlobalNorm: maxNorm must be finite and > 0, got " + maxNorm);
    double total = 0;
    for (int i = 0; i < params.length; i++) {
      Parameter p = params[i];
      total += Backends.get(p.device()).sumSquares(p.grad());
    }
    double norm = Math.sqrt(total);
    if (norm > maxNorm) {
      float coef = (float) (maxNorm / (norm + 1e-6));
      for (int i = 0; i < params.length; i++) {
        Parameter p = params[i];
        Backend be = Backends.get(p.device());
        be.scale(p.grad(), coef, p.grad());
      }
    }
    return norm;
  }

  public static double clipGlobalNorm(List<Parameter> params, double maxNorm) {
    return clipGlobalNorm(params.toArray(new Parameter[0]), maxNorm);
  }
}
