package dev.jnn.backend;

/**
 * Geometry of a 2-D max or average pooling (PyTorch's MaxPool2d / AvgPool2d, floor mode, no
 * dilation) over contiguous NCHW tensors: x is (batch, channels, height, width), y is
 * (batch, channels, outH(), outW()) with {@code outH = floor((height + 2 padH - kernelH) / strideH) + 1}.
 *
 * <p>Sizes, kernel and strides must be >= 1; as in PyTorch, {@code 0 <= pad <= kernel / 2}, so
 * every window holds at least one real (unpadded) element.
 *
 * <pre>{@code
 * var g = Pool2dGeometry.of(64, 32, 26, 26, 2);   // 2x2 max pool, stride 2: 26x26 -> 13x13
 * }</pre>
 */
public record Pool2dGeometry(int batch, int channels, int height, int width, int kernelH, int kernelW,
                             int strideH, int strideW, int padH, int padW) {

  public Pool2dGeometry {
    positive("batch", batch); positive("channels", channels); positive("height", height); positive("width", width);
    positive("kernelH", kernelH); positive("kernelW", kernelW); positive("strideH", strideH); positive("strideW", strideW);
    if (padH < 0 || padW < 0 || padH > kernelH / 2 || padW > kernelW / 2)
      throw new IllegalArgumentException("pool2d: padding must be between 0 and half the kernel, got padH=" + padH + " padW=" + padW
          + " for a " + kernelH + "x" + kernelW + " kernel");
    long oh = out(height, kernelH, strideH, padH), ow = out(width, kernelW, strideW, padW);
    if (oh < 1 || ow < 1)
      throw new IllegalArgumentException("pool2d: input " + height + "x" + width + " padded by " + padH + "x" + padW
          + " is smaller than the kernel " + kernelH + "x" + kernelW);
    long xSize = (long) batch * channels * height * width;
    if (xSize > Integer.MAX_VALUE) throw new IllegalArgumentException("pool2d: tensors of this geometry exceed 2^31-1 elements: " + this);
  }

  /** Square kernel with stride = kernel and no padding (the usual MaxPool2d(k)). */
  public static Pool2dGeometry of(int batch, int channels, int height, int width, int kernel) {
    return new Pool2dGeometry(batch, channels, height, width, kernel, kernel, kernel, kernel, 0, 0);
  }

  /** Square kernel, stride and padding. */
  public static Pool2dGeometry square(int batch, int channels, int height, int width, int kernel, int stride, int pad) {
    return new Pool2dGeometry(batch, channels, height, width, kernel, kernel, stride, stride, pad, pad);
  }

  private static long out(int in, int k, int s, int p) { return Math.floorDiv(in + 2L * p - k, s) + 1; }

  private static void positive(String name, int v) {
    if (v < 1) throw new IllegalArgumentException("pool2d: " + name + " must be >= 1, got " + v);
  }

  public int outH() { return (int) out(height, kernelH, strideH, padH); }
  public int outW() { return (int) out(width, kernelW, strideW, padW); }

  public int[] xShape() { return new int[] {batch, channels, height, width}; }
  public int[] yShape() { return new int[] {batch, channels, outH(), outW()}; }
}
