package dev.jnn;

/**
 * The one place that defines every numeric tolerance of the test suite. Each constant states
 * why it has the value it has; a test never writes a tolerance literal of its own.
 *
 * <p>Comparisons are of the form {@code |got - ref| <= ATOL + RTOL * |ref|} (numpy's
 * {@code allclose}), evaluated in double on float32 results. Everything here assumes float32
 * kernels: one float32 ulp is {@link #FLOAT_EPS} relative.
 *
 * <p>Gradient-check (finite-difference) tolerances for layers are added by their owners in the
 * section at the end, each with its own reason; see docs/PARITY.md for the full table.
 */
public final class Tolerances {
  private Tolerances() {}

  /** One float32 ulp at 1.0 (2^-23 ~ 1.19e-7): the unit every bound below is built from. */
  public static final double FLOAT_EPS = 0x1.0p-23;

  // ------------------------------------------------------------------ exact kernels

  /** add/mul/scale/axpy/fill/copy/relu/leaky_relu/dropout: one IEEE op per element (FMA may fuse axpy: one rounding fewer), so results must be bit-identical or 1 ulp apart. */
  public static final double EXACT_RTOL = 2 * FLOAT_EPS;
  /** Absolute floor for exact kernels: only denormal-flush differences (|x| < 1.2e-38) may hide below it. */
  public static final double EXACT_ATOL = 1e-37;
  /** axpy: y + alpha*x rounds once fused (FMA) and twice unfused, a difference of 1 ulp of the larger term, which cancellation can make large relative to the result; the tests keep |y|, |alpha x| <= 3, so 2 ulps of 4 absolute. */
  public static final double AXPY_ATOL = 8 * FLOAT_EPS;

  // ------------------------------------------------------------------ transcendental elementwise

  /** sigmoid/tanh/gelu forward+backward: exp/tanh/erf differ between libm, SIMD polynomials and StrictMath in the last ulps (a few ulps, plus cancellation in 1-y^2); 1e-5 rel is ~80 ulps, far below any formula error. */
  public static final double TRANSCENDENTAL_RTOL = 1e-5;
  /** Absolute floor for transcendental kernels: results near 0 (sigmoid(-20), gelu(-5) ~ 1e-6, tanh'(large)) are compared absolutely, 1e-6 is ~8 ulps of values near 1 that produced them. */
  public static final double TRANSCENDENTAL_ATOL = 1e-6;
  /** sigmoid at |x| >= 89 (float max included) must equal its limit 0 or 1 within exp(-89) ~ 2e-39: a generous 1e-30 absolute. */
  public static final double SATURATION_ATOL = 1e-30;

  // ------------------------------------------------------------------ softmax family and losses

  /** softmax/log_softmax forward+backward: exp plus a row sum whose order a SIMD kernel may change; log_softmax of extreme logits is large (|y| up to ~2e4 in the tests) so a relative bound is needed. */
  public static final double SOFTMAX_RTOL = 1e-5;
  /** Absolute floor for softmax-family outputs (probabilities in [0,1], gradients of order 1/cols). */
  public static final double SOFTMAX_ATOL = 1e-6;
  /** log_softmax and the cross-entropy loss: x - max - log(sum) is legitimately evaluated as x - (max + log sum), rounding at the magnitude of the logits (1 ulp of 1e4 is 1e-3): allow this many ulps of the row's max |x| on top, absolute. */
  public static final double LOGIT_MAGNITUDE_ULPS = 4;

  /** Scalar losses (mse, bce, bce_logits, softmax_cross_entropy): a mean of non-negative terms (no cancellation), each term a few ulps off (log, log1p, exp), summed in double or in float blocks (pairwise float error <= log2(1e5) ~ 17 ulps worst case); 4e-6 (~32 ulps) still catches one dropped term among 1e5. */
  public static final double LOSS_RTOL = 4e-6;
  /** Absolute floor for scalar losses: a loss near 0 (perfect prediction) is compared absolutely. */
  public static final double LOSS_ATOL = 1e-6;

