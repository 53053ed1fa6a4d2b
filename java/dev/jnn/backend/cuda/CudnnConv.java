package dev.jnn.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.*;

import dev.jnn.backend.Conv2dGeometry;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * The cuDNN descriptors and algorithm candidates of one {@link Conv2dGeometry}, built once per
 * geometry by {@link CudaBackend} and kept in its bounded cache ({@link BoundedCache}; evicted
 * entries destroy their descriptors through {@link #close()}).
 *
 * <p>NCHW float32 tensors x (N,C,H,W), y (N,K,P,Q), bias (1,K,1,1); filter (K,C,R,S); a 2-D
 * CUDNN_CROSS_CORRELATION (PyTorch's conv2d, no kernel flip) with float compute. Math type:
 * CUDNN_FMA_MATH (plain float32: cuDNN's DEFAULT_MATH would allow TF32 tensor cores on Ampere and
 * later, which PyTorch also forbids unless asked); with {@link CudaRuntime#tf32()} the candidate's.
 *
 * <p>Algorithms: cuDNN's heuristics ({@code cudnnGet*Algorithm_v7}: no benchmarking run, so the
 * list is the same every run and costs no GPU time) give the candidates of each direction, filtered
 * by {@link ConvAlgorithms#usable} (deterministic ones only unless
 * {@code -Djnn.cuda.deterministic=false}); the first call tries them in order
 * ({@link ConvAlgorithms#run}) and the one that ran is kept. Workspaces come from the call's
 * {@link Scratch}.
 *
 * <pre>{@code
 * CudnnConv c = CudnnConv.create(ctx, Conv2dGeometry.of(64, 1, 28, 28, 32, 3, 3));
 * c.fwd.candidates();     // e.g. [algo 1, 2304 B, algo 0, ...]
 * }</pre>
 */
final class CudnnConv implements AutoCloseable {
  final Conv2dGeometry g;
  final cudnnTensorStruct x = new cudnnTensorStruct(), y = new cudnnTensorStruct(), bias = new cudnnTensorStruct();
  final cudnnFilterStruct w = new cudnnFilterStruct();
  final cudnnConvolutionStruct conv = new cudnnConvolutionStruct();
  final boolean tf32;
  ConvAlgorithms fwd, bwdData, bwdFilter;
  private int math = -1;

  /** One cuDNN convolution call with an algorithm and its workspace; returns the cudnnStatus_t. */
  interface Call {
    int run(int algo, Pointer workspace, long workspaceBytes);
  }

  private CudnnConv(Conv2dGeometry g, boolean tf32) {
    this.g = g;
    this.tf32 = tf32;
  }

  static CudnnConv create(CudaContext ctx, Conv2dGeometry g) {
    CudnnConv c = new CudnnConv(g, CudaRuntime.tf32());
    String k = "conv2d (cudnn descriptors)", s = g.toString();
    try {
      ctx.checkCudnn(cudnnCreateTensorDescriptor(c.x), k, s);
      ctx.checkCudnn(cudnnCreateTensorDescriptor(c.y), k, s);
      ctx.checkCudnn(cudnnCreateTensorDescriptor(c.bias), k, s);
      ctx.checkCudnn(cudnnCreateFilterDescriptor(c.w), k, s);
      ctx.checkCudnn(cudnnCreateConvolutionDescriptor(c.conv), k, s);
      ctx.checkCudnn(cudnnSetTensor4dDescriptor(c.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.batch(), g.inChannels(), g.height(), g.width()), k, s);
      ctx.checkCudnn(cudnnSetTensor4dDescriptor(c.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.batch(), g.outChannels(), g.outH(), g.outW()), k, s);
      ctx.checkCudnn(cudnnSetTensor4dDescriptor(c.bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, g.outChannels(), 1, 1), k, s);
      ctx.checkCudnn(cudnnSetFilter4dDescriptor(c.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, g.outChannels(), g.inChannels(), g.kernelH(), g.kernelW()), k, s);
      ctx.checkCudnn(cudnnSetConvolution2dDescriptor(c.conv, g.padH(), g.padW(), g.strideH(), g.strideW(), g.dilationH(), g.dilationW(),
          CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT), k, s);
      c.setMath(ctx, c.tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH);
      c.candidates(ctx, CudaRuntime.deterministic());
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  private void setMath(CudaContext ctx, int m) {
    if (m == math) return;
    ctx.checkCudnn(cudnnSetConvolutionMathType(conv, m), "conv2d (math type)", g + " math=" + m);
    math = m;
  }

  private void candidates(CudaContext ctx, boolean deterministic) {
    String s = g.toString();
    int[] returned = new int[1];
    List<ConvAlgorithms.Candidate> l = new ArrayList<>();

    int n = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
    try (cudnnConvolutionFwdAlgoPerf_t p = new cudnnConvolutionFwdAlgoPerf_t(n)) {
      ctx.checkCudnn(cudnnGetConvolutionForwardAlgorithm_v7(ctx.cudnn(), x, w, conv, y, n, returned, p), "conv2d_forward (algorithm choice)", s);
      for (int i = 0; i < returned[0]; i++) {
        cudnnConvolutionFwdAlgoPerf_t e = p.getPointer(i);
        l.add(new ConvAlgorithms.Candidate(e.algo(), e.status(), e.determinism(), e.mathType(), e.memory()));
      }
    }
    fwd = new ConvAlgorithms(ConvAlgorithms.Direction.FORWARD, ConvAlgorithms.usable(ConvAlgorithms.Direction.FORWARD, l, deterministic, tf32));

    l.clear();
    n = CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
    try (cudnnConvolutionBwdDataAlgoPerf_t p = new cudnnConvolutionBwdDataAlgoPerf_t(n)) {
      ctx.checkCudnn(cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx.cudnn(), w, y, conv, x, n, returned, p), "conv2d_backward_data (algorithm choice)", s);
      for (int i = 0; i < returned[0]; i++) {
        cudnnConvolutionBwdDataAlgoPerf_t e = p.getPointer(i);
        l.add(new ConvAlgorithms.Candidate(e.algo(), e.status(), e.determinism(), e.mathType(), e.memory()));
      }
    }
    bwdData = new ConvAlgorithms(ConvAlgorithms.Direction.BACKWARD_DATA,
        ConvAlgorithms.usable(ConvAlgorithms.Direction.BACKWARD_DATA, l, deterministic, tf32));

    l.clear();
    n = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
    try (cudnnConvolutionBwdFilterAlgoPerf_t p = new cudnnConvolutionBwdFilterAlgoPerf_t(n)) {
      ctx.checkCudnn(cudnnGetConvolutionBackwardFilterAlgorithm_v7(ctx.cudnn(), x, y, conv, w, n, returned, p), "conv2d_backward_filter (algorithm choice)", s);
      for (int i = 0; i < returned[0]; i++) {
        cudnnConvolutionBwdFilterAlgoPerf_t e = p.getPointer(i);
        l.add(new ConvAlgorithms.Candidate(e.algo(), e.status(), e.determinism(), e.mathType(), e.memory()));
      }
    }
    bwdFilter = new ConvAlgorithms(ConvAlgorithms.Direction.BACKWARD_FILTER,
        ConvAlgorithms.usable(ConvAlgorithms.Direction.BACKWARD_FILTER, l, deterministic, tf32));
  }

  /** Workspace bytes of {@code algo} in direction {@code d}, asked from cuDNN (for the fallback candidate, whose size the heuristics did not give). */
  private long workspaceBytes(CudaContext ctx, ConvAlgorithms.Direction d, int algo) {
    try (SizeTPointer bytes = new SizeTPointer(1)) {
      String k = d.kernel + " (workspace size)", s = g + " algo " + algo;
      switch (d) {
        case FORWARD -> ctx.checkCudnn(cudnnGetConvolutionForwardWorkspaceSize(ctx.cudnn(), x, w, conv, y, algo, bytes), k, s);
        case BACKWARD_DATA -> ctx.checkCudnn(cudnnGetConvolutionBackwardDataWorkspaceSize(ctx.cudnn(), w, y, conv, x, algo, bytes), k, s);
        case BACKWARD_FILTER -> ctx.checkCudnn(cudnnGetConvolutionBackwardFilterWorkspaceSize(ctx.cudnn(), x, y, conv, w, algo, bytes), k, s);
      }
      return bytes.get();
    }
  }

  /**
   * Runs one direction: for each candidate {@link ConvAlgorithms#run} tries, sets the math type,
   * takes the workspace from {@code scratch} and calls {@code call}. Synchronized: the math type is
   * descriptor state.
   */
  synchronized ConvAlgorithms.Candidate run(CudaContext ctx, Scratch scratch, ConvAlgorithms dir, Call call) {
    return dir.run(g.toString(), c -> {
      setMath(ctx, c.runMath(tf32));
      long bytes = c.memory() >= 0 ? c.memory() : workspaceBytes(ctx, dir.direction, c.algo());
      Pointer ws = bytes > 0 ? new DevicePointer(scratch.get(bytes)) : null;
      return call.run(c.algo(), ws, bytes);
    }, (status, where) -> CudaContext.cudnnError(status, dir.direction.kernel, where));
  }

  /** Destroys the descriptors (cuDNN host objects; nothing queued refers to them after the call that used them returned). */
  @Override
  public void close() {
    if (!x.isNull()) cudnnDestroyTensorDescriptor(x);
    if (!y.isNull()) cudnnDestroyTensorDescriptor(y);
    if (!bias.isNull()) cudnnDestroyTensorDescriptor(bias);
    if (!w.isNull()) cudnnDestroyFilterDescriptor(w);
    if (!conv.isNull()) cudnnDestroyConvolutionDescriptor(conv);
  }

  @Override
  public String toString() {
    return "cudnn conv " + g + ": fwd " + (fwd == null ? "-" : fwd.chosen()) + ", bwd data " + (bwdData == null ? "-" : bwdData.chosen())
        + ", bwd filter " + (bwdFilter == null ? "-" : bwdFilter.chosen());
  }
}
