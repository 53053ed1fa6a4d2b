package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/**
 * 2-D average pooling over NCHW input (PyTorch's {@code nn.AvgPool2d} with its defaults
 * {@code ceil_mode=False, count_include_pad=True}): each output is the window's sum divided by
 * the full window size kernelH x kernelW, padded zeros included. Backward spreads each output
 * gradient evenly over its window.
 *
 * <pre>{@code
 * new AvgPool2d(2);              // 2x2 windows, stride 2
 * new AvgPool2d(3, 1, 1);        // 3x3, stride 1, padding 1: keeps the spatial size
 * }</pre>
 */
public final class AvgPool2d extends Pool2dLayer {
  /** kernel x kernel windows with stride = kernel, no padding. */
  public AvgPool2d(int kernel) { this(kernel, kernel, 0); }

  public AvgPool2d(int kernel, int stride) { this(kernel, stride, 0); }

  public AvgPool2d(int kernel, int stride, int padding) { this(kernel, kernel, stride, stride, padding, padding); }

  public AvgPool2d(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
    super("AvgPool2d", kernelH, kernelW, strideH, strideW, padH, padW);
  }

  /** Always true (PyTorch's default); the only mode the kernels implement. */
  public boolean countIncludePad() { return true; }

  @Override boolean needsArgmax() { return false; }
  @Override void forwardKernel(Tensor x, Buffers b) { backend.avgPool2dForward(b.g, x, b.y); }
  @Override void backwardKernel(Tensor dy, Buffers b) { backend.avgPool2dBackward(b.g, dy, b.dx); }
}
