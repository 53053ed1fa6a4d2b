package dev.jnn.backend;

/**
 * Geometry of a 2-D convolution (PyTorch's Conv2d, groups = 1) over contiguous NCHW tensors:
 * x is (batch, inChannels, height, width), w is (outChannels, inChannels, kernelH, kernelW),
 * y is (batch, outChannels, outH(), outW()).
 *
 * <p>{@code outH = floor((height + 2 padH - dilationH (kernelH - 1) - 1) / strideH) + 1}, likewise
 * outW. Every size, stride and dilation must be >= 1, pads >= 0, and the output at least 1x1.
 *
 * <pre>{@code
 * var g = Conv2dGeometry.of(64, 1, 28, 28, 32, 3, 3);   // batch 64, 1 -> 32 channels, 3x3, stride 1, no pad
 * g.outH();                                           // 26
 * }</pre>
 */
public record Conv2dGeometry(int batch, int inChannels, int height, int width, int outChannels, int kernelH, int kernelW,
                             int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {

  public Conv2dGeometry {
    positive("batch", batch); positive("inChannels", inChannels); positive("height", height); positive("width", width);
    positive("outChannels", outChannels); positive("kernelH", kernelH); positive("kernelW", kernelW);
    positive("strideH", strideH); positive("strideW", strideW); positive("dilationH", dilationH); positive("dilationW", dilationW);
    if (padH < 0 || padW < 0) throw new IllegalArgumentException("conv2d: padding must be >= 0, got padH=" + padH + " padW=" + padW);
    long oh = out(height, kernelH, strideH, padH, dilationH), ow = out(width, kernelW, strideW, padW, dilationW);
    if (oh < 1 || ow < 1)
      throw new IllegalArgumentException("conv2d: input " + height + "x" + width + " padded by " + padH + "x" + padW + " is smaller than the "
          + "dilated kernel " + (dilationH * (long) (kernelH - 1) + 1) + "x" + (dilationW * (long) (kernelW - 1) + 1) + " (output would be "
          + oh + "x" + ow + ")");
    long ySize = (long) batch * outChannels * oh * ow, xSize = (long) batch * inChannels * height * width;
    long wSize = (long) outChannels * inChannels * kernelH * kernelW;
    if (ySize > Integer.MAX_VALUE || xSize > Integer.MAX_VALUE || wSize > Integer.MAX_VALUE)
      throw new IllegalArgumentException("conv2d: tensors of this geometry exceed 2^31-1 elements: " + this);
  }

  /** Stride 1, no padding, no dilation. */
  public static Conv2dGeometry of(int batch, int inChannels, int height, int width, int outChannels, int kernelH, int kernelW) {
    return new Conv2dGeometry(batch, inChannels, height, width, outChannels, kernelH, kernelW, 1, 1, 0, 0, 1, 1);
  }

  /** Square kernel, stride and padding, no dilation. */
  public static Conv2dGeometry square(int batch, int inChannels, int height, int width, int outChannels, int kernel, int stride, int pad) {
    return new Conv2dGeometry(batch, inChannels, height, width, outChannels, kernel, kernel, stride, stride, pad, pad, 1, 1);
  }

  private static long out(int in, int k, int s, int p, int d) {
    return Math.floorDiv(in + 2L * p - (long) d * (k - 1) - 1, s) + 1;
  }

  private static void positive(String name, int v) {
    if (v < 1) throw new IllegalArgumentException("conv2d: " + name + " must be >= 1, got " + v);
  }

  public int outH() { return (int) out(height, kernelH, strideH, padH, dilationH); }
  public int outW() { return (int) out(width, kernelW, strideW, padW, dilationW); }

  /** Shapes of x, w and y. */
  public int[] xShape() { return new int[] {batch, inChannels, height, width}; }
  public int[] wShape() { return new int[] {outChannels, inChannels, kernelH, kernelW}; }
  public int[] yShape() { return new int[] {batch, outChannels, outH(), outW()}; }

  /** Multiply-adds of the forward pass: N K P Q C R S (each backward pass costs the same). */
  public long macs() { return (long) batch * outChannels * outH() * outW() * inChannels * kernelH * kernelW; }
}