  /** Loss gradients (elementwise, divided by n): the same few ulps as transcendental kernels (bce uses a division, bce_logits a sigmoid). */
  public static final double LOSS_GRAD_RTOL = 1e-5;
  /** Absolute floor for loss gradients, multiplied by 1/n (1/rows): the gradient of a mean is (elementwise term)/n, and the term (sigmoid(z) - t, p - onehot, a ratio) carries ~1 ulp of 1 absolute error where it cancels (sigmoid(20) rounds to 1), so 1e-6/n. */
  public static final double LOSS_GRAD_ATOL_TIMES_N = 1e-6;

  // ------------------------------------------------------------------ reductions

  /** sum_rows, relative to the sum of |terms| of each column (not to the possibly cancelling sum): accumulation in double, or in float blocks/pairwise (error ~ a few ulps of sum|terms| in practice), rounded to float once; 4 ulps still catches a dropped or doubled row of |x| > 5e-7 sum|x|. */
  public static final double SUM_RTOL = 4 * FLOAT_EPS;
  /** sum_squares: accumulated in double on both sides, but x*x may be rounded to float before accumulation (1 ulp per term, all positive): 2 ulps relative. */
  public static final double SUM_SQUARES_RTOL = 2 * FLOAT_EPS;

  // ------------------------------------------------------------------ gemm

  /**
   * GEMM: OpenBLAS and the Java blocked GEMM sum k products in different orders (and OpenBLAS uses FMA).
   * The error of a float32 dot product of length k is bounded by ~k*eps*sum|a_i b_i| (worst case) and is
   * ~sqrt(k)*eps*sum|a_i b_i| in practice. The test bounds |c - ref| <= GEMM_ATOL + GEMM_EPS_FACTOR * eps * k_eff * mag
   * where mag = |alpha| sum_l |a_il b_lj| + |beta c_ij| + |bias_j| (the magnitude of the terms summed, not of the result, which may cancel)
   * and k_eff = k + 2 (the beta and bias additions); factor 2 allows both sides' rounding errors.
   */
  public static final double GEMM_EPS_FACTOR = 2.0;
  /** Absolute floor for GEMM (results whose terms are all exactly zero). */
  public static final double GEMM_ATOL = 1e-30;

  // ------------------------------------------------------------------ layer norm and attention (transformer kernels)

  /** layer norm statistics (mean, rstd): accumulated in double on every backend, in different orders, then rounded to float once: at most 1 ulp apart, 2 allowed. */
  public static final double LAYERNORM_STATS_RTOL = 2 * FLOAT_EPS;
  /** layer norm y, dx, dgamma, dbeta, relative to the magnitude of the terms that make each value (not to the value, which may cancel): the native kernels compute xhat, dy gamma and the products in float (a few ulps each, with the float mean and rstd) where the reference uses double; 1e-5 (~84 ulps) still catches a dropped term or a wrong row statistic, which are O(1) of those terms. */
  public static final double LAYERNORM_RTOL = 1e-5;
  /** Absolute floor of {@link #LAYERNORM_RTOL} (sums whose terms are all ~0). */
  public static final double LAYERNORM_ATOL = 1e-6;
  /** Every backend's layer norm (y, dgamma, dbeta) vs the definition evaluated in double in the test (mean, biased variance, xhat gamma + beta) on a few O(1) values: the reference rounds once, the native kernels a few times in float (xhat, the products); 1e-6 is ~8 ulps. */
  public static final double LAYERNORM_ORACLE_RTOL = 1e-6;
  /** Absolute floor of {@link #LAYERNORM_ORACLE_RTOL} (outputs near 0: xhat gamma + beta cancelling). */
  public static final double LAYERNORM_ORACLE_ATOL = 1e-6;
  /** layernorm_backward dx vs central differences (step 1e-6 relative) of the forward's definition in double: the quotient is good to ~1e-8, the float dx carries a few ulps of rstd times O(1) terms (rstd up to ~30 in that test, so ~1e-5 absolute); 1e-4 relative and absolute still catches a wrong term (O(1) of dx). */
  public static final double LAYERNORM_GRADCHECK_TOL = 1e-4;

