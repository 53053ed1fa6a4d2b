package dev.jnn.nn;

import dev.jnn.tensor.Tensor;

/**
 * 2-D max pooling over NCHW input (PyTorch's {@code nn.MaxPool2d}, {@code ceil_mode=False},
 * no dilation): each output is the maximum of its window, padding never wins (it counts as
 * -infinity). Backward routes each output gradient to the input element that won, recorded in an
 * argmax array at forward (ties: the first in row-major window order, as in PyTorch).
 *
 * <pre>{@code
 * new MaxPool2d(2);              // 2x2 windows, stride 2: [N, C, 26, 26] -> [N, C, 13, 13]
 * new MaxPool2d(3, 2, 1);        // 3x3, stride 2, padding 1
 * new MaxPool2d(2, 3, 2, 1, 0, 1);  // kernel 2x3, stride 2x1, padding 0x1
 * }</pre>
 */
public final class MaxPool2d extends Pool2dLayer {
  /** kernel x kernel windows with stride = kernel, no padding. */
  public MaxPool2d(int kernel) { this(kernel, kernel, 0); }

  public MaxPool2d(int kernel, int stride) { this(kernel, stride, 0); }

  public MaxPool2d(int kernel, int stride, int padding) { this(kernel, kernel, stride, stride, padding, padding); }

  public MaxPool2d(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
    super("MaxPool2d", kernelH, kernelW, strideH, strideW, padH, padW);
  }

  @Override boolean needsArgmax() { return true; }
  @Override void forwardKernel(Tensor x, Buffers b) { backend.maxPool2dForward(b.g, x, b.y, b.argmax); }
  @Override void backwardKernel(Tensor dy, Buffers b) { backend.maxPool2dBackward(b.g, dy, b.argmax, b.dx); }
}
