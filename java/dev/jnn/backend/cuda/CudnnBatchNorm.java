package dev.jnn.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.*;

import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

/**
 * The cuDNN descriptors of one spatial batch-norm shape: x/y as (n, c, s, 1) NCHW and the
 * per-channel (1, c, 1, 1). Kept in {@link CudaBackend}'s bounded cache; {@link #close()}
 * destroys them when evicted.
 */
final class CudnnBatchNorm implements AutoCloseable {
  final cudnnTensorStruct x = new cudnnTensorStruct(), channel = new cudnnTensorStruct();

  private CudnnBatchNorm() {}

  static CudnnBatchNorm create(CudaContext ctx, int n, int c, int s) {
    CudnnBatchNorm d = new CudnnBatchNorm();
    String k = "batchnorm (descriptors)", sh = "n=" + n + " c=" + c + " s=" + s;
    try {
      ctx.checkCudnn(cudnnCreateTensorDescriptor(d.x), k, sh);
      ctx.checkCudnn(cudnnCreateTensorDescriptor(d.channel), k, sh);
      ctx.checkCudnn(cudnnSetTensor4dDescriptor(d.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, s, 1), k, sh);
      ctx.checkCudnn(cudnnSetTensor4dDescriptor(d.channel, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, c, 1, 1), k, sh);
    } catch (RuntimeException e) {
      d.close();
      throw e;
    }
    return d;
  }

  @Override
  public void close() {
    if (!x.isNull()) cudnnDestroyTensorDescriptor(x);
    if (!channel.isNull()) cudnnDestroyTensorDescriptor(channel);
  }
}