  // ------------------------------------------------------------------ optimizer updates

  /** Optimizer updates vs the Java reference after several steps: sqrt/div per element plus (native) FMA contraction; differences of a few ulps per step compounding over 5 steps on values O(1). */
  public static final double OPTIM_RTOL = 1e-5;
  /** Absolute floor for optimizer state: parameters/moments near 0 are compared absolutely (1e-7 is ~1 ulp of O(1) values). */
  public static final double OPTIM_ATOL = 1e-6;

  /** Optimizer updates vs the textbook formula computed in double in the test: float32 state vs double state over 5 steps; Adam's division by sqrt(v)+eps amplifies relative errors of v by 1/2, so a bit looser. */
  public static final double OPTIM_FORMULA_RTOL = 1e-5;
  /** Absolute floor vs the double formula: the step lr*m/sqrt(v) is O(lr) = O(1e-2) and rounds at ~1e-9 per step; 1e-6 leaves room for 5 steps near a zero crossing. */
  public static final double OPTIM_FORMULA_ATOL = 1e-6;

  // ------------------------------------------------------------------ convolution, pooling, batch norm

  /** conv2d forward/backward (im2col + GEMM): each output is a dot product of k_eff = CRS (forward), KRS (backward data) or NPQ (backward filter) terms, summed in different orders (OpenBLAS FMA vs JavaGemm, chunked batches); bound |got - ref| <= CONV_EPS_FACTOR * eps * (k_eff + 1) * mag with mag the same sum over |terms| (+ |bias|), as for GEMM. */
  public static final double CONV_EPS_FACTOR = 2.0;
  /** Absolute floor for conv2d (outputs whose terms are all exactly zero, e.g. a window entirely in the padding). */
  public static final double CONV_ATOL = 1e-30;
  /** avg pooling and max-pool backward: sums of at most kernelH*kernelW (or overlapping-window count) float terms, then one division; bound POOL_EPS_FACTOR * eps * (terms + 1) * sum|terms| (both sides add in the same order, so this is a loose upper bound). */
  public static final double POOL_EPS_FACTOR = 2.0;
  /** batch norm outputs and gradients: statistics in double on both sides, then a few float ops per element on values O(1..10) (|xhat| <= ~4 in the tests); cancellation in dy - mean(dy) - xhat mean(dy xhat) costs a few ulps of the larger terms: 1e-5 relative plus ... */
  public static final double BATCHNORM_RTOL = 1e-5;
  /** ... 1e-5 absolute (~80 ulps of the O(1) terms that cancel). Running statistics are float updates of O(1) values: also within these. */
  public static final double BATCHNORM_ATOL = 1e-5;

  // ------------------------------------------------------------------ gradient checks (finite differences), added by layer owners

  /** Finite-difference step (GradientCheck, layers and losses): float32 forwards round the objective at ~1e-7 |L|, giving ~1e-5 |L| error at this step, while the truncation error eps^2 |L'''| / 6 stays ~1e-5 for the smooth activations on inputs O(1). */
  public static final double GRADCHECK_EPS = 1e-2;
  /** Relative tolerance of a gradient check: the two errors above plus the float32 analytic gradient, with a 100x margin over what the layers show (~1e-4). */
  public static final double GRADCHECK_RTOL = 1e-2;
  /** Absolute floor of a gradient check: gradients near 0 (saturated sigmoid, ReLU's off side) are compared absolutely; 1e-3 is the rounding error of an O(1) objective divided by 2 eps, with margin. */
  public static final double GRADCHECK_ATOL = 1e-3;
  /** ReLU/LeakyReLU inputs closer than this to the kink at 0 are skipped: a central difference of step eps straddles the kink there (Caffe's kink_range), 2 eps for float rounding of x +- eps. */
  public static final double GRADCHECK_KINK_RANGE = 2 * GRADCHECK_EPS;

