package dev.jnn.backend.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * The cuDNN algorithms one convolution direction of one geometry may use, and the rule that picks
 * one (PyTorch's {@code AlgoIterator::try_all}): candidates in cuDNN's heuristic order, each tried
 * in turn until one runs; "not supported", internal errors (allocation failures included),
 * execution failures and an out-of-memory workspace move on to the next, anything else (a bad
 * parameter: a jnn bug) throws at once. The first candidate that ran is remembered and tried
 * first next time. Pure Java: the cuDNN calls are the caller's {@link Attempt}, so the rule is
 * tested without a GPU.
 *
 * <pre>{@code
 * ConvAlgorithms fwd = new ConvAlgorithms(Direction.FORWARD, ConvAlgorithms.usable(Direction.FORWARD, heuristics, true, false));
 * Candidate used = fwd.run(shapes, c -> cudnnConvolutionForward(..., c.algo(), ...), (status, where) -> error(status, where));
 * }</pre>
 */
final class ConvAlgorithms {
  /** cudnnStatus_t success. */
  static final int SUCCESS = 0;
  /** cudnnDeterminism_t. */
  static final int NON_DETERMINISTIC = 0, DETERMINISTIC = 1;
  /** cudnnMathType_t. */
  static final int DEFAULT_MATH = 0, TENSOR_OP_MATH = 1, TENSOR_OP_MATH_ALLOW_CONVERSION = 2, FMA_MATH = 3;
  /** cudaErrorMemoryAllocation: the workspace did not fit. */
  private static final int CUDA_OUT_OF_MEMORY = 2;

  /** One direction of a convolution, with its kernel name and the algorithm PyTorch uses when it must be deterministic. */
  enum Direction {
    /** CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM (0). */
    FORWARD("conv2d_forward", 0),
    /** CUDNN_CONVOLUTION_BWD_DATA_ALGO_1 (1): ALGO_0 adds with atomics. */
    BACKWARD_DATA("conv2d_backward_data", 1),
    /** CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 (1): ALGO_0 and ALGO_3 add with atomics. */
    BACKWARD_FILTER("conv2d_backward_filter", 1);

    final String kernel;
    final int fallbackAlgo;

    Direction(String kernel, int fallbackAlgo) {
      this.kernel = kernel;
      this.fallbackAlgo = fallbackAlgo;
    }
  }

  /**
   * One entry of cuDNN's {@code cudnnConvolution*AlgoPerf_t}.
   *
   * @param memory workspace bytes, or -1 when not known (the fallback algorithm: ask cuDNN)
   */
  record Candidate(int algo, int status, int determinism, int mathType, long memory) {
    /** The math type to set on the descriptor for this candidate: FMA without TF32 (plain float32), else the candidate's. */
    int runMath(boolean tf32) { return tf32 ? mathType : FMA_MATH; }

    @Override public String toString() {
      return "algo " + algo + (determinism == NON_DETERMINISTIC ? " (non-deterministic)" : "") + (memory >= 0 ? ", " + memory + " B" : "");
    }
  }

  /** One cuDNN call with a candidate: returns its cudnnStatus_t; may throw {@link CudaException} (the workspace allocation). */
  interface Attempt {
    int run(Candidate c);
  }

  /**
   * The candidates to try, in cuDNN's order: those whose status is success; with
   * {@code deterministic} only the deterministic ones; with TF32 off none that needs tensor-op
   * math (the others run with FMA math); then the direction's fallback algorithm (deterministic,
   * plain float) when not already listed, so the list is never empty.
   */
  static List<Candidate> usable(Direction d, List<Candidate> heuristics, boolean deterministic, boolean tf32) {
    List<Candidate> out = new ArrayList<>();
    for (Candidate c : heuristics) {
      if (c.status() != SUCCESS) continue;
      if (deterministic && c.determinism() != DETERMINISTIC) continue;
      if (!tf32 && (c.mathType() == TENSOR_OP_MATH || c.mathType() == TENSOR_OP_MATH_ALLOW_CONVERSION)) continue;
      if (out.stream().anyMatch(o -> o.algo() == c.algo())) continue;
      out.add(c);
    }
    if (out.stream().noneMatch(o -> o.algo() == d.fallbackAlgo)) out.add(new Candidate(d.fallbackAlgo, SUCCESS, DETERMINISTIC, FMA_MATH, -1));
    return out;
  }

  /** Whether a failed status lets the next candidate be tried: not supported (3xxx), internal error (4xxx, allocation failures included), execution failed (5xxx). */
  static boolean tryNext(int cudnnStatus) {
    int family = cudnnStatus / 1000;
    return family == 3 || family == 4 || family == 5;
  }

  final Direction direction;
  private final List<Candidate> candidates;
  private int chosen = -1;

  ConvAlgorithms(Direction direction, List<Candidate> candidates) {
    this.direction = Objects.requireNonNull(direction, "direction");
    if (candidates.isEmpty()) throw new IllegalArgumentException(direction.kernel + ": no candidate algorithm");
    this.candidates = List.copyOf(candidates);
  }

  /** The candidates, in the order they are tried. */
  List<Candidate> candidates() { return candidates; }

  /** The candidate that ran last, or null before the first call. */
  synchronized Candidate chosen() { return chosen < 0 ? null : candidates.get(chosen); }

  /**
   * Runs {@code attempt} with the remembered candidate, else with each candidate in order until one
   * returns success; returns that candidate.
   *
   * @param error the exception for a status that stops the search (status, shapes with the candidate)
   * @throws CudaException {@code error}'s for the first status {@link #tryNext} does not allow; a CUDA
   *     error other than out-of-memory from the attempt; or, when every candidate failed, one naming
   *     each failure
   */
  Candidate run(String shapes, Attempt attempt, BiFunction<Integer, String, CudaException> error) {
    int start;
    synchronized (this) { start = Math.max(chosen, 0); }
    List<String> failures = new ArrayList<>();
    int lastStatus = 0;
    for (int i = 0; i < candidates.size(); i++) {
      int idx = (start + i) % candidates.size();
      Candidate c = candidates.get(idx);
      int status;
      try {
        status = attempt.run(c);
      } catch (CudaException e) {
        if (!e.library().equals("CUDA") || e.status() != CUDA_OUT_OF_MEMORY) throw e;
        failures.add(c + ": workspace out of memory");
        continue;
      }
      if (status == SUCCESS) {
        synchronized (this) { chosen = idx; }
        return c;
      }
      if (!tryNext(status)) throw error.apply(status, shapes + " (" + c + ")");
      failures.add(c + ": cuDNN status " + status);
      lastStatus = status;
    }
    String all = "every candidate algorithm failed: " + String.join("; ", failures);
    if (lastStatus == 0) throw new CudaException(direction.kernel, shapes, "CUDA", CUDA_OUT_OF_MEMORY, "cudaErrorMemoryAllocation", all);
    throw new CudaException(direction.kernel, shapes, "cuDNN", lastStatus, "no usable algorithm", all);
  }
}
