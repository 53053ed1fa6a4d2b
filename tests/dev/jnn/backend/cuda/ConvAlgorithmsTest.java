package dev.jnn.backend.cuda;

import static dev.jnn.backend.cuda.ConvAlgorithms.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which cuDNN convolution algorithms are tried and in what order (PyTorch's try_all), without a GPU. */
class ConvAlgorithmsTest {
  private static Candidate c(int algo, int status, int det, int math, long mem) { return new Candidate(algo, status, det, math, mem); }

  private static List<Integer> algos(List<Candidate> l) { return l.stream().map(Candidate::algo).toList(); }

  private static CudaException fatal(int status, String where) {
    return new CudaException("conv", where, "cuDNN", status, "CUDNN_STATUS_BAD_PARAM", "test");
  }

  /** cuDNN's heuristic list for a backward-filter call: ALGO_0 and ALGO_3 non-deterministic, one not supported, one tensor-op. */
  private static final List<Candidate> FILTER_HEURISTICS = List.of(
      c(0, SUCCESS, NON_DETERMINISTIC, FMA_MATH, 0), c(3, SUCCESS, NON_DETERMINISTIC, FMA_MATH, 1 << 20), c(5, 3000, DETERMINISTIC, FMA_MATH, 0),
      c(6, SUCCESS, DETERMINISTIC, TENSOR_OP_MATH, 4096), c(2, SUCCESS, DETERMINISTIC, DEFAULT_MATH, 8192), c(1, SUCCESS, DETERMINISTIC, FMA_MATH, 0));

  @Test
  void deterministicPlainFloatCandidatesInCudnnsOrder() {
    assertEquals(List.of(2, 1), algos(usable(Direction.BACKWARD_FILTER, FILTER_HEURISTICS, true, false)));
    assertEquals(List.of(0, 3, 2, 1), algos(usable(Direction.BACKWARD_FILTER, FILTER_HEURISTICS, false, false)),
        "-Djnn.cuda.deterministic=false keeps the atomics algorithms");
    assertEquals(List.of(0, 3, 6, 2, 1), algos(usable(Direction.BACKWARD_FILTER, FILTER_HEURISTICS, false, true)), "TF32 keeps tensor-op math");
  }

  @Test
  void theFallbackAlgorithmIsAppendedWhenMissing() {
    List<Candidate> only = usable(Direction.BACKWARD_DATA, List.of(c(0, SUCCESS, NON_DETERMINISTIC, FMA_MATH, 0)), true, false);
    assertEquals(List.of(1), algos(only), "ALGO_1: deterministic, plain float");
    assertEquals(-1, only.get(0).memory(), "its workspace size is asked from cuDNN");
    assertEquals(List.of(0), algos(usable(Direction.FORWARD, List.of(), true, false)), "IMPLICIT_GEMM when cuDNN offers nothing");
    assertEquals(List.of(7, 0), algos(usable(Direction.FORWARD, List.of(c(7, SUCCESS, DETERMINISTIC, FMA_MATH, 0), c(7, SUCCESS, DETERMINISTIC, FMA_MATH, 0)), true, false)),
        "duplicates listed once");
  }

  @Test
  void mathTypeIsFmaWithoutTf32() {
    Candidate t = c(6, SUCCESS, DETERMINISTIC, TENSOR_OP_MATH, 0), d = c(2, SUCCESS, DETERMINISTIC, DEFAULT_MATH, 0);
    assertEquals(FMA_MATH, d.runMath(false), "DEFAULT_MATH would allow TF32 on Ampere and later");
    assertEquals(TENSOR_OP_MATH, t.runMath(true));
  }

  @Test
  void notSupportedExecutionFailureAndOutOfMemoryMoveOnAndTheWinnerIsRemembered() {
    ConvAlgorithms a = new ConvAlgorithms(Direction.FORWARD, List.of(c(1, SUCCESS, DETERMINISTIC, FMA_MATH, 1 << 30),
        c(6, SUCCESS, DETERMINISTIC, FMA_MATH, 0), c(2, SUCCESS, DETERMINISTIC, FMA_MATH, 0), c(0, SUCCESS, DETERMINISTIC, FMA_MATH, 0)));
    List<Integer> tried = new ArrayList<>();
    Candidate used = a.run("g", x -> {
      tried.add(x.algo());
      return switch (x.algo()) {
        case 1 -> throw new CudaException("cudaMalloc", "1 GiB", "CUDA", 2, "cudaErrorMemoryAllocation", "out of memory");
        case 6 -> 3007;   // CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH
        case 2 -> 5000;   // CUDNN_STATUS_EXECUTION_FAILED
        default -> SUCCESS;
      };
    }, ConvAlgorithmsTest::fatal);
    assertEquals(0, used.algo());
    assertEquals(List.of(1, 6, 2, 0), tried);
    assertEquals(0, a.chosen().algo());
    tried.clear();
    a.run("g", x -> { tried.add(x.algo()); return SUCCESS; }, ConvAlgorithmsTest::fatal);
    assertEquals(List.of(0), tried, "the next call starts with the one that ran");
  }

  @Test
  void aBadParameterOrAStickyCudaErrorStopsAtOnce() {
    ConvAlgorithms a = new ConvAlgorithms(Direction.BACKWARD_DATA, List.of(c(1, SUCCESS, DETERMINISTIC, FMA_MATH, 0), c(4, SUCCESS, DETERMINISTIC, FMA_MATH, 0)));
    CudaException e = assertThrows(CudaException.class, () -> a.run("n=2", x -> 2000, ConvAlgorithmsTest::fatal));
    assertEquals(2000, e.status());
    assertTrue(e.getMessage().contains("n=2 (algo 1, 0 B)"), e.getMessage());
    CudaException sticky = new CudaException("cudaMalloc", "", "CUDA", 700, "cudaErrorIllegalAddress", "sticky");
    assertSame(sticky, assertThrows(CudaException.class, () -> a.run("n=2", x -> { throw sticky; }, ConvAlgorithmsTest::fatal)));
    assertNull(a.chosen());
  }

  @Test
  void whenEveryCandidateFailsTheMessageNamesEach() {
    ConvAlgorithms a = new ConvAlgorithms(Direction.BACKWARD_FILTER, List.of(c(1, SUCCESS, DETERMINISTIC, FMA_MATH, 0), c(2, SUCCESS, DETERMINISTIC, FMA_MATH, 64)));
    CudaException e = assertThrows(CudaException.class, () -> a.run("g", x -> 3000, ConvAlgorithmsTest::fatal));
    assertEquals("cuDNN", e.library());
    assertEquals("conv2d_backward_filter g: cuDNN error 3000 no usable algorithm: every candidate algorithm failed: "
        + "algo 1, 0 B: cuDNN status 3000; algo 2, 64 B: cuDNN status 3000", e.getMessage());
    CudaException oom = assertThrows(CudaException.class, () -> a.run("g", x -> {
      throw new CudaException("cudaMalloc", "", "CUDA", 2, "cudaErrorMemoryAllocation", "out of memory");
    }, ConvAlgorithmsTest::fatal));
    assertEquals("CUDA", oom.library());
    assertEquals(2, oom.status(), "all out of memory: reported as out of memory");
    assertTrue(ConvAlgorithms.tryNext(3000) && ConvAlgorithms.tryNext(4004) && ConvAlgorithms.tryNext(5003));
    assertFalse(ConvAlgorithms.tryNext(2000) || ConvAlgorithms.tryNext(1001) || ConvAlgorithms.tryNext(0));
  }
}