  /** LR schedules vs their formulas in the test: both evaluate the same double expression (pow/cos in different order), so only double rounding separates them. */
  public static final double SCHEDULE_RTOL = 1e-12;

  /** Dense example, java vs cpu: batch loss after each of the first 20 training steps. Both start from the same weights and batches; GEMM summation order (OpenBLAS FMA vs the Java blocked loop) and libm vs Java exp differ by a few ulps per kernel, and 20 Adam steps at lr 1e-3 keep the losses within ~1e-6 relative; 1e-4 leaves a 100x margin while still catching any real formula or ordering difference (another batch order changes the loss by ~5%). */
  public static final double TRAINING_TRAJECTORY_RTOL = 1e-4;

  /** Dense example convergence bar (the issue's): held-out accuracy within 2 percentage points of the exact Bayes ceiling of the held-out labels. */
  public static final double CONVERGENCE_POINTS = 2.0;

  // ------------------------------------------------------------------ convolutional layers (issue 3)

  /** Conv2d layer vs the direct formula in double (ConvLayersTest), relative to the sum of |terms| of each output (sum |w x| + |b|): a float32 dot product of k = C R S terms (<= 27 there) is off by at most ~k ulps of that sum; 1e-5 (~84 ulps) leaves margin for FMA/ordering and still catches one wrong or missing tap, whose term is >= ~1e-3 of the sum. */
  public static final double CONV_FORMULA_RTOL = 1e-5;

  /** Layer-level parity java vs cpu (conv, pooling, batch norm, dense in one small CNN), relative to the largest |value| of each compared tensor: sums of up to ~300 float products (conv backward filter: N P Q terms) in different orders (im2col+GEMM with FMA vs the Java loops) differ by ~sqrt(k) ulps typically, k ulps worst case (3.6e-5); batch norm adds a rsqrt and a mean over the batch. 1e-4 of the tensor's scale keeps a margin over that worst case and still catches any indexing or formula error, which is O(1) of the scale. */
  public static final double LAYER_PARITY_RTOL = 1e-4;

  /** BatchNorm running statistics vs PyTorch's update formula evaluated in double in the test: the kernel's per-channel mean and variance are float32 reductions over <= 100 values plus one FMA-able update, a few ulps each; 1e-5 relative (~84 ulps) with a 1e-6 absolute floor for means near 0. */
  public static final double BATCHNORM_STATS_RTOL = 1e-5;
  /** Absolute floor for the running statistics comparison (running means near 0). */
  public static final double BATCHNORM_STATS_ATOL = 1e-6;

  /** Tutorial CNN, java vs cpu: relative difference of the batch loss over the first 5 Adam steps on the same tiny batch; the per-kernel differences above (~1e-6 relative) grow a little through Adam's normalized steps at lr 1e-3; 1e-3 still separates a correct trajectory from a wrong one (a single wrong gradient changes the step-5 loss by > 1%). */
  public static final double CNN_TRAJECTORY_RTOL = 1e-3;

  /** Tutorial CNN on the Fashion-MNIST subset (2,000 training images, 2 epochs, batch 32, Adam 1e-3, first 2,000 test images): measured 0.7045 on java and 0.7075 on cpu (seed 1, deterministic per backend); the bar sits ~5 points below that, far above chance (0.10), so only a broken layer or optimizer fails it. */
  public static final double CNN_FASHION_SUBSET_ACCURACY = 0.65;

  // ------------------------------------------------------------------ sequence models (issue 4)

  /** LSTM/GRU layers vs PyTorch's formulas evaluated in double (PyTorchConventionTest): each step is a float32 dot product of I + H <= 8 terms plus sigmoid/tanh (a few ulps), and the recurrence over <= 3 steps contracts errors (|tanh'|, |sigmoid'| <= 1); 1e-5 relative (~84 ulps) ... */
  public static final double RNN_FORMULA_RTOL = 1e-5;
  /** ... plus 1e-6 absolute for outputs near 0 (~8 ulps of the O(1) gate values that produced them). A wrong gate order or bias changes outputs by > 1e-2. */
  public static final double RNN_FORMULA_ATOL = 1e-6;
  /** LSTM/GRU layer parity java vs cpu relative to the largest |value| of each tensor: GEMMs of I + H <= 14 terms per step in different orders plus libm vs Java exp/tanh (a few ulps), propagated through 37 steps forward and back; weight gradients sum B T = 296 products; the recurrence is contractive at these weights; measured worst 7.5e-7 of scale over all tensors (SequenceLayersTest prints it); 1e-4 leaves margin and still catches an indexing or gate error (O(1) of the scale). */
  public static final double RNN_PARITY_RTOL = 1e-4;
  /** Memory (copy) task: the bar, the share of steps t >= k whose symbol from k steps earlier is predicted right (chance 0.25); measured 0.957 at the first check above the bar, after 450 Adam steps (lr 0.01, batch 32), on java and on cpu. */
  public static final double MEMORY_TASK_ACCURACY = 0.95;
  /** jnn train text-classifier (GPL-3 vs Apache-2.0 sentences, 53 held out, 4:1 imbalanced): held-out accuracy must beat always answering the majority class by at least this many points; measured 88.7% vs 81.1% (seed 7). One held-out sentence is 1.9 points, so 3 points = two sentences above chance-level guessing. */
  public static final double TEXT_CLASSIFIER_MARGIN_POINTS = 3.0;

  // ------------------------------------------------------------------ recurrent kernels and embedding (issue 4)

  /** LSTM/GRU java vs native, relative to the largest |value| of each compared tensor (y, states, every gradient): the native kernel sums GEMMs in float (OpenBLAS, FMA, any order) and evaluates sigmoid/tanh with a polynomial exp (a few ulps), the reference accumulates dot products in double and calls Math.exp/tanh; these ~1e-7 differences propagate through up to 37 recurrent steps (forward) and are summed over B*T = 296 rows in dW (weights at PyTorch's 1/sqrt(H) init keep the recurrence contractive, so they do not grow exponentially). Measured (-Djnn.parity.margins) worst 4e-6 of scale (lstm hT, 0.04 of this bound); 1e-4 leaves margin and still catches an indexing, ordering or formula error, which is O(1) of the scale. */
  public static final double RNN_KERNEL_PARITY_RTOL = 1e-4;
  /** Absolute floor for RNN parity: a tensor that is all ~0 (e.g. dh0 after 37 steps of vanishing gradient) is compared absolutely; 1e-6 is ~8 ulps of the O(1) values it came from. */
  public static final double RNN_KERNEL_PARITY_ATOL = 1e-6;
  /** LSTM/GRU (every backend) vs PyTorch's formulas in double in the test: forward values, and gradients vs central differences (step 1e-6) of the double forward, whose own error is ~1e-9; relative to the tensor's largest |value|: float32 rounding through <= 5 steps is ~1e-6 of scale (measured worst 2e-7: 0.002 of this bound), 1e-4 keeps a wide margin while a wrong gate order, bias fold or time direction changes the result by O(1). */
  public static final double RNN_KERNEL_ORACLE_RTOL = 1e-4;
  /** Absolute floor of the RNN oracle comparison (~1e-6: float rounding of O(1) values). */
  public static final double RNN_KERNEL_ORACLE_ATOL = 1e-6;
  /** embedding_backward vs the scatter-add summed in double in the test: a row's gradient is a float sum of (repeats of its id) terms of |dout| <= 1, up to ~100 repeats in the tests (vocabulary 50, 300 ids), each add rounding once: ~repeats ulps of the sum of |terms|; 1e-5 relative + 1e-5 absolute covers it (measured 0.02 of the bound) and still catches a dropped or doubled term (>= 1e-3 for these inputs). */
  public static final double EMBEDDING_GRAD_RTOL = 1e-5;
  /** Absolute part of the embedding_backward bound (cancelling sums of repeated ids near 0). */
  public static final double EMBEDDING_GRAD_ATOL = 1e-5;

  // ------------------------------------------------------------------ CUDA backend (cuBLAS, cuDNN, atomics)

  /** cuBLAS/cuDNN results vs the Java reference where a test compares plain values (not the per-term GEMM/conv bounds): the libraries pick their own kernels (split-K, Winograd/FFT convolution, tree reductions), whose summation orders differ from the reference by ~sqrt(k) ulps typically; 1e-5 relative (~84 ulps) at the small sizes of those tests. TF32 (-Djnn.cuda.tf32=true) is NOT covered: it rounds inputs to 10 mantissa bits (~1e-3). */
  public static final double CUDA_LIBRARY_RTOL = 1e-5;
  /** Absolute floor of {@link #CUDA_LIBRARY_RTOL} (results near 0 from cancelling sums of O(1) terms). */
  public static final double CUDA_LIBRARY_ATOL = 1e-5;
  /** cuDNN convolutions: Winograd and FFT algorithms (which cuDNN's heuristics may choose) transform the inputs and carry errors of a few ulps of the largest |term| per output rather than of each term; the per-term conv bound (CONV_EPS_FACTOR) is widened by this factor on cuda. */
  public static final double CUDA_CONV_EPS_FACTOR = 16.0;
  /** cuDNN batch norm: its statistics are float reductions in its own order (the reference sums in double), a few ulps of the O(1..10) values more than the host kernels: 4x BATCHNORM_RTOL. */
  public static final double CUDA_BATCHNORM_RTOL = 4e-5;
  /** Absolute floor of {@link #CUDA_BATCHNORM_RTOL}. */
  public static final double CUDA_BATCHNORM_ATOL = 4e-5;
  /** embedding_backward on cuda accumulates repeated ids with atomicAdd, in an order that varies between runs: each row is still a float sum of its terms (same bound as EMBEDDING_GRAD_RTOL), and the test must not expect bit-reproducibility across runs. */
  public static final double CUDA_EMBEDDING_GRAD_RTOL = EMBEDDING_GRAD_RTOL;

  // ------------------------------------------------------------------ ONNX export (issue 12)

  /** An exported model run in ONNX Runtime vs jnn's predict on the Java backend, relative to the largest |value| of the output: the same float32 arithmetic in other orders (MLAS GEMM and convolution, fused ops with graph optimizations on, its own exp/tanh/erf), through up to 2 recurrent layers over 12 steps or 2 encoder layers; measured worst 1e-6 of scale (the tutorial CNN; OnnxExportTest prints each workload's); 1e-4 still catches a wrong gate order, transposed weight or mask, which are O(1) of the scale. */
  public static final double ONNX_RTOL = 1e-4;

  // ------------------------------------------------------------------ data-parallel training (issue 13)

  /** Weights and optimizer state after 20 steps of 2 DDP processes with batch B vs 1 process with batch 2B on the same samples, relative to each tensor's largest |value|, for the dense example (Adam; java and cpu) and the tutorial CNN with SGD on java: not bit-exact because each rank's gradient is a mean over its B rows and the all-reduce averages the W means, where one process takes one mean over 2B rows (another float summation order, a few ulps per step); measured worst 8e-7 of scale (CNN SGD momentum buffer), 2.4e-7 for the dense example; 1e-5 catches an unaveraged gradient (2x: O(1) with SGD) or a rank training on its shard alone. */
  public static final double DDP_RTOL = 1e-5;
  /** The same comparison for the tutorial CNN where the trajectory is discontinuous: max pooling picks one input per window and ReLU gates, so a rounding-level difference that flips one window's argmax or one unit's sign changes that gradient by O(1) for that element, and Adam (g / sqrt(v)) and momentum carry it on. Measured worst: 1.8e-2 (cpu, SGD momentum buffer), 8.7e-3 (java, Adam state), 4.7e-3 (java, Adam weights), 4.5e-6 (cpu, Adam); for scale, the java and cpu backends on the same single-process run differ by 1e-2. 5e-2 still fails a rank that trains alone or a missed bucket (O(1)); the bit-level checks of DDP's arithmetic are DDP_RTOL's. */
  public static final double DDP_CNN_RTOL = 5e-2;
}
